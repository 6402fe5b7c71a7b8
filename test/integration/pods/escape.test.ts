import assert from 'node:assert/strict'
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { runCli } from '../../support/cli.js'
import { requireSshd, startSshNodes, type TestNodes } from '../../support/nodes.js'
import { requireThat, requireTools } from '../../support/require.js'
import { libV2 } from './helpers.js'

// The escape suite: every attack a hostile crate author tried, run twice — as code given to
// `forklift pod eval` and as a crate's configure phase in a real `forklift lift` over SSH — under
// bubblewrap and under the unshare fallback (bubblewrap taken off PATH). Each must be denied, with
// Forklift alive and its report intact. Attacks on files that only bubblewrap stops (links inside a
// granted folder, the parent of a view link) are marked so: under unshare Node's permission model is
// all there is, as docs/security.md says.

const SECRET = 'SECRET-b7f3c1d9e2'

/** An attack: the body of an async function run in the pod; what it returns is its outcome. */
interface Attack {
  name: string
  body: string
  /** The pod ends as crashed (a hostile message): the call fails, the next one works. */
  crashes?: RegExp
  /** The call fails cleanly with this error (the pod lives on). */
  fails?: RegExp
  /** Only bubblewrap stops it (files); under unshare it is a documented gap. */
  bwrapOnly?: boolean
  /**
   * Aimed at the pod's parent, which in its own PID namespace is the sandbox's init, not Forklift: any
   * outcome; what counts is that Forklift lives, reports, and opened no inspector.
   */
  atParent?: boolean
}

// Placeholders filled in per run: VICTIM (a process the test started), PORT (a listener the test
// opened on 127.0.0.1), KEY (the user's SSH key), YAML (forklift.yaml with a secret), CRATES (the
// crates folder), OUT (where crates in a lift write their outcome).
const tryIt = (what: string) =>
  `try { const r = ${what}; return 'done ' + String(r).slice(0, 200) } catch (e) { return 'denied ' + (e.code || e.message) }`

const read = (path: string) => tryIt(`require('fs').readFileSync(${path}, 'utf8')`)

const connect = (port: string) =>
  `return await new Promise((res) => { const s = require('net').connect(${port}, '127.0.0.1'); s.on('connect', () => { s.destroy(); res('connected') }); s.on('error', (e) => res('denied ' + e.code)); setTimeout(() => { s.destroy(); res('denied timeout') }, 3000) })`

/** Write one raw frame on the pod's channel (descriptor 3), then never answer. */
const frame = (message: string) =>
  `const v8 = require('v8'); const body = v8.serialize(${message}); const head = Buffer.alloc(4); head.writeUInt32BE(body.length); require('fs').writeSync(3, Buffer.concat([head, body])); await new Promise(() => {})`

const raw = (bytes: string) => `require('fs').writeSync(3, ${bytes}); await new Promise(() => {})`

