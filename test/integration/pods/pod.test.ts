import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import {
  destroyPod,
  makePod,
  type Pod,
  PodError,
  PodExitError,
  PodUsageError,
  PodValueError,
} from '../../../src/core/pods/index.js'
import { deathSignalPrefix } from '../../../src/core/pods/orphans.js'
import { repoRoot } from '../../support/paths.js'
import { requireThat } from '../../support/require.js'
import { alive, cpuTicks, eventually, libV2, podSandbox, processTree, running } from './helpers.js'

// A real pod: a separate, sandboxed Node process with fixture-lib 2 as its only dependency.

const { root, cacheDir } = await podSandbox()

describe('a pod', () => {
  let pod: Pod
  const lib = join(root, 'lib')
  const secret = 'FORKLIFT_POD_TEST_SECRET'

  before(async () => {
    await mkdir(lib)
    await writeFile(
      join(lib, 'helpers.js'),
      "import { greet } from 'fixture-lib'\nexport const twice = (n) => n * 2\nexport const hello = (name) => greet({ name })\nexport const fail = () => greet()\nexport default 'the default'\n",
    )
    await writeFile(join(lib, 'package.json'), '{ "type": "module" }\n')
    process.env[secret] = 'do not leak'
    pod = await makePod({
      dependencies: [libV2],
      paths: [lib],
      cacheDir,
      limits: { timeoutMs: 10_000, heapMb: 128 },
    })
  })
  after(async () => {
    delete process.env[secret]
    if (pod) await destroyPod(pod)
  })

  it('evaluates code and returns the value of the last statement', async () => {
    assert.equal(await pod.eval('1 + 2'), 3)
    assert.equal(await pod.eval('const a = 20; a + 22'), 42)
    assert.deepEqual(await pod.eval('({ list: [1, "two", null], nested: { ok: true } })'), {
      list: [1, 'two', null],
      nested: { ok: true },
    })
  })

  it('gives evaluated code its bindings and awaits a returned promise', async () => {
    assert.equal(await pod.eval('a + b.length', { a: 40, b: [1, 2] }), 42)
    assert.equal(await pod.eval('Promise.resolve(name.toUpperCase())', { name: 'pod' }), 'POD')
    await assert.rejects(pod.eval('1', { require: 1 }), PodUsageError)
    await assert.rejects(pod.eval('1', { 'not-a-name': 1 }), /binding "not-a-name"/)
  })

  it('resolves modules from its own dependency set', async () => {
    assert.equal(await pod.eval("import('fixture-lib').then((m) => m.version)"), '2.0.0')
    assert.equal(await pod.call('fixture-lib#greet', { name: 'Ada' }), 'Hello, Ada!')
    assert.equal(await pod.call('fixture-lib#version'), '2.0.0')
  })

  it("cannot load Forklift's own dependencies", async () => {
    // Forklift itself depends on yaml; the pod's set does not.
    await assert.rejects(pod.eval("require('yaml')"), (error: PodError) => {
      assert.ok(error instanceof PodError)
      assert.equal(error.code, 'MODULE_NOT_FOUND')
      assert.match(error.message, /Cannot find module 'yaml'/)
      return true
    })
    await assert.rejects(pod.call('yaml#parse', 'a: 1'), /Cannot find package 'yaml'/)
  })

  it('calls modules from its paths, which import from its dependencies', async () => {
    assert.equal(await pod.call('./helpers.js#twice', 21), 42)
    assert.equal(await pod.call('helpers.js#hello', 'path'), 'Hello, path!')
    assert.equal(await pod.call(`${lib}/helpers.js`), 'the default')
    await assert.rejects(pod.call('./missing.js#x'), /in none of the pod's paths/)
    await assert.rejects(pod.call('./helpers.js#nope'), /has no export "nope"/)
  })

  it('require loads a module ahead of use', async () => {
    await pod.require('fixture-lib')
    await assert.rejects(pod.require('not-installed-anywhere'), PodError)
  })

  it("raises the pod's errors as PodError with the pod-side stack", async () => {
    await assert.rejects(
      pod.eval('function inner() { throw new RangeError("too far") }\ninner()'),
      (error: PodError) => {
        assert.ok(error instanceof PodError)
        assert.equal(error.remoteName, 'RangeError')
        assert.equal(error.message, 'too far')
        assert.match(error.podStack, /at inner \(pod-eval:1:/)
        assert.equal(error.stack, error.podStack)
        return true
      },
    )
    await assert.rejects(pod.call('./helpers.js#fail'), (error: PodError) => {
      assert.equal(error.remoteName, 'TypeError')
      // greet destructures its argument: the frame points into fixture-lib inside the pod.
      assert.match(error.podStack, /fixture-lib\/index\.js/)
      assert.match(error.podStack, new RegExp(`${lib}/helpers\\.js`))
      return true
    })
  })

  it('keeps its output apart from the values it returns', async () => {
    const value = await pod.eval('console.log("{\\"not\\": \\"the value\\"}"); console.error("to stderr"); 7')
    assert.equal(value, 7)
    // Output travels on its own pipes: wait until it has arrived.
    for (let i = 0; i < 100 && !pod.logs().stderr.includes('to stderr'); i++)
      await new Promise((r) => setTimeout(r, 10))
    assert.match(pod.logs().stdout, /\{"not": "the value"\}/)
    assert.match(pod.logs().stderr, /to stderr/)
  })

  it("starts with a clean environment: none of Forklift's variables", async () => {
    const env = await pod.eval<Record<string, string>>('({ ...process.env })')
    assert.equal(env[secret], undefined)
    assert.equal(env.PATH, undefined)
    const cwd = await pod.eval<string>('process.cwd()')
    assert.ok(cwd.startsWith(cacheDir), `${cwd} is not in the pod cache`)
  })

  it('shares one installed set between pods of the same dependencies', async () => {
    const other = await makePod({ dependencies: [libV2], cacheDir })
    try {
      assert.equal(other.set.hash, pod.set.hash)
      assert.deepEqual(other.set.packages, [{ name: 'fixture-lib', version: '2.0.0' }])
      assert.notEqual(other.pid, pod.pid)
    } finally {
      await destroyPod(other)
    }
  })

  it("outlives a terminal's Ctrl-C: Forklift decides what an interrupt ends", async () => {
    // A terminal's Ctrl-C is SIGINT to the foreground process group: Forklift's, here a parent of its own.
    const script = `
      const { makePod } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/core/pods/index.js')).href)})
      const pod = await makePod({ cacheDir: ${JSON.stringify(cacheDir)} })
      process.on('SIGINT', async () => { console.log('answer ' + (await pod.eval('6 * 7')) + ' from ' + pod.pid); process.exit(0) })
      console.log(pod.pid)`
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    })
    try {
      let out = ''
      parent.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d
      })
      await eventually(() => /^\d+\n/.test(out), 'the parent made its pod')
      const podPid = Number(out.trim())
      process.kill(-parent.pid!, 'SIGINT')
      await eventually(() => out.includes('answer'), 'the parent asked its pod after Ctrl-C')
      // The same process answered: the pod was not ended and restarted.
      assert.match(out, new RegExp(`answer 42 from ${podPid}\\n`))
    } finally {
      parent.kill('SIGKILL')
    }
  })

  it('destroyPod ends the process; later calls fail', async () => {
    const short = await makePod({ cacheDir })
    const pid = short.pid!
    assert.ok(alive(pid))
    await destroyPod(short)
    assert.equal(alive(pid), false)
    assert.equal(short.destroyed, true)
    await assert.rejects(short.eval('1'), PodExitError)
  })

  it('ends when Forklift ends, even killed without a word', async () => {
    const script = `
      const { makePod } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/core/pods/index.js')).href)})
      const pod = await makePod({ cacheDir: ${JSON.stringify(cacheDir)} })
      console.log(pod.pid)
      setInterval(() => {}, 1000)`
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const podPid = await new Promise<number>((resolve) =>
      parent.stdout.once('data', (d) => resolve(Number(String(d)))),
    )
    assert.ok(alive(podPid))
    const tree = processTree(podPid)
    parent.kill('SIGKILL')
    await eventually(() => !tree.some(running), 'the orphaned pod exits, every process of it')
  })

  it('ends when Forklift is killed while the pod is busy in a call', async (t) => {
    const prefix = await deathSignalPrefix()
    if (!requireThat(t, prefix.length > 0, 'needs util-linux setpriv with --pdeathsig')) return
    // The pod's loop never looks at its IPC channel: only the parent-death signal can end it.
    const script = `
      const { makePod } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/core/pods/index.js')).href)})
      const pod = await makePod({ cacheDir: ${JSON.stringify(cacheDir)}, limits: { timeoutMs: 600000 } })
      pod.eval('for (;;) {}').catch(() => {})
      console.log(pod.pid)
      setInterval(() => {}, 1000)`
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let podPid = 0
    try {
      podPid = await new Promise<number>((resolve) =>
        parent.stdout.once('data', (d) => resolve(Number(String(d)))),
      )
      const busy = () => processTree(podPid).reduce((sum, pid) => sum + cpuTicks(pid), 0)
      await eventually(() => busy() > 20, 'the pod is busy in its loop')
      const tree = processTree(podPid)
      parent.kill('SIGKILL')
      await eventually(() => !tree.some(running), 'the busy orphaned pod exits, every process of it')
    } finally {
      parent.kill('SIGKILL')
      for (const pid of podPid ? processTree(podPid) : []) if (running(pid)) process.kill(pid, 'SIGKILL')
    }
  })

  it('refuses values that are not data before sending them', async () => {
    await assert.rejects(pod.call('./helpers.js#twice', { f: () => 1 }), (error: Error) => {
      assert.ok(error instanceof PodValueError)
      assert.equal(error.message.split(';')[0], 'args[0].f is a function')
      return true
    })
  })

  it('reads nothing of Forklift by path', async () => {
    await assert.rejects(
      pod.eval('require("node:fs").readFileSync(file, "utf8")', { file: join(repoRoot, 'package.json') }),
      (error: PodError) => error.code === 'ERR_ACCESS_DENIED',
    )
  })
})
