import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { summary } from '../../../src/cli/render/summary.js'
import type { RunResult } from '../../../src/core/model/results.js'

describe('summary', () => {
  it('names each failed node with its action, exit status and the tail of its stderr', () => {
    const result: RunResult = {
      command: 'converge',
      dryRun: false,
      startedAt: new Date(0).toISOString(),
      durationMs: 1500,
      groups: [
        {
          name: 'web',
          provider: 'box',
          created: ['web-2'],
          destroyed: [],
          nodes: [
            { name: 'web-1', address: '10.0.0.1', status: 'ok', durationMs: 5 },
            { name: 'web-2', address: '10.0.0.2', status: 'failed', failedPhase: 'configure', durationMs: 5 },
          ],
          phases: [
            {
              node: 'web-2',
              group: 'web',
              phase: 'configure',
              status: 'failed',
              actions: [],
              counts: { ok: 0, changed: 0, failed: 1, skipped: 0 },
              durationMs: 5,
              error: { message: 'exec make: failed', action: 0, exitCode: 2, stderr: 'no rule\nstop\n' },
            },
          ],
        },
        {
          name: 'db',
          provider: 'box',
          created: [],
          destroyed: [],
          error: 'listing nodes failed: boom',
          nodes: [],
          phases: [],
        },
      ],
      ok: false,
      interrupted: false,
    }
    assert.deepEqual(summary(result), [
      '',
      'converge failed in 1.50s',
      '  web: 2 node(s), 1 ok, 1 failed, created web-2',
      '    web-2 failed in configure: exec make: failed (exit 2)',
      '      | no rule',
      '      | stop',
      '  db: ERROR listing nodes failed: boom',
    ])
  })

  it('says when the run was a dry run', () => {
    const result: RunResult = {
      command: 'lift',
      dryRun: true,
      startedAt: new Date(0).toISOString(),
      durationMs: 20,
      groups: [],
      ok: true,
      interrupted: false,
    }
    assert.equal(summary(result)[1], 'lift (dry run) done in 20ms')
  })
})