const ATTACKS: Attack[] = [
  { name: 'kill-parent', body: tryIt("process.kill(process.ppid, 'SIGKILL')"), atParent: true },
  { name: 'kill-victim', body: tryIt("process.kill(VICTIM, 'SIGKILL')") },
  { name: 'usr1-victim', body: tryIt("process.kill(VICTIM, 'SIGUSR1')") },
  {
    name: 'raw-kill-victim',
    body: tryIt("process.binding('process_methods')._kill(VICTIM, 9)"),
  },
  { name: 'debug-parent', body: tryIt('process._debugProcess(process.ppid)'), atParent: true },
  { name: 'debug-victim', body: tryIt('process._debugProcess(VICTIM)') },
  {
    name: 'inspector',
    body: `try { process._debugProcess(process.ppid) } catch {}\nawait new Promise((r) => setTimeout(r, 300))\n${connect('9229')}`,
  },
  { name: 'renice-victim', body: tryIt("require('os').setPriority(VICTIM, 19)") },
  { name: 'tcp-listener', body: connect('PORT') },
  { name: 'read-shadow', body: read("'/etc/shadow'") },
  { name: 'read-ssh-key', body: read('KEY') },
  { name: 'read-forklift-yaml', body: read('YAML') },
  { name: 'read-parent-environ', body: read('`/proc/${process.ppid}/environ`') },
  { name: 'read-parent-cmdline', body: read('`/proc/${process.ppid}/cmdline`') },
  { name: 'read-victim-environ', body: read('`/proc/VICTIM/environ`') },
  { name: 'read-link-in-path', body: read("HERE + '/key-link'"), bwrapOnly: true },
  { name: 'read-view-parent', body: read("process.cwd() + '/l0/../secret.txt'"), bwrapOnly: true },
  { name: 'write-tmp', body: tryIt("require('fs').writeFileSync('/tmp/forklift-escape-written', 'x')") },
  { name: 'write-crates', body: tryIt("require('fs').writeFileSync(CRATES + '/written', 'x')") },
  { name: 'write-cwd', body: tryIt("require('fs').writeFileSync('written', 'x')") },
  { name: 'child-process', body: tryIt("require('child_process').execFileSync('/bin/sh', ['-c', 'id'])") },
  {
    name: 'worker',
    body: tryIt("new (require('worker_threads').Worker)('1', { eval: true })"),
  },
  { name: 'native-addon', body: tryIt("process.dlopen({ exports: {} }, '/usr/lib/addon.node')") },
  { name: 'wasi', body: tryIt("new (require('wasi').WASI)({ version: 'preview1' })") },
  {
    name: 'trace-events',
    // Node 20 lets tracing start and its file goes nowhere; Node 24's permission model refuses it.
    body: `let t; try { t = require('trace_events').createTracing({ categories: ['node', 'v8'] }); t.enable() } catch (e) { return 'denied ' + (e.code || e.message) } for (let i = 0; i < 1e5; i++) JSON.stringify({ i }); await new Promise((r) => setTimeout(r, 300)); t.disable(); return 'traced'`,
  },
  {
    name: 'reply-no-error',
    body: frame("{ type: 'reply', id: ID, ok: false }"),
    crashes: /error that is not an object/,
  },
  { name: 'message-null', body: frame('null'), crashes: /not an object/ },
  {
    name: 'error-message-object',
    body: frame("{ type: 'reply', id: ID, ok: false, error: { name: 'E', message: { a: 1 } } }"),
    crashes: /without a name and message/,
  },
  { name: 'raw-bytes', body: raw('Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5])'), crashes: /no value/ },
  { name: 'raw-text', body: raw("'hello, forklift'"), crashes: /over its limit/ },
  {
    name: 'reply-to-no-call',
    body: frame("{ type: 'reply', id: 987654, ok: true, value: 1 }"),
    crashes: /reply to no call/,
  },
  {
    name: 'invalid-date-forged',
    body: frame("{ type: 'reply', id: ID, ok: true, value: new Date(NaN) }"),
    crashes: /invalid Date/,
  },
  {
    name: 'huge-frame-header',
    body: raw('(() => { const h = Buffer.alloc(4); h.writeUInt32BE(400 * 1024 * 1024); return h })()'),
    crashes: /400 MB, over its limit of 64 MB/,
  },
  { name: 'invalid-date', body: 'return new Date(NaN)', fails: /invalid Date/ },
  {
    name: 'oversized-reply',
    body: "return 'x'.repeat(70 * 1024 * 1024)",
    fails: /over the pod's limit of 64\.0 MB/,
  },
]

/** What a denied attack may say: never a secret, never done for what must not be done. */
function assertDenied(attack: Attack, outcome: string, where: string): void {
  assert.ok(!outcome.includes(SECRET), `${where} ${attack.name}: leaked a secret: ${outcome}`)
  if (attack.atParent) return
  // What counts for tracing is that no trace file is written (assertUnharmed).
  if (attack.name === 'trace-events') assert.match(outcome, /^(denied ERR_ACCESS_DENIED|traced)$/, where)
  else assert.match(outcome, /^denied /, `${where} ${attack.name}: ${outcome}`)
}

/** A folder of links to every program in /usr/bin but bwrap: a PATH on which bubblewrap is missing. */
async function pathWithoutBwrap(dir: string): Promise<string> {
  const bin = join(dir, 'bin-without-bwrap')
  await mkdir(bin, { recursive: true })
  for (const name of readdirSync('/usr/bin')) {
    if (name !== 'bwrap') await symlink(join('/usr/bin', name), join(bin, name))
  }
  return bin
}

interface Lab {
  dir: string
  victim: ChildProcess
  listener: Server
  connections: number
  port: number
  /** The attack's code with the lab's places in it; HERE is the folder the pod was given. */
  fill(code: string, here: string): string
}

