import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, before, describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { type CliResult, runCli } from '../../support/cli.js'
import { requireSshd, startSshNodes, type TestNodes } from '../../support/nodes.js'
import { catches, descendants, findProcess, tagged } from '../../support/proc.js'

// SIGINT (Ctrl-C), SIGTERM and SIGHUP through the real CLI: the first finishes the running scripts,
// starts nothing new and reports; a second (any of the three) aborts and leaves no process behind, on
// the node or here, and no temp file here. Folder nodes and real sshd nodes.

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

/** Wait until `check` holds (every 50 ms, up to `tries` times); whether it did. */
async function eventually(check: () => Promise<boolean>, tries = 400): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return check()
}

interface Running {
  pid: number
  /** What it printed so far, stdout and stderr. */
  output(): string
  done: Promise<CliResult>
}

// Runs a failed test left going: each test stops them (afterEach).
const running = new Set<Running>()

function start(args: string[], cwd: string, env: NodeJS.ProcessEnv): Running {
  let pid = 0
  let out = ''
  const done = runCli(args, {
    cwd,
    env,
    onSpawn: (p) => {
      pid = p
    },
    onStdout: (chunk) => {
      out += chunk
    },
    onStderr: (chunk) => {
      out += chunk
    },
  })
  // runCli spawns at once: pid is known here.
  const run = { pid, output: () => out, done }
  running.add(run)
  void done.finally(() => running.delete(run))
  return run
}

async function stopLeftovers(): Promise<void> {
  for (const run of running) {
    process.kill(run.pid, 'SIGKILL')
    await run.done
  }
}

/** Send `signals` one after the other, each once the CLI has said it saw the one before. */
async function interrupt(run: Running, signals: NodeJS.Signals[]): Promise<void> {
  for (const [i, signal] of signals.entries()) {
    if (i > 0) {
      const seen = await eventually(async () => run.output().includes('starting nothing new'))
      assert.ok(seen, `the first interrupt was not reported: ${run.output()}`)
    }
    process.kill(run.pid, signal)
  }
}

const json = (stdout: string) => JSON.parse(stdout) as RunResult

afterEach(stopLeftovers)

const first = {
  SIGINT: 'interrupted: finishing running scripts, starting nothing new (press Ctrl-C again to abort)',
  SIGTERM:
    'interrupted (SIGTERM): finishing running scripts, starting nothing new (another SIGTERM, SIGHUP or Ctrl-C aborts)',
  SIGHUP:
    'interrupted (SIGHUP): finishing running scripts, starting nothing new (another SIGTERM, SIGHUP or Ctrl-C aborts)',
}

