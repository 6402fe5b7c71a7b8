import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFile, cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createPodCrateRunner, PodCrateError } from '../../../src/core/crates/pod-runner.js'
import { CrateError, resolveCrate } from '../../../src/core/crates/resolve.js'
import type { CrateContextData, CrateRunner, ResolvedCrate } from '../../../src/core/crates/types.js'
import type { PodError } from '../../../src/core/pods/index.js'
import { fixture, repoRoot } from '../../support/paths.js'
import { podProcesses, podSandbox } from './helpers.js'

// Crates run through the pod CrateRunner: each in a sandboxed pod on its own dependency set.

const { root, cacheDir } = await podSandbox()
const fixtureCrates = fixture('pods', 'crates')

function context(
  crate: string,
  phase: string,
  node: string,
  settings: Record<string, unknown> = {},
): CrateContextData {
  return {
    crate,
    phase,
    node: {
      name: node,
      id: node,
      group: 'web',
      address: '127.0.0.1',
      provider: 'node-list',
      facts: {
        os: { family: 'debian', id: 'debian', version: '12' },
        arch: 'x86_64',
        init: 'systemd',
        packageManager: 'apt',
        user: 'admin',
        isRoot: false,
        hostname: node,
      },
    },
    group: { name: 'web', count: 2, provider: 'node-list' },
    settings,
    environment: { site: { name: 'example' } },
    published: {
      'web-1': { groups: ['web'], facilities: { greeter: { node: 'web-1', version: '2.0.0' } } },
      'web-2': { groups: ['web'], facilities: { greeter: { node: 'web-2', version: '2.0.0' } } },
    },
    nodes: [],
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

describe('crates in pods', () => {
  let runner: CrateRunner
  let v1: ResolvedCrate
  let v2: ResolvedCrate
  before(async () => {
    v1 = await resolveCrate('uses-v1', [fixtureCrates])
    v2 = await resolveCrate('uses-v2', [fixtureCrates])
    runner = createPodCrateRunner({ crates: [v1, v2], cacheDir, limits: { timeoutMs: 20_000 } })
  })
  after(() => runner.close())

  it('two crates each see their own major of the same library', async () => {
    assert.equal(await runner.hasPhase(v1, 'configure'), true)
    assert.equal(await runner.hasPhase(v1, 'settings'), false)
    assert.equal(await runner.hasPhase(v2, 'settings'), true)
    const one = await runner.runPhase(v1, context('uses-v1', 'configure', 'web-1'))
    const two = await runner.runPhase(v2, context('uses-v2', 'configure', 'web-1'))
    // Published data comes back in objects without a prototype (a `__proto__` key stays a key).
    const bare = <T extends object>(value: T): T => Object.assign(Object.create(null), value)
    assert.deepEqual(one, {
      actions: [{ type: 'file', path: '/etc/greeting', content: 'hello, web-1 (fixture-lib 1.0.0)' }],
      published: bare({}),
      defaults: { path: '/etc/greeting' },
    })
    assert.deepEqual(two.actions, [
      // defaults merged under the group's settings; env.get and settingsOf work inside the pod
      { type: 'file', path: '/etc/greeting', content: 'Hello, web-1 of example? (fixture-lib 2.0.0)' },
      { type: 'line', path: '/etc/peers', line: 'web-1,web-2' },
    ])
    const published = await runner.runPhase(v2, context('uses-v2', 'settings', 'web-2'))
    assert.deepEqual(published, {
      actions: [],
      published: bare({ greeter: bare({ node: 'web-2', version: '2.0.0' }) }),
      defaults: { punctuation: '?' },
    })
  })

  it('reuses one pod per dependency set for every node of the run', async () => {
    const nodes = Array.from({ length: 40 }, (_, i) => `web-${i + 1}`)
    const outputs = await Promise.all(
      nodes.flatMap((node) => [
        runner.runPhase(v1, context('uses-v1', 'configure', node, { path: `/etc/${node}` })),
        runner.runPhase(v2, context('uses-v2', 'configure', node)),
      ]),
    )
    assert.equal(outputs.length, 80)
    assert.equal(outputs[78]!.actions[0]!.type, 'file')
    assert.equal((outputs[78]!.actions[0] as { path: string }).path, '/etc/web-40')
    assert.equal(podProcesses().length, 2, 'one pod for each of the two dependency sets')
  })
})

describe('a crate that fails', () => {
  let runner: CrateRunner
  let broken: ResolvedCrate
  before(async () => {
    broken = await resolveCrate('broken', [fixtureCrates])
    runner = createPodCrateRunner({ cacheDir, limits: { timeoutMs: 1500 } })
  })
  after(() => runner.close())

  it('names the crate, the phase and the node, with its own stack from inside the pod', async () => {
    await assert.rejects(runner.runPhase(broken, context('broken', 'configure', 'web-7')), (error: Error) => {
      assert.ok(error instanceof PodCrateError)
      assert.match(
        error.message,
        /^crate "broken", phase configure, node web-7: TypeError: Cannot read properties of undefined/,
      )
      // The crate's real file and the function that threw, not the link the pod reads it through.
      assert.match(error.stack ?? '', new RegExp(`at pickPort \\(file://${broken.dir}/index\\.js:3:`))
      assert.doesNotMatch(error.stack ?? '', /\.views/)
      return true
    })
  })

  it('stops an endless phase at the time limit, and the next run works', async () => {
    await assert.rejects(runner.runPhase(broken, context('broken', 'loop', 'web-1')), (error: Error) => {
      assert.ok(error instanceof PodCrateError)
      assert.equal(
        error.message,
        'crate "broken", phase loop, node web-1: the phase ran past the pod\'s 1500 ms time limit; the pod was stopped',
      )
      return true
    })
    await assert.rejects(runner.runPhase(broken, context('broken', 'configure', 'web-1')), PodCrateError)
    const ok = await runner.runPhase(broken, context('broken', 'configure', 'web-1', { ports: { http: 80 } }))
    assert.deepEqual(ok.actions, [{ type: 'exec', script: 'listen 80' }])
  })

  it('an endless phase on one node fails that node alone; the nodes running at once succeed', async () => {
    const ports = { ports: { http: 80 } }
    const runs = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6'].map((node) =>
      runner.runPhase(broken, context('broken', node === 'web-2' ? 'loop' : 'configure', node, ports)),
    )
    const results = await Promise.allSettled(runs)
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
    )
    assert.equal(
      ((results[1] as PromiseRejectedResult).reason as Error).message,
      'crate "broken", phase loop, node web-2: the phase ran past the pod\'s 1500 ms time limit; the pod was stopped',
    )
  })

  it('may only return data', async () => {
    await assert.rejects(
      runner.runPhase(broken, context('broken', 'returns-a-function', 'web-1')),
      /^PodCrateError: crate "broken", phase returns-a-function, node web-1: actions\[0\]\.script is a function; only data crosses a pod boundary/,
    )
  })

  it('a module without phases is a CrateError', async () => {
    const notACrate = await resolveCrate('not-a-crate', [fixtureCrates])
    await assert.rejects(runner.hasPhase(notACrate, 'configure'), (error: Error) => {
      assert.ok(error instanceof CrateError)
      assert.equal(
        error.message,
        `crate "not-a-crate": the module must export default { phases: { … } } (in ${notACrate.entry})`,
      )
      return true
    })
  })
})