async function makeLab(): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), 'forklift-escape-'))
  await mkdir(join(dir, 'home', '.ssh'), { recursive: true })
  await writeFile(join(dir, 'home', '.ssh', 'id_ed25519'), `-----BEGIN KEY-----\n${SECRET}\n`)
  await mkdir(join(dir, 'crates', 'victim'), { recursive: true })
  await writeFile(join(dir, 'crates', 'secret.txt'), `${SECRET}\n`)
  await symlink(join(dir, 'home', '.ssh', 'id_ed25519'), join(dir, 'crates', 'victim', 'key-link'))
  await writeFile(join(dir, 'crates', 'victim', 'index.js'), 'export default { phases: {} }\n')
  const victim = spawn('sleep', ['600'], { stdio: 'ignore' })
  const lab: Lab = {
    dir,
    victim,
    listener: createServer((socket) => {
      lab.connections++
      socket.destroy()
    }),
    connections: 0,
    port: 0,
    fill: (code, here) =>
      code
        .replaceAll('HERE', JSON.stringify(here))
        .replaceAll('VICTIM', String(victim.pid))
        .replaceAll('PORT', String(lab.port))
        .replaceAll('KEY', JSON.stringify(join(dir, 'home', '.ssh', 'id_ed25519')))
        .replaceAll('YAML', JSON.stringify(join(dir, 'forklift.yaml')))
        .replaceAll('CRATES', JSON.stringify(join(dir, 'crates')))
        .replaceAll('id: ID', 'id: 1'),
  }
  await new Promise<void>((resolve) => lab.listener.listen(0, '127.0.0.1', resolve))
  lab.port = (lab.listener.address() as { port: number }).port
  return lab
}

async function closeLab(lab: Lab | undefined): Promise<void> {
  if (!lab) return
  lab.victim.kill('SIGKILL')
  await new Promise((resolve) => lab.listener.close(resolve))
  await rm(lab.dir, { recursive: true, force: true })
}

/** What stays true after every attack: the victim lives, no one connected, nothing was written. */
function assertUnharmed(lab: Lab, where: string): void {
  assert.equal(lab.victim.exitCode, null, `${where}: the victim process was killed`)
  assert.equal(lab.victim.signalCode, null, `${where}: the victim process was signalled`)
  assert.equal(lab.connections, 0, `${where}: the pod reached the test's listener`)
  assert.ok(!existsSync('/tmp/forklift-escape-written'), `${where}: a pod wrote /tmp`)
  assert.ok(!existsSync(join(lab.dir, 'crates', 'written')), `${where}: a pod wrote into the crates`)
  const traces = execFileSync('find', [lab.dir, '-name', 'node_trace*'], { encoding: 'utf8' })
  assert.equal(traces, '', `${where}: trace_events wrote ${traces}`)
}