describe('interrupts on folder nodes', () => {
  let dir: string
  let tmp: string
  let tag: string
  let env: NodeJS.ProcessEnv
  const root = () => join(dir, 'nodes', 'slow-1')

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-signals-'))
    tmp = join(dir, 'tmp')
    tag = `FORKLIFT_SIGNALS_TAG=${randomBytes(6).toString('hex')}`
    env = { TMPDIR: tmp }
  })
  after(() => rm(dir, { recursive: true, force: true }))

  /** A fresh project (and an empty TMPDIR): the configure script notes its temp folder, starts, sleeps `seconds`. */
  async function project(seconds: number, extra = '') {
    await rm(join(dir, 'nodes'), { recursive: true, force: true })
    await rm(tmp, { recursive: true, force: true })
    await mkdir(tmp)
    await writeFile(
      join(dir, 'forklift.yaml'),
      `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  slow:
    provider: box
    count: 1
    phases:
      configure:
        - type: exec
          env: { ${tag.split('=')[0]}: "${tag.split('=')[1]}" }
          script: 'dirname "$0" > tmpdir; ${extra}touch started; sleep ${seconds}; touch slept'
      deploy:
        - { type: exec, script: "touch deployed" }
`,
    )
  }
  const started = () => eventually(() => exists(join(root(), 'started')))
  const nothingLeft = async () => {
    assert.ok(await eventually(async () => (await tagged(tag)).length === 0), 'processes left')
    assert.deepEqual(await tagged(tag), [], 'processes left here')
    assert.deepEqual(await readdir(tmp), [], 'temp files left in TMPDIR')
  }

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} mid-phase: the running script finishes, nothing new starts, the JSON is whole, exit 1`, async () => {
      await project(2)
      const run = start(['converge', '--phase', 'deploy', '--json'], dir, env)
      assert.ok(await started(), 'the script did not start')
      process.kill(run.pid, signal)
      const result = await run.done
      assert.equal(result.code, 1, result.stderr)
      const report = json(result.stdout)
      assert.equal(report.interrupted, true)
      assert.equal(report.stopped, 'interrupted')
      const group = report.groups[0]!
      assert.deepEqual(
        group.nodes.map((n) => [n.name, n.status, n.skipped]),
        [['slow-1', 'skipped', { reason: 'interrupted', phases: ['deploy'] }]],
      )
      assert.deepEqual(
        group.phases.map((p) => `${p.phase}:${p.status}`),
        ['bootstrap:changed', 'settings:ok', 'configure:changed'],
      )
      assert.ok(await exists(join(root(), 'slept')), 'the running script finished')
      assert.equal(await exists(join(root(), 'deployed')), false, 'no new phase started')
      // Under --json the notice goes to stderr, at once; stdout holds the report alone.
      assert.equal(result.stderr, `${first[signal]}\n`)
      await nothingLeft()
    })
  }

  it('SIGHUP mid-phase, plain output: the notice names it and the summary prints', async () => {
    await project(2)
    const run = start(['converge', '--phase', 'deploy'], dir, env)
    assert.ok(await started(), 'the script did not start')
    process.kill(run.pid, 'SIGHUP')
    const result = await run.done
    assert.equal(result.code, 1, result.stderr)
    assert.ok(result.stdout.includes(first.SIGHUP), result.stdout)
    assert.match(
      result.stdout,
      /\nconverge interrupted in [\d.]+m?s\n {2}slow: 1 node\(s\), 1 skipped \(interrupted\)/,
    )
    assert.ok(await exists(join(root(), 'slept')), 'the running script finished')
    await nothingLeft()
  })

  for (const signals of [
    ['SIGTERM', 'SIGTERM'],
    ['SIGTERM', 'SIGHUP'],
    ['SIGHUP', 'SIGINT'],
    ['SIGINT', 'SIGINT'],
  ] as NodeJS.Signals[][]) {
    it(`${signals.join(' then ')}: the second aborts the script; no process, temp folder or file is left`, async () => {
      await project(60)
      const run = start(['converge', '--phase', 'deploy', '--json'], dir, env)
      assert.ok(await started(), 'the script did not start')
      await interrupt(run, signals)
      const result = await run.done
      assert.equal(result.code, 1, result.stderr)
      const report = json(result.stdout)
      assert.equal(report.interrupted, true)
      const group = report.groups[0]!
      assert.deepEqual(
        group.nodes.map((n) => [n.name, n.status]),
        [['slow-1', 'interrupted']],
      )
      assert.equal(await exists(join(root(), 'slept')), false, 'the script was not aborted')
      const scriptTemp = (await readFile(join(root(), 'tmpdir'), 'utf8')).trim()
      assert.ok(scriptTemp.startsWith(`${tmp}/`), scriptTemp)
      assert.equal(await exists(scriptTemp), false, `${scriptTemp} (holding the exec script) is left`)
      await nothingLeft()
    })
  }

  it('a script ignoring SIGTERM is killed after the grace; its temp folder is still removed', async () => {
    await project(60, 'trap "" TERM; ')
    const run = start(['converge', '--phase', 'deploy', '--json'], dir, env)
    assert.ok(await started(), 'the script did not start')
    await interrupt(run, ['SIGTERM', 'SIGTERM'])
    const result = await run.done
    assert.equal(result.code, 1, result.stderr)
    assert.equal(json(result.stdout).groups[0]!.nodes[0]!.status, 'interrupted')
    await nothingLeft()
  })

  it('a third signal while the abort waits for a script exits at once; still nothing is left', async () => {
    await project(60, 'trap "" TERM; ')
    const run = start(['converge', '--phase', 'deploy'], dir, env)
    assert.ok(await started(), 'the script did not start')
    await interrupt(run, ['SIGTERM', 'SIGTERM'])
    assert.ok(
      await eventually(async () => run.output().includes('interrupted again (SIGTERM)')),
      run.output(),
    )
    process.kill(run.pid, 'SIGTERM')
    const result = await run.done
    assert.equal(result.code, 143, result.stdout + result.stderr)
    await nothingLeft()
  })

  it('a phase script killed outright (an error, no trap run) leaves no temp folder here', async () => {
    await project(0, 'kill -KILL $PPID; ')
    const result = await runCli(['converge', '--phase', 'deploy', '--json'], { cwd: dir, env })
    assert.equal(result.code, 1, result.stderr)
    const node = json(result.stdout).groups[0]!.nodes[0]!
    assert.deepEqual([node.status, node.failedPhase], ['failed', 'configure'])
    await nothingLeft()
  })

  it('a failing run and a config error leave no temp file', async () => {
    await project(0, 'exit 3; ')
    const failed = await runCli(['converge', '--phase', 'deploy'], { cwd: dir, env })
    assert.equal(failed.code, 1, failed.stderr)
    await nothingLeft()
    await writeFile(join(dir, 'forklift.yaml'), 'groups: [\n')
    const broken = await runCli(['converge'], { cwd: dir, env })
    assert.equal(broken.code, 2, broken.stderr)
    await nothingLeft()
  })

  /** Start a run and send `signals` as soon as the CLI holds interrupts (it catches SIGHUP): while it still loads. */
  async function early(args: string[], signals: NodeJS.Signals[]) {
    const run = start(args, dir, env)
    const held = await eventually(() => catches(run.pid, 1), 200)
    if (!held) {
      process.kill(run.pid, 'SIGKILL')
      await run.done
      assert.fail('the CLI never took SIGHUP: an interrupt while it loads ends it silently')
    }
    for (const signal of signals) process.kill(run.pid, signal)
    return run.done
  }

  it('SIGTERM in the first moments: the JSON report says interrupted, nothing was created', async () => {
    await project(2)
    const result = await early(['converge', '--phase', 'deploy', '--json'], ['SIGTERM'])
    assert.equal(result.code, 1, result.stderr)
    const report = json(result.stdout)
    assert.equal(report.interrupted, true)
    assert.equal(report.stopped, 'interrupted')
    assert.equal(report.ok, false)
    assert.deepEqual(report.groups[0]!.created, [])
    assert.equal(await exists(join(dir, 'nodes', 'slow-1')), false, 'a node was created')
    await nothingLeft()
  })

  it('Ctrl-C in the first moments: the notice and the summary print', async () => {
    await project(2)
    const result = await early(['converge', '--phase', 'deploy'], ['SIGINT'])
    assert.equal(result.code, 1, result.stderr)
    assert.ok(result.stdout.includes(first.SIGINT), result.stdout)
    assert.match(
      result.stdout,
      /WARN interrupted before the count changed: 1 node\(s\) not created, 0 not destroyed/,
    )
    assert.match(result.stdout, /\nconverge interrupted in [\d.]+m?s\n/)
    await nothingLeft()
  })

  it('SIGHUP then SIGTERM in the first moments: aborted, and the report still prints', async () => {
    await project(2)
    // On nodes that exist: lift has nothing to create, the nodes are skipped.
    const made = await runCli(['converge', '--phase', 'deploy'], { cwd: dir, env })
    assert.equal(made.code, 0, made.stderr)
    const result = await early(['lift', '--phase', 'deploy', '--json'], ['SIGHUP', 'SIGTERM'])
    assert.equal(result.code, 1, result.stderr)
    const report = json(result.stdout)
    assert.equal(report.interrupted, true)
    assert.deepEqual(
      report.groups[0]!.nodes.map((n) => [n.name, n.status, n.skipped?.reason]),
      [['slow-1', 'skipped', 'interrupted']],
    )
    await nothingLeft()
  })
})

describe('interrupts over SSH (a real sshd node)', () => {
  let lab: TestNodes
  let dir: string
  let tag: string
  let env: NodeJS.ProcessEnv
  let skip = false
  /** Runs on the node (this machine): the script writes its marks here. */
  let marks: string

  before(async (t) => {
    if (!requireSshd(t as never)) {
      skip = true
      return
    }
    lab = await startSshNodes(t as never, { count: 1, prefix: 'sig' })
    dir = await mkdtemp(join(tmpdir(), 'forklift-signals-ssh-'))
    marks = join(dir, 'marks')
    tag = `FORKLIFT_SIGNALS_TAG=${randomBytes(6).toString('hex')}`
    const node = lab.nodes[0]!
    await writeFile(
      join(dir, 'forklift.yaml'),
      `
