import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { plainRenderer } from '../../../src/cli/render/plain.js'
import { createRedactor } from '../../../src/core/config/environment.js'
import { createEventBus, type ForkliftEvent } from '../../../src/core/events.js'
import type { ActionResult, NodePhaseResult, RunResult } from '../../../src/core/model/results.js'

const diff = [
  '===================================================================',
  '--- a/srv/motd',
  '+++ b/srv/motd',
  '@@ -1,1 +1,2 @@',
  '-old',
  '+hi',
  '+token=s3cr3t',
  '',
].join('\n')

const actions: ActionResult[] = [
  {
    index: 0,
    type: 'file',
    summary: 'file /srv/motd',
    status: 'changed',
    message: 'would update content',
    diff,
  },
  { index: 1, type: 'directory', summary: 'directory /srv', status: 'ok', message: 'up to date' },
]

const phaseEnd: NodePhaseResult = {
  node: 'web-1',
  group: 'web',
  phase: 'configure',
  status: 'changed',
  actions,
  counts: { ok: 1, changed: 1, failed: 0, skipped: 0 },
  durationMs: 12,
}

const runResult = (dryRun: boolean): RunResult => ({
  command: 'lift',
  dryRun,
  startedAt: new Date(0).toISOString(),
  durationMs: 40,
  groups: [
    {
      name: 'web',
      provider: 'box',
      created: [],
      destroyed: [],
      nodes: [{ name: 'web-1', address: '127.0.0.1', status: 'changed', durationMs: 5 }],
      phases: [phaseEnd],
    },
  ],
  ok: true,
  interrupted: false,
})

/** The lines a plain renderer writes for one lift of one node, timestamps removed. */
function render(options: { verbose: boolean; dryRun: boolean }, extra: ForkliftEvent[] = []): string[] {
  const lines: string[] = []
  // Through the bus, as the CLI does: a secret in a diff must reach the renderer already redacted.
  const bus = createEventBus(createRedactor(['s3cr3t']))
  bus.on(plainRenderer((text) => lines.push(...text.split('\n')), options.verbose))
  const events: ForkliftEvent[] = [
    { type: 'run:start', command: 'lift', groups: ['web'], dryRun: options.dryRun },
    { type: 'phase:start', group: 'web', phase: 'configure', nodes: ['web-1'] },
    ...actions.map(
      (result): ForkliftEvent => ({
        type: 'node:action',
        group: 'web',
        phase: 'configure',
        node: 'web-1',
        result,
      }),
    ),
    { type: 'node:phase:end', result: phaseEnd },
    ...extra,
    { type: 'run:end', result: runResult(options.dryRun) },
  ]
  for (const event of events) bus.emit(event)
  return lines.map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''))
}

const diffLines = [
  '    ===================================================================',
  '    --- a/srv/motd',
  '    +++ b/srv/motd',
  '    @@ -1,1 +1,2 @@',
  '    -old',
  '    +hi',
  '    +token=***',
]

describe('plain renderer', () => {
  it('a run without --verbose shows counts only', () => {
    assert.deepEqual(render({ verbose: false, dryRun: false }), [
      'forklift       lift: web',
      'web            configure on 1 node(s)',
      'web-1          configure changed (1 changed, 1 ok) 12ms',
      '',
      'lift done in 40ms',
      '  web: 1 node(s), 1 changed',
    ])
  })

  it('a dry run lists what would change with its diff, secrets as ***', () => {
    assert.deepEqual(render({ verbose: false, dryRun: true }), [
      'forklift       lift (dry run): web',
      'web            configure on 1 node(s)',
      'web-1            changed file /srv/motd: would update content',
      ...diffLines,
      'web-1          configure changed (1 changed, 1 ok) 12ms',
      '',
      'lift (dry run) done in 40ms',
      '  web: 1 node(s), 1 changed',
    ])
  })

  it('--verbose shows every action line, diffs included', () => {
    const lines = render({ verbose: true, dryRun: false })
    assert.deepEqual(lines.slice(2, 11), [
      'web-1            changed file /srv/motd: would update content',
      ...diffLines,
      'web-1            ok      directory /srv: up to date',
    ])
  })

  it('logs and both Ctrl-C notices get their lines', () => {
    const lines = render({ verbose: false, dryRun: false }, [
      { type: 'log', level: 'info', group: 'web', message: 'would create 2 and destroy 0 node(s)' },
      { type: 'log', level: 'warn', message: 'box: slow' },
      { type: 'interrupt', second: false },
      { type: 'interrupt', second: true },
    ])
    assert.deepEqual(lines.slice(3, 7), [
      'web            would create 2 and destroy 0 node(s)',
      'forklift       WARN box: slow',
      'forklift       interrupted: finishing running scripts, starting nothing new (press Ctrl-C again to abort)',
      'forklift       interrupted again: aborting running scripts',
    ])
  })
})

describe('plain renderer: progress of a long phase', () => {
  const progress = (done: number): ForkliftEvent => ({
    type: 'node:phase:progress',
    group: 'web',
    phase: 'configure',
    node: 'web-1',
    done,
    total: 100000,
  })
  const start: ForkliftEvent = { type: 'node:phase:start', group: 'web', phase: 'configure', node: 'web-1' }
  const lines = (every: number | undefined, events: ForkliftEvent[]) => {
    const out: string[] = []
    const render = plainRenderer((text) => out.push(text.replace(/^\d\d:\d\d:\d\d /, '')), false, every)
    for (const event of events) render(event)
    return out
  }

  it('prints how far the node is, no more often than asked', () => {
    assert.deepEqual(lines(0, [start, progress(1200), progress(5000)]), [
      'web-1          configure: 1200/100000 actions done',
      'web-1          configure: 5000/100000 actions done',
    ])
  })

  it('by default a phase says nothing in its first seconds', () => {
    assert.deepEqual(lines(undefined, [start, progress(1200), progress(5000)]), [])
  })
})