for (const kind of ['bwrap', 'unshare'] as const) {
  describe(`pods hold against hostile code (${kind})`, () => {
    let lab: Lab
    let env: NodeJS.ProcessEnv
    let skip = false

    before(async (t) => {
      if (!requireThat(t as never, process.platform === 'linux', 'needs Linux namespaces')) {
        skip = true
        return
      }
      if (!requireTools(t as never, 'unshare', 'setpriv', ...(kind === 'bwrap' ? ['bwrap'] : []))) {
        skip = true
        return
      }
      lab = await makeLab()
      await writeFile(join(lab.dir, 'forklift.yaml'), `environment:\n  token: ${SECRET}\ngroups: {}\n`)
      env = {
        HOME: join(lab.dir, 'home'),
        XDG_CACHE_HOME: join(lab.dir, 'cache'),
        XDG_CONFIG_HOME: join(lab.dir, 'config'),
        npm_config_cache: join(lab.dir, 'npm-cache'),
        npm_config_registry: 'http://127.0.0.1:9/',
        SSH_AUTH_SOCK: '',
        ...(kind === 'unshare' ? { PATH: await pathWithoutBwrap(lab.dir) } : {}),
      }
    })
    after(() => closeLab(lab))

    it('pod eval: every attack is denied, a hostile message ends only the pod', async (t) => {
      if (skip) return t.skip()
      const attacks = ATTACKS.filter((a) => !(kind === 'unshare' && a.bwrapOnly))
      // Three at a time: each is its own Forklift process and pod.
      for (let at = 0; at < attacks.length; at += 3)
        await Promise.all(attacks.slice(at, at + 3).map((attack) => evalAttack(attack)))
      async function evalAttack(attack: Attack): Promise<void> {
        const here = join(lab.dir, 'crates', 'victim')
        const code = `(async () => {\n${lab.fill(attack.body, here)}\n})()`
        const result = await runCli(['pod', 'eval', '--path', here, code], {
          cwd: lab.dir,
          env,
        })
        const where = `pod eval ${attack.name}`
        // Always one clear run: no stack trace from Forklift, whatever the pod did.
        assert.doesNotMatch(
          result.stderr,
          /\n\s+at .*forklift|Debugger listening/,
          `${where}: ${result.stderr}`,
        )
        if (kind === 'unshare')
          assert.match(
            result.stderr,
            /bubblewrap \(bwrap\) is not installed: pods run in their own user, PID and network namespaces/,
          )
        else assert.doesNotMatch(result.stderr, /Warning/)
        if (attack.crashes || attack.fails) {
          assert.equal(result.code, 2, `${where}: ${result.stdout}${result.stderr}`)
          assert.match(result.stderr, attack.crashes ?? attack.fails!, where)
          if (attack.crashes) assert.match(result.stderr, /the pod sent .*it was stopped/, where)
        } else {
          assert.equal(result.code, 0, `${where}: ${result.stderr}`)
          assertDenied(attack, result.stdout.trim(), 'pod eval')
        }
        assertUnharmed(lab, where)
      }
    })

    it('lift over SSH: every attack from a crate is denied, the report names each node', async (t) => {
      if (skip) return t.skip()
      if (!requireSshd(t)) return
      const nodes: TestNodes = await startSshNodes(t, { count: 1 })
      const node = nodes.nodes[0]!
      const out = join(lab.dir, `out-${kind}`)
      await mkdir(out)
      const attacks = ATTACKS.filter((a) => !(kind === 'unshare' && a.bwrapOnly))
      const project = join(lab.dir, `project-${kind}`)
      await mkdir(join(project, 'crates'), { recursive: true })
      // Crates under the lab's crates folder, so the file attacks name the same places as in pod eval.
      for (const attack of attacks) {
        const crate = join(lab.dir, 'crates', `${kind}-${attack.name}`)
        await mkdir(crate, { recursive: true })
        await symlink(join(lab.dir, 'home', '.ssh', 'id_ed25519'), join(crate, 'key-link'))
        // A value that must fail to cross goes back as it is; any other outcome as text.
        const content = attack.fails ? 'outcome' : "String(outcome).slice(0, 300) + '\\n'"
        await writeFile(
          join(crate, 'index.js'),
          `import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
export default {
  phases: {
    async configure() {
      const outcome = await (async () => {
${lab.fill(attack.body, crate)}
      })()
      return [{ type: 'file', path: ${JSON.stringify(join(out, attack.name))}, content: ${content} }]
    },
  },
}
`,
        )
      }
      const groups = attacks
        .map(
          (a) =>
            `  a-${a.name}:\n    provider: lab\n    login: { user: root, identity-file: ${nodes.clientKey} }\n    crates: [${kind}-${a.name}]`,
        )
        .join('\n')
      const entries = attacks
        .map(
          (a) =>
            `        - { name: n-${a.name}, address: "${node.address}", port: ${node.port}, user: root, group: a-${a.name} }`,
        )
        .join('\n')
      await writeFile(
        join(project, 'forklift.yaml'),
        `environment:\n  token: ${SECRET}\ncrates:\n  path: [${join(lab.dir, 'crates')}]\nproviders:\n  lab:\n    type: node-list\n    settings:\n      nodes:\n${entries}\ngroups:\n${groups}\n`,
      )
      await mkdir(join(lab.dir, 'config', 'forklift'), { recursive: true })
      await copyFile(nodes.knownHosts, join(lab.dir, 'config', 'forklift', 'known_hosts'))
      const result = await runCli(['lift', '--json'], { cwd: project, env })
      assert.doesNotMatch(result.stderr, /Debugger listening/)
      if (kind === 'unshare') assert.match(result.stderr, /WARN bubblewrap \(bwrap\) is not installed/)
      const report = JSON.parse(result.stdout) as RunResult
      assert.equal(result.code, 1, result.stderr)
      const phases = report.groups.flatMap((g) => g.phases).filter((p) => p.phase === 'configure')
      for (const attack of attacks) {
        const where = `lift ${attack.name}`
        const phase = phases.find((p) => p.node === `n-${attack.name}`)
        assert.ok(phase, `${where}: no configure phase in the report`)
        if (attack.crashes || attack.fails) {
          assert.equal(phase.status, 'failed', where)
          assert.match(phase.error?.message ?? '', attack.crashes ?? attack.fails!, where)
          continue
        }
        assert.notEqual(phase.status, 'failed', `${where}: ${phase.error?.message}`)
        assertDenied(attack, (await readFile(join(out, attack.name), 'utf8')).trim(), 'lift')
      }
      assertUnharmed(lab, `lift (${kind})`)
    })
  })
}

