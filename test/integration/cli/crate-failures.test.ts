import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { runCli } from '../../support/cli.js'
import { requireSshd, startSshNodes, type TestNodes } from '../../support/nodes.js'

// A crate that fails, however it fails, is one line naming the crate, the phase and the node, exit
// status 1, and never a stack of Forklift's own. Under --verbose the crate's own frames follow, and no
// other frame. Each crate below is hostile in one way; each runs through the real CLI on a folder node.

/** What no output may hold: a frame of Forklift's code or of Node's. */
const FORKLIFT_FRAME = /dist\/src|node:internal|\(node:|\bat (async )?(Object\.|process\.|file:\/\/\/work)/

interface Case {
  name: string
  index: string
  /** The phase the failure is reported in. */
  phase: string
  /** What follows `crate "NAME"` on the line. */
  line: (dir: string) => string
  /** The crate's own frames --verbose shows (functions, in order); none when empty. */
  frames?: string[]
}

const phaseLine = (name: string, what: string) => `crate "${name}", phase configure, node web-1: ${what}`

const CASES: Case[] = [
  {
    name: 'returns-42',
    index: 'export default { phases: { configure: () => 42 } }',
    phase: 'configure',
    line: () => phaseLine('returns-42', 'the phase returned 42, not a list of actions'),
  },
  {
    name: 'returns-nothing',
    index: 'export default { phases: { configure() {} } }',
    phase: 'configure',
    line: () => phaseLine('returns-nothing', 'the phase returned undefined, not a list of actions'),
  },
  {
    name: 'returns-a-cycle',
    index: `export default { phases: { configure() {
  const action = { type: 'file', path: '/x', content: '' }
  action.self = action
  return [action]
} } }`,
    phase: 'configure',
    line: () =>
      phaseLine(
        'returns-a-cycle',
        'actions[0].self refers back to actions[0] (a cycle); only data crosses a pod boundary (plain objects and arrays, strings, numbers, booleans, null, Date, Map, Set, BigInt, Uint8Array)',
      ),
  },
  {
    name: 'exits',
    index: 'export default { phases: { configure() { process.exit(7) } } }',
    phase: 'configure',
    line: () => phaseLine('exits', 'the pod exited with code 7'),
  },
  {
    name: 'loops',
    index: 'export default { phases: { configure() { for (;;) {} } } }',
    phase: 'configure',
    line: () => phaseLine('loops', "the phase ran past the pod's 2000 ms time limit; the pod was stopped"),
  },
  {
    name: 'eats-memory',
    index: `export default { phases: { configure() {
  const all = []
  for (;;) all.push(new Array(1e6).fill(1))
} } }`,
    phase: 'configure',
    line: () =>
      phaseLine(
        'eats-memory',
        'the pod ran out of memory: it reached its heap limit of 64 MB and was stopped',
      ),
  },
  {
    name: 'throws-an-object',
    index: 'export default { phases: { configure() { throw {} } } }',
    phase: 'configure',
    line: () => phaseLine('throws-an-object', 'threw {}'),
  },
  {
    name: 'throws-data',
    index: "export default { phases: { configure() { throw { code: 3, why: ['a', 'b'] } } } }",
    phase: 'configure',
    line: () => phaseLine('throws-data', "threw { code: 3, why: [ 'a', 'b' ] }"),
  },
  {
    name: 'throws-null',
    index: 'export default { phases: { configure() { throw null } } }',
    phase: 'configure',
    line: () => phaseLine('throws-null', 'threw null'),
  },
  {
    name: 'throws-undefined',
    index: 'export default { phases: { configure() { throw undefined } } }',
    phase: 'configure',
    line: () => phaseLine('throws-undefined', 'threw undefined'),
  },
  {
    name: 'throws-a-string',
    index: "export default { phases: { configure() { throw 'the disk is full' } } }",
    phase: 'configure',
    line: () => phaseLine('throws-a-string', 'the disk is full'),
  },
  {
    name: 'throws-an-error',
    index: `import { pick } from './pick.js'
export default { phases: { configure: (ctx) => [pick(ctx.settings)] } }`,
    phase: 'configure',
    line: () =>
      phaseLine('throws-an-error', "TypeError: Cannot read properties of undefined (reading 'port')"),
    frames: ['pick', 'configure'],
  },
  {
    name: 'throws-two-lines',
    index:
      "export default { phases: { configure() { throw new Error('first\\n    at fake (/x.js:1:1)') } } }",
    phase: 'configure',
    line: () => phaseLine('throws-two-lines', 'first at fake (/x.js:1:1)'),
    frames: ['configure'],
  },
  {
    name: 'misses-a-key',
    index: "export default { phases: { configure: (ctx) => [ctx.env.get('mirror.url')] } }",
    phase: 'configure',
    line: () =>
      phaseLine('misses-a-key', 'environment key "mirror.url" is missing (and no default was given)'),
    frames: ['configure'],
  },
  {
    name: 'names-a-string',
    index: "export default { phases: { settings: () => [], configure: 'nope' } }",
    phase: 'bootstrap',
    line: (dir) =>
      `crate "names-a-string": phases.configure is a string ('nope'), not a function (in ${dir}/crates/names-a-string/index.js)`,
  },
  {
    name: 'defaults-a-list',
    index: 'export default { defaults: [1], phases: { configure: () => [] } }',
    phase: 'bootstrap',
    line: (dir) =>
      `crate "defaults-a-list": defaults is an array, not a map of settings (in ${dir}/crates/defaults-a-list/index.js)`,
  },
  {
    name: 'defaults-a-string',
    index: "export default { defaults: 'x', phases: { configure: () => [] } }",
    phase: 'bootstrap',
    line: (dir) =>
      `crate "defaults-a-string": defaults is a string ('x'), not a map of settings (in ${dir}/crates/defaults-a-string/index.js)`,
  },
  {
    name: 'throws-on-load',
    index: "import './helper.js'\nexport default { phases: { configure: () => [] } }",
    phase: 'bootstrap',
    line: (dir) =>
      `crate "throws-on-load": cannot load ${dir}/crates/throws-on-load/index.js: RangeError: no port left`,
    frames: ['file'],
  },
]

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The lines of a run's output that look like stack frames. */
const frameLines = (text: string) => text.split('\n').filter((line) => /^\s+at /.test(line))

describe('a crate that fails, through the CLI on a folder node', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'forklift-crate-failures-')))
    env = { XDG_CACHE_HOME: join(dir, 'cache'), XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir }
    for (const c of CASES) {
      await mkdir(join(dir, 'crates', c.name), { recursive: true })
      await writeFile(join(dir, 'crates', c.name, 'index.js'), `${c.index}\n`)
    }
    await writeFile(
      join(dir, 'crates', 'throws-an-error', 'pick.js'),
      'export function pick(settings) {\n  return settings.server.port\n}\n',
    )
    await writeFile(
      join(dir, 'crates', 'throws-on-load', 'helper.js'),
      "throw new RangeError('no port left')\n",
    )
  })
  after(() => rm(dir, { recursive: true, force: true }))

  /** A project of one folder node whose group uses this one crate, its nodes gone. */
  async function project(c: Case): Promise<string> {
    const folder = join(dir, 'projects', c.name)
    await rm(folder, { recursive: true, force: true })
    await mkdir(folder, { recursive: true })
    await writeFile(
      join(folder, 'forklift.yaml'),
      `crates: { path: [${dir}/crates], timeout: 2, heap: 64 }
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: box
    count: 1
    crates: [${c.name}]
`,
    )
    return folder
  }

  for (const c of CASES) {
    it(`${c.name}: one line, exit status 1, no stack`, async () => {
      const folder = await project(c)
      const run = await runCli(['converge'], { cwd: folder, env })
      const all = run.stdout + run.stderr
      assert.equal(run.code, 1, all)
      const line = c.line(dir)
      const failed = run.stdout.split('\n').filter((l) => l.includes(' FAILED: '))
      assert.deepEqual(
        failed.map((l) => l.slice(9)),
        [`${'web-1'.padEnd(14)} ${c.phase} FAILED: ${line}`],
      )
      assert.ok(run.stdout.includes(`\n    web-1 failed in ${c.phase}: ${line}\n`), run.stdout)
      assert.doesNotMatch(all, FORKLIFT_FRAME)
      assert.deepEqual(frameLines(all), [], 'no frame of any stack without --verbose')
      assert.equal(run.stderr, '')
    })
  }

  // Every crate in one project, a group each (their pods shared, as crates without dependencies share
  // one pool): the report and --verbose say each failure as the run alone would.
  async function allInOne(): Promise<string> {
    const folder = join(dir, 'projects', 'all')
    await rm(folder, { recursive: true, force: true })
    await mkdir(folder, { recursive: true })
    const groups = CASES.map(
      (c) => `  ${c.name}:\n    provider: box\n    count: 1\n    crates: [${c.name}]\n`,
    ).join('')
    await writeFile(
      join(folder, 'forklift.yaml'),
      `crates: { path: [${dir}/crates], timeout: 2, heap: 64 }
providers:
  box: { type: local, settings: { root: nodes } }
groups:
${groups}`,
    )
    return folder
  }
  const nodeOf = (c: Case) => `${c.name}-1`
  const lineOf = (c: Case) => c.line(dir).replace('node web-1:', `node ${nodeOf(c)}:`)

  it("--json carries the same line, and the crate's own frames beside it", async () => {
    const json = await runCli(['converge', '--json'], { cwd: await allInOne(), env })
    assert.equal(json.code, 1, json.stdout + json.stderr)
    assert.doesNotMatch(json.stderr, FORKLIFT_FRAME)
    assert.deepEqual(frameLines(json.stderr), [])
    const report = JSON.parse(json.stdout) as RunResult
    for (const c of CASES) {
      const group = report.groups.find((g) => g.name === c.name)!
      const failed = group.phases.filter((p) => p.status === 'failed')
      assert.deepEqual(
        failed.map((p) => [p.node, p.phase, p.error?.message]),
        [[nodeOf(c), c.phase, lineOf(c)]],
      )
      const stack = failed[0]!.error?.stack
      assert.deepEqual(
        (stack ?? '').split('\n').filter(Boolean).map(frameOf),
        (c.frames ?? []).map((fn) => [fn, c.name]),
        c.name,
      )
    }
  })

  it("--verbose shows the crate's own frames under its failure, and no other frame", async () => {
    const verbose = await runCli(['converge', '--verbose'], { cwd: await allInOne(), env })
    assert.equal(verbose.code, 1, verbose.stdout + verbose.stderr)
    assert.doesNotMatch(verbose.stdout + verbose.stderr, FORKLIFT_FRAME)
    const lines = verbose.stdout.split('\n')
    let shown = 0
    for (const c of CASES) {
      const at = lines.findIndex((l) => l.endsWith(` ${c.phase} FAILED: ${lineOf(c)}`))
      assert.ok(at >= 0, `${c.name}: ${verbose.stdout}`)
      const frames = (c.frames ?? []).map((fn) => [fn, c.name])
      // Right under the failure, and not again in the summary.
      assert.deepEqual(lines.slice(at + 1, at + 1 + frames.length).map(frameOf), frames, c.name)
      assert.doesNotMatch(lines[at + 1 + frames.length] ?? '', /^\s+at /, c.name)
      assert.ok(verbose.stdout.includes(`\n    ${nodeOf(c)} failed in ${c.phase}: ${lineOf(c)}\n`), c.name)
      shown += frames.length
    }
    assert.equal(frameLines(verbose.stdout + verbose.stderr).length, shown, verbose.stdout)
  })

  /** `at pick (file:///…/crates/NAME/pick.js:2:19)` → [function, crate folder]; its file must be the crate's. */
  function frameOf(line: string): [string, string] {
    const match = line.match(/^\s*at (?:(\S+) \()?file:\/\/(\/[^:]+):\d+:\d+\)?$/)
    assert.ok(match, `a frame of a crate file: ${line}`)
    const file = match[2]!
    assert.ok(file.startsWith(`${dir}/crates/`), line)
    return [match[1] ?? 'file', file.slice(`${dir}/crates/`.length).split('/')[0]!]
  }
})