providers:
  lab:
    type: node-list
    settings:
      nodes:
        - { name: web-1, address: "${node.address}", port: ${node.port}, user: root, group: web }
groups:
  web:
    provider: lab
    login:
      identity-file: ${lab.clientKey}
    phases:
      slow:
        - type: exec
          env: { ${tag.split('=')[0]}: "${tag.split('=')[1]}" }
          script: 'dirname "$0" > ${marks}/tmpdir; touch ${marks}/started; sleep "$(cat ${marks}/seconds)"; touch ${marks}/slept'
      after:
        - { type: exec, script: "touch ${marks}/after" }
`,
    )
    const config = join(dir, 'xdg')
    await mkdir(join(config, 'forklift'), { recursive: true })
    await writeFile(join(config, 'forklift', 'known_hosts'), await readFile(lab.knownHosts))
    env = { XDG_CONFIG_HOME: config, HOME: dir, SSH_AUTH_SOCK: '' }
  })
  after(async () => {
    if (skip) return
    await lab?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  async function marked(seconds: number) {
    await rm(marks, { recursive: true, force: true })
    await mkdir(marks)
    await writeFile(join(marks, 'seconds'), String(seconds))
  }
  /** The node's sessions: what runs below its sshd (the listener itself and its unshare parent left out). */
  async function sessions(): Promise<string[]> {
    const config = join(lab.nodes[0]!.dir, 'sshd_config')
    const daemons = await findProcess(config)
    const below = (await Promise.all(daemons.map((pid) => descendants(pid)))).flat()
    return [...new Set(below)].filter((p) => !p.includes(config))
  }
  const nothingLeft = async () => {
    assert.ok(await eventually(async () => (await sessions()).length === 0), 'sessions left on the node')
    assert.deepEqual(await sessions(), [], 'processes left under the node’s sshd')
    assert.deepEqual(await tagged(tag), [], 'processes left on the node or here')
  }

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} mid-phase: the remote script finishes, the next phase does not start, JSON whole, exit 1`, async (t) => {
      if (skip) return t.skip('no sshd')
      await marked(2)
      const run = start(['lift', '--phase', 'slow', '--phase', 'after', '--json'], dir, env)
      assert.ok(await eventually(() => exists(join(marks, 'started'))), 'the script did not start')
      process.kill(run.pid, signal)
      const result = await run.done
      assert.equal(result.code, 1, result.stderr)
      const report = json(result.stdout)
      assert.equal(report.interrupted, true)
      assert.equal(report.stopped, 'interrupted')
      const web = report.groups[0]!
      assert.deepEqual(
        web.nodes.map((n) => [n.name, n.status, n.skipped]),
        [['web-1', 'skipped', { reason: 'interrupted', phases: ['after'] }]],
      )
      assert.deepEqual(
        web.phases.map((p) => `${p.phase}:${p.status}`),
        ['settings:ok', 'slow:changed'],
      )
      assert.ok(await exists(join(marks, 'slept')), 'the running script finished')
      assert.equal(await exists(join(marks, 'after')), false, 'the next phase started')
      await nothingLeft()
    })
  }

  for (const signals of [
    ['SIGTERM', 'SIGTERM'],
    ['SIGHUP', 'SIGHUP'],
  ] as NodeJS.Signals[][]) {
    it(`${signals.join(' then ')}: the remote script is aborted; nothing is left on the node or here`, async (t) => {
      if (skip) return t.skip('no sshd')
      await marked(60)
      const run = start(['lift', '--phase', 'slow', '--phase', 'after', '--json'], dir, env)
      assert.ok(await eventually(() => exists(join(marks, 'started'))), 'the script did not start')
      await interrupt(run, signals)
      const result = await run.done
      assert.equal(result.code, 1, result.stderr)
      const report = json(result.stdout)
      assert.equal(report.interrupted, true)
      assert.deepEqual(
        report.groups[0]!.nodes.map((n) => [n.name, n.status]),
        [['web-1', 'interrupted']],
      )
      assert.equal(await exists(join(marks, 'slept')), false, 'the script was not aborted')
      const scriptTemp = (await readFile(join(marks, 'tmpdir'), 'utf8')).trim()
      assert.equal(await exists(scriptTemp), false, `${scriptTemp} is left on the node`)
      await nothingLeft()
    })
  }
})