describe('escape attempts from a crate', () => {
  let runner: CrateRunner
  let escaper: ResolvedCrate
  const home = join(root, 'home')
  const key = join(home, '.ssh', 'id_ed25519')
  const decoy = '-----BEGIN OPENSSH PRIVATE KEY-----\ndecoy\n-----END OPENSSH PRIVATE KEY-----\n'
  let addon: string

  before(async () => {
    await mkdir(join(home, '.ssh'), { recursive: true })
    await writeFile(key, decoy, { mode: 0o600 })
    process.env.HOME = home
    const crates = join(root, 'crates')
    await cp(join(fixtureCrates, 'escape'), join(crates, 'escape'), { recursive: true })
    // A real, built native addon from Forklift's own dependencies, copied where the crate may read it.
    const built = join(repoRoot, 'node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node')
    addon = join(crates, 'escape', 'addon.node')
    if (await exists(built)) await copyFile(built, addon)
    else await writeFile(addon, 'not really an addon: the denial comes before the file is opened')
    escaper = await resolveCrate('escape', [crates])
    runner = createPodCrateRunner({ crates: [escaper], cacheDir })
  })
  after(() => runner.close())

  /** Run a phase that must be denied: the pod-side error code, never a result. */
  async function denied(phase: string, settings: Record<string, unknown> = {}): Promise<string | undefined> {
    try {
      const output = await runner.runPhase(escaper, context('escape', phase, 'web-1', settings))
      assert.fail(`phase ${phase} escaped: ${JSON.stringify(output.actions)}`)
    } catch (error) {
      assert.ok(error instanceof PodCrateError, `${phase}: ${error}`)
      assert.match(error.message, new RegExp(`^crate "escape", phase ${phase}, node web-1: `))
      return (error.cause as PodError).code
    }
  }

  it('cannot write a file, not even into its own folder', async () => {
    const target = join(root, 'written.txt')
    assert.equal(await denied('write-file', { target }), 'ERR_ACCESS_DENIED')
    assert.equal(await exists(target), false)
    assert.equal(await denied('write-own-folder'), 'ERR_ACCESS_DENIED')
    assert.equal(await exists(join(escaper.dir, 'dropped.txt')), false)
  })

  it('cannot read an SSH key in HOME or /etc/shadow', async () => {
    assert.equal(await denied('read-ssh-key', { target: key }), 'ERR_ACCESS_DENIED')
    assert.equal(await denied('list-ssh-folder', { target: join(home, '.ssh') }), 'ERR_ACCESS_DENIED')
    assert.equal(await denied('read-shadow'), 'ERR_ACCESS_DENIED')
  })

  it('cannot start a process or a worker thread', async () => {
    const target = join(root, 'spawned')
    assert.equal(await denied('spawn-process', { target }), 'ERR_ACCESS_DENIED')
    assert.equal(await exists(target), false)
    assert.equal(await denied('start-worker'), 'ERR_ACCESS_DENIED')
  })

  it('cannot load a native addon', async () => {
    assert.equal(await denied('load-addon', { target: addon }), 'ERR_DLOPEN_DISABLED')
    assert.equal(await denied('dlopen-addon', { target: addon }), 'ERR_DLOPEN_DISABLED')
  })

  it("cannot read Forklift's own modules, by path or by import", async () => {
    const own = join(repoRoot, 'dist', 'src', 'index.js')
    assert.equal(await denied('read-forklift', { target: own }), 'ERR_ACCESS_DENIED')
    // Under bubblewrap the file is not even there to be refused.
    assert.match(
      (await denied('import-forklift', { target: own })) ?? '',
      /^ERR_(ACCESS_DENIED|MODULE_NOT_FOUND)$/,
    )
  })

  it('cannot signal another process', async (t) => {
    const victim = spawn('sleep', ['60'], { stdio: 'ignore' })
    t.after(() => victim.kill())
    assert.equal(await denied('signal-process', { pid: victim.pid }), 'ERR_ACCESS_DENIED')
    assert.equal(await denied('signal-process', { pid: process.pid }), 'ERR_ACCESS_DENIED')
    assert.equal(victim.exitCode, null)
    assert.equal(victim.signalCode, null)
  })

  it('cannot climb out of its own folder through the link it is read by', async () => {
    assert.equal(await denied('read-other-folder-through-link'), 'ERR_ACCESS_DENIED')
  })

  it("cannot see or change Forklift's environment", async () => {
    const name = 'FORKLIFT_CRATE_TEST_SECRET'
    process.env[name] = 'secret'
    const path = process.env.PATH
    try {
      const output = await runner.runPhase(escaper, context('escape', 'change-env', 'web-1', { name }))
      // The pod started with an empty environment: it saw only what it set itself.
      assert.deepEqual(JSON.parse((output.actions[0] as { script: string }).script), [name, 'PATH'].sort())
      assert.equal(process.env[name], 'secret')
      assert.equal(process.env.PATH, path)
    } finally {
      delete process.env[name]
    }
    assert.equal(await readFile(key, 'utf8'), decoy)
    assert.deepEqual((await readdir(escaper.dir)).sort(), ['addon.node', 'index.js', 'package.json'])
  })
})