describe('a crate that fails on a node over SSH', () => {
  let lab: TestNodes
  let dir: string
  let env: NodeJS.ProcessEnv
  let skip = false

  before(async (t) => {
    if (!requireSshd(t as never)) {
      skip = true
      return
    }
    lab = await startSshNodes(undefined, { count: 1 })
    dir = await realpath(await mkdtemp(join(tmpdir(), 'forklift-crate-failures-ssh-')))
    await mkdir(join(dir, 'crates', 'broken'), { recursive: true })
    await writeFile(
      join(dir, 'crates', 'broken', 'index.js'),
      `function port(settings) {
  return settings.server.port
}
export default {
  phases: {
    settings: (ctx) => {
      if (ctx.env.get('refuse', false)) throw { reason: 'no', code: 3 }
      return []
    },
    configure: (ctx) => [{ type: 'file', path: '/tmp/x', content: String(port(ctx.settings)) }],
  },
}
`,
    )
    const node = lab.nodes[0]!
    await writeFile(
      join(dir, 'forklift.yaml'),
      `providers:
  lab:
    type: node-list
    settings:
      nodes:
        - { name: node-1, address: "${node.address}", port: ${node.port}, user: root, group: web }
groups:
  web:
    provider: lab
    login: { user: root, identity-file: ${lab.clientKey} }
    crates: [broken]
`,
    )
    const config = join(dir, 'xdg')
    await mkdir(join(config, 'forklift'), { recursive: true })
    await writeFile(join(config, 'forklift', 'known_hosts'), await readFile(lab.knownHosts))
    env = { XDG_CONFIG_HOME: config, XDG_CACHE_HOME: join(dir, 'cache'), HOME: dir, SSH_AUTH_SOCK: '' }
  })
  after(async () => {
    if (skip) return
    await lab.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('a thrown object is one readable line; a TypeError adds its frames under --verbose only', async (t) => {
    if (skip) return t.skip('no sshd')
    const settings = await runCli(['lift', '--set', 'refuse=1'], { cwd: dir, env })
    assert.equal(settings.code, 1, settings.stdout + settings.stderr)
    const thrown = `crate "broken", phase settings, node node-1: threw { reason: 'no', code: 3 }`
    assert.ok(settings.stdout.includes(` settings FAILED: ${thrown}\n`), settings.stdout)
    assert.ok(settings.stdout.includes(`\n    node-1 failed in settings: ${thrown}\n`), settings.stdout)
    assert.deepEqual(frameLines(settings.stdout + settings.stderr), [])

    const typeError = `crate "broken", phase configure, node node-1: TypeError: Cannot read properties of undefined (reading 'port')`
    const plain = await runCli(['lift', '--phase', 'configure'], { cwd: dir, env })
    assert.equal(plain.code, 1, plain.stdout + plain.stderr)
    assert.ok(plain.stdout.includes(` configure FAILED: ${typeError}\n`), plain.stdout)
    assert.doesNotMatch(plain.stdout + plain.stderr, FORKLIFT_FRAME)
    assert.deepEqual(frameLines(plain.stdout + plain.stderr), [])

    const verbose = await runCli(['lift', '--phase', 'configure', '--verbose'], { cwd: dir, env })
    assert.equal(verbose.code, 1, verbose.stdout + verbose.stderr)
    const file = escapeRe(`file://${dir}/crates/broken/index.js`)
    assert.match(
      verbose.stdout,
      new RegExp(
        ` configure FAILED: ${escapeRe(typeError)}\n    at port \\(${file}:2:\\d+\\)\n    at configure \\(${file}:10:\\d+\\)\n\n`,
      ),
    )
    assert.equal(frameLines(verbose.stdout + verbose.stderr).length, 2, verbose.stdout)
  })
})