describe('a crate cannot reach the controller through its actions', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-escape-actions-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('localFile outside the crate and the project fails that node, naming the action', async () => {
    await mkdir(join(dir, 'home', '.ssh'), { recursive: true })
    await writeFile(join(dir, 'home', '.ssh', 'id_ed25519'), `${SECRET}\n`)
    await mkdir(join(dir, 'project', 'crates', 'reader'), { recursive: true })
    await writeFile(join(dir, 'project', 'motd'), 'hello from the project\n')
    await writeFile(join(dir, 'home', 'notes.txt'), 'the user may upload this\n')
    await symlink(
      join(dir, 'home', '.ssh', 'id_ed25519'),
      join(dir, 'project', 'crates', 'reader', 'key-link'),
    )
    const cases: [string, string][] = [
      ['shadow', '/etc/shadow'],
      ['key', '~/.ssh/id_ed25519'],
      ['key-abs', join(dir, 'home', '.ssh', 'id_ed25519')],
      ['climb', '../home/.ssh/id_ed25519'],
      ['link', 'crates/reader/key-link'],
      ['ok', 'motd'],
    ]
    await writeFile(
      join(dir, 'project', 'crates', 'reader', 'index.js'),
      `export default { phases: { configure: (ctx) => [{ type: 'remote-file', path: ctx.node.root + '/copied', localFile: ctx.settings.file }] } }\n`,
    )
    const groups = cases
      .map(
        ([name, file]) =>
          `  g-${name}:\n    provider: box\n    count: 1\n    crates: [{ name: reader, settings: { file: ${JSON.stringify(file)} } }]`,
      )
      .join('\n')
    await writeFile(
      join(dir, 'project', 'forklift.yaml'),
      `providers:\n  box: { type: local, settings: { root: nodes } }\ngroups:\n${groups}\n  own:\n    provider: box\n    count: 1\n    phases:\n      configure:\n        - { type: remote-file, path: /own-copied, localFile: ../home/notes.txt }\n`,
    )
    const env = {
      HOME: join(dir, 'home'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      npm_config_cache: join(dir, 'npm'),
    }
    const result = await runCli(['converge', '--json'], { cwd: join(dir, 'project'), env })
    const report = JSON.parse(result.stdout) as RunResult
    assert.equal(result.code, 1, result.stderr)
    const configure = (group: string) =>
      report.groups.find((g) => g.name === group)!.phases.find((p) => p.phase === 'configure')!
    for (const [name] of cases.filter(([n]) => n !== 'ok')) {
      const phase = configure(`g-${name}`)
      assert.equal(phase.status, 'failed', name)
      assert.match(
        phase.error!.message,
        /crate "reader": action 0 \(remote-file .*copied\): localFile: .* is outside .*: a crate may upload only files of its own folder or the project's|localFile: cannot read/,
        name,
      )
      assert.ok(!JSON.stringify(report).includes(SECRET), name)
    }
    assert.equal(configure('g-ok').status, 'changed', configure('g-ok').error?.message)
    // The user's own actions keep their project-relative paths, outside folders included.
    assert.equal(configure('own').status, 'changed', configure('own').error?.message)
  })

  it('published `__proto__` stays data another node reads, not a prototype', async () => {
    const project = join(dir, 'proto')
    await mkdir(join(project, 'crates', 'pub'), { recursive: true })
    await writeFile(
      join(project, 'crates', 'pub', 'index.js'),
      `export default { phases: {
  settings(ctx) { ctx.publish('__proto__', { polluted: true, from: ctx.node.name }); return [] },
  configure(ctx) {
    const seen = ctx.settingsOf('web', '__proto__').map((d) => d.from).sort().join(',')
    return [{ type: 'file', path: ctx.node.root + '/seen', content: seen + '\\n' }]
  },
} }\n`,
    )
    await writeFile(
      join(project, 'forklift.yaml'),
      'providers:\n  box: { type: local, settings: { root: nodes } }\ngroups:\n  web:\n    provider: box\n    count: 2\n    crates: [pub]\n',
    )
    const env = { XDG_CACHE_HOME: join(dir, 'cache'), npm_config_cache: join(dir, 'npm') }
    const result = await runCli(['converge', '--json'], { cwd: project, env })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const seen = execFileSync('sh', ['-c', `cat ${join(project, 'nodes')}/*/seen`], { encoding: 'utf8' })
    assert.deepEqual(seen.trim().split('\n'), ['web-1,web-2', 'web-1,web-2'])
  })
})

describe('the dependency cache is keyed by what was installed', () => {
  let dir: string
  let skip = false
  const commits: string[] = []
  before(async (t) => {
    if (!requireTools(t as never, 'git')) {
      skip = true
      return
    }
    dir = await mkdtemp(join(tmpdir(), 'forklift-escape-git-'))
    const repo = join(dir, 'gitlib')
    await mkdir(repo)
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], {
        cwd: repo,
        encoding: 'utf8',
      })
    git('init', '-q', '.')
    await writeFile(
      join(repo, 'package.json'),
      '{ "name": "gitlib", "version": "1.0.0", "main": "index.js" }\n',
    )
    for (const word of ['first', 'second']) {
      await writeFile(join(repo, 'index.js'), `module.exports = '${word}'\n`)
      git('add', '.')
      git('commit', '-qm', word)
      commits.push(git('rev-parse', 'HEAD').trim())
    }
  })
  after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined))

  const env = () => ({
    XDG_CACHE_HOME: join(dir, 'cache'),
    npm_config_cache: join(dir, 'npm-cache'),
    npm_config_registry: 'http://127.0.0.1:9/',
  })

  it('pod eval: two commits of one git dependency run their own code', async (t) => {
    if (skip) return t.skip()
    for (const [i, commit] of commits.entries()) {
      const dep = `gitlib@git+file://${join(dir, 'gitlib')}#${commit}`
      const result = await runCli(['pod', 'eval', '--dep', dep, "require('gitlib')"], {
        cwd: dir,
        env: env(),
      })
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stdout.trim(), ['first', 'second'][i])
    }
    const sets = await runCli(['pod', 'ls', '--json'], { cwd: dir, env: env() })
    assert.equal((JSON.parse(sets.stdout) as unknown[]).length, 2)
  })

  it('lift: two crates on two commits of one git dependency each get their own', async (t) => {
    if (skip) return t.skip()
    const project = join(dir, 'project')
    for (const [i, commit] of commits.entries()) {
      const crate = join(project, 'crates', `c${i}`)
      await mkdir(crate, { recursive: true })
      await writeFile(
        join(crate, 'package.json'),
        JSON.stringify({
          name: `c${i}`,
          type: 'module',
          dependencies: { gitlib: `git+file://${join(dir, 'gitlib')}#${commit}` },
        }),
      )
      await writeFile(
        join(crate, 'index.js'),
        `import lib from 'gitlib'\nexport default { phases: { configure: (ctx) => [{ type: 'file', path: ctx.node.root + '/c${i}', content: lib + '\\n' }] } }\n`,
      )
    }
    // A crate that uses a real dependency from a tarball beside the git ones: dependencies still work.
    await mkdir(join(project, 'crates', 'lib'), { recursive: true })
    await mkdir(join(project, 'vendor'), { recursive: true })
    await copyFile(libV2, join(project, 'vendor', 'fixture-lib-2.0.0.tgz'))
    await writeFile(
      join(project, 'crates', 'lib', 'package.json'),
      JSON.stringify({
        name: 'lib',
        type: 'module',
        dependencies: { 'fixture-lib': 'file:../../vendor/fixture-lib-2.0.0.tgz' },
      }),
    )
    await writeFile(
      join(project, 'crates', 'lib', 'index.js'),
      `import { greet } from 'fixture-lib'\nexport default { phases: { configure: (ctx) => [{ type: 'file', path: ctx.node.root + '/lib', content: greet({ name: 'x' }) + '\\n' }] } }\n`,
    )
    await writeFile(
      join(project, 'forklift.yaml'),
      'providers:\n  box: { type: local, settings: { root: nodes } }\ngroups:\n  web:\n    provider: box\n    count: 1\n    crates: [c0, c1, lib]\n',
    )
    const result = await runCli(['converge', '--json'], { cwd: project, env: env() })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const root = join(project, 'nodes', 'web-1')
    assert.equal((await readFile(join(root, 'c0'), 'utf8')).trim(), 'first')
    assert.equal((await readFile(join(root, 'c1'), 'utf8')).trim(), 'second')
    assert.match(await readFile(join(root, 'lib'), 'utf8'), /x/)
  })
})
