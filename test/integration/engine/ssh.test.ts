import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { runCli } from '../../support/cli.js'
import { startRootfsNodes, type TestNodes } from '../../support/nodes.js'
import { requireTools } from '../../support/require.js'

// lift and converge over real SSH: three openssh-server nodes, each with its own root filesystem,
// reached as root (two nodes) and as a sudo login (one node).

const crate = `
export default {
  phases: {
    settings(ctx) {
      ctx.publish('web', { address: ctx.node.address, name: ctx.node.name })
      return []
    },
    configure(ctx) {
      const peers = ctx.settingsOf('web', 'web').map((p) => p.name).sort().join(' ')
      return [
        { type: 'group', name: 'app' },
        { type: 'user', name: 'app', groups: ['app'], shell: '/bin/sh' },
        { type: 'directory', path: '/srv/app', owner: 'app', group: 'app', mode: '0750' },
        { type: 'file', id: 'conf', path: '/srv/app/app.conf', content: 'peers=' + peers + '\\nport=' + ctx.env.get('port') + '\\n', mode: '0640', owner: 'app' },
        { type: 'symlink', path: '/srv/app/current', target: '/srv/app/app.conf' },
        { type: 'line', path: '/etc/hosts', line: '127.0.0.1 app.internal' },
        { type: 'remote-file', path: '/srv/app/motd', template: 'Hello {{node.name}} on port {{env.port}}\\n' },
        { type: 'exec', script: 'date > /srv/app/initialized', creates: '/srv/app/initialized' },
      ]
    },
    slow() {
      return [
        { type: 'file', path: '/srv/slow-before', content: 'before\\n' },
        { type: 'exec', script: 'touch /srv/slow-started; sleep 3; touch /srv/slow-done' },
        { type: 'file', path: '/srv/slow-after', content: 'after\\n' },
      ]
    },
  },
}
`

const json = (stdout: string) => JSON.parse(stdout) as RunResult

const isDuration = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 0

/** Every node, phase and action of the report carries its time; a node's covers its phases. */
function assertDurations(report: RunResult) {
  assert.ok(isDuration(report.durationMs))
  for (const group of report.groups) {
    for (const node of group.nodes) {
      assert.ok(isDuration(node.durationMs), `${node.name}: ${node.durationMs}`)
      const phases = group.phases.filter((p) => p.node === node.name)
      assert.ok(node.durationMs >= phases.reduce((sum, p) => sum + p.durationMs, 0), node.name)
    }
    for (const phase of group.phases) {
      assert.ok(isDuration(phase.durationMs), `${phase.node} ${phase.phase}`)
      for (const action of phase.actions)
        assert.ok(isDuration(action.durationMs), `${phase.node} ${phase.phase} ${action.summary}`)
    }
  }
}

describe('lift and converge over real SSH', () => {
  let lab: TestNodes
  let dir: string
  let env: NodeJS.ProcessEnv
  let skip = false

  before(async (t) => {
    if (!requireTools(t as never, '/usr/sbin/sshd', 'ssh-keygen', 'unshare', 'debootstrap')) {
      skip = true
      return
    }
    lab = await startRootfsNodes(t as never, { count: 3 })
    dir = await mkdtemp(join(tmpdir(), 'forklift-ssh-'))
    await mkdir(join(dir, 'crates/app'), { recursive: true })
    await writeFile(join(dir, 'crates/app/index.js'), crate)
    const [a, b, c] = lab.nodes
    await writeFile(
      join(dir, 'forklift.yaml'),
      `
environment:
  port: 8080
  bootstrap:
    package-proxy: http://10.0.0.2:3142
    actions:
      - { type: file, path: /etc/forklift-bootstrapped-by, content: "bootstrap.actions\\n" }
providers:
  lab:
    type: node-list
    settings:
      nodes:
        - { name: web-1, address: "${a!.address}", port: ${a!.port}, user: root, group: web }
        - { name: web-2, address: "${b!.address}", port: ${b!.port}, user: deploy, group: web }
        - { name: web-3, address: "${c!.address}", port: ${c!.port}, user: root, group: web }
groups:
  web:
    provider: lab
    count: 3
    login:
      user: forklift
      identity-file: ${lab.clientKey}
    crates: [app]
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

  it('converge bootstraps each node once (admin login, sudo) and configures all', async (t) => {
    if (skip) return t.skip('no sshd')
    const result = await runCli(['converge', '--json'], { cwd: dir, env })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const report = json(result.stdout)
    // The JSON document, field by field.
    assert.equal(report.command, 'converge')
    assert.equal(report.dryRun, false)
    assert.equal(report.ok, true)
    assert.equal(report.interrupted, false)
    assert.match(report.startedAt, /^\d{4}-\d\d-\d\dT/)
    assert.equal(typeof report.durationMs, 'number')
    assertDurations(report)
    const web = report.groups[0]!
    assert.equal(web.name, 'web')
    assert.equal(web.provider, 'lab')
    assert.deepEqual(web.created, [])
    assert.deepEqual(web.destroyed, [])
    assert.equal(web.error, undefined)
    assert.deepEqual(
      web.nodes.map((n) => [n.name, n.address, n.status]),
      lab.nodes.map((n, i) => [`web-${i + 1}`, n.address, 'changed']),
    )
    for (const node of ['web-1', 'web-2', 'web-3']) {
      const phases = web.phases.filter((p) => p.node === node)
      assert.deepEqual(
        phases.map((p) => [p.phase, p.status]),
        [
          ['bootstrap', 'changed'],
          ['settings', 'ok'],
          ['configure', 'changed'],
        ],
      )
      const configure = phases[2]!
      assert.equal(configure.group, 'web')
      assert.deepEqual(configure.counts, { ok: 0, changed: 8, failed: 0, skipped: 0 })
      assert.equal(configure.actions.length, 8)
      const conf = configure.actions[3]!
      assert.equal(conf.index, 3)
      assert.equal(conf.id, 'conf')
      assert.equal(conf.type, 'file')
      assert.equal(conf.summary, 'file /srv/app/app.conf')
      assert.equal(conf.status, 'changed')
      assert.equal(typeof conf.message, 'string')
    }
    for (const node of lab.nodes) {
      const conf = await node.exec(
        'cat /srv/app/app.conf; stat -c %U:%G:%a /srv/app/app.conf; id -un forklift; sudo -n -u forklift sudo -n id -un',
      )
      assert.equal(conf.stdout, 'peers=web-1 web-2 web-3\nport=8080\napp:root:640\nforklift\nroot\n')
      const motd = await node.exec(
        'cat /srv/app/motd; readlink /srv/app/current; grep -c app.internal /etc/hosts',
      )
      assert.match(motd.stdout, /^Hello web-\d on port 8080\n\/srv\/app\/app\.conf\n1\n$/)
      // What the environment adds to bootstrap: the proxy for apt (these nodes are Debian), then its actions.
      const extra = await node.exec('cat /etc/apt/apt.conf.d/01forklift-proxy /etc/forklift-bootstrapped-by')
      assert.equal(extra.stdout, 'Acquire::http::Proxy "http://10.0.0.2:3142";\nbootstrap.actions\n')
    }
  })

  it('a second converge changes nothing: no bootstrap, every action ok', async (t) => {
    if (skip) return t.skip('no sshd')
    const result = await runCli(['converge', '--json'], { cwd: dir, env })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const web = json(result.stdout).groups[0]!
    assert.deepEqual(
      web.nodes.map((n) => n.status),
      ['ok', 'ok', 'ok'],
    )
    assert.equal(web.phases.filter((p) => p.phase === 'bootstrap').length, 0)
    for (const phase of web.phases)
      for (const action of phase.actions) assert.equal(action.status, 'ok', action.summary)
  })

  it('--dry-run shows a drifted file as a diff and changes nothing', async (t) => {
    if (skip) return t.skip('no sshd')
    await lab.nodes[1]!.exec('echo drift > /srv/app/app.conf')
    const result = await runCli(['lift', '--dry-run', '--json'], { cwd: dir, env })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const web = json(result.stdout).groups[0]!
    const changed = web.phases.flatMap((p) =>
      p.actions.filter((a) => a.status === 'changed').map((a) => `${p.node}:${a.summary}`),
    )
    assert.deepEqual(changed, ['web-2:file /srv/app/app.conf'])
    const diff = web.phases.find((p) => p.node === 'web-2' && p.phase === 'configure')!.actions[3]!.diff
    assert.match(diff ?? '', /-drift\n\+peers=web-1 web-2 web-3/)
    assert.equal((await lab.nodes[1]!.exec('cat /srv/app/app.conf')).stdout, 'drift\n')
  })

  it('a node whose sshd dies mid-phase fails alone; the others finish', async (t) => {
    if (skip) return t.skip('no sshd')
    const running = runCli(['lift', '--phase', 'slow', '--json'], { cwd: dir, env })
    // Kill it once its slow script really runs (however long connecting and the crates' pods took).
    const started = async () => (await lab.nodes[2]!.exec('test -e /srv/slow-started')).code === 0
    for (let i = 0; i < 200 && !(await started()); i++) await new Promise((r) => setTimeout(r, 100))
    await lab.nodes[2]!.kill()
    const result = await running
    assert.equal(result.code, 1)
    const web = json(result.stdout).groups[0]!
    assert.deepEqual(
      web.nodes.map((n) => [n.name, n.status]),
      [
        ['web-1', 'changed'],
        ['web-2', 'changed'],
        ['web-3', 'failed'],
      ],
    )
    assertDurations(json(result.stdout))
    // Markers stream back as each action ends, also through sudo (web-2): the action's time is its own.
    for (const node of ['web-1', 'web-2']) {
      const slow = web.phases.find((p) => p.node === node && p.phase === 'slow')!.actions[1]!
      assert.ok(slow.durationMs! >= 2900 && slow.durationMs! < 10_000, `${node}: ${slow.durationMs}ms`)
    }
    // What streamed back before the drop still shows: the first action done, the second cut off.
    const failed = web.phases.find((p) => p.node === 'web-3' && p.phase === 'slow')!
    assert.match(
      failed.error!.message,
      /web-3 \(forklift@[\d.]+:2222\): connection dropped while running a script/,
    )
    assert.equal(failed.error!.action, 1)
    assert.deepEqual(
      failed.actions.map((a) => [a.summary, a.status, a.message]),
      [
        ['file /srv/slow-before', 'changed', 'created'],
        [
          'exec touch /srv/slow-started; sleep 3; touch /srv/slow-done',
          'failed',
          'the node stopped answering during this action (the connection closed)',
        ],
        ['file /srv/slow-after', 'skipped', 'not run: the node stopped answering'],
      ],
    )
    assert.deepEqual(failed.counts, { ok: 0, changed: 1, failed: 1, skipped: 1 })
  })

  it('a changed host key is refused for that node', async (t) => {
    if (skip) return t.skip('no sshd')
    await lab.nodes[2]!.restart({ newHostKey: true })
    const result = await runCli(['lift', '--json'], { cwd: dir, env })
    assert.equal(result.code, 1)
    const web = json(result.stdout).groups[0]!
    const refused = web.phases.find((p) => p.node === 'web-3')!
    assert.equal(refused.phase, 'connect')
    assert.match(refused.error!.message, /host key/i)
    assert.deepEqual(
      web.nodes.map((n) => n.status),
      ['changed', 'changed', 'failed'],
    )
    // The others go on: web-3 publishes nothing, so their peer lists shrink (web-2 also loses its drift).
    const changed = web.phases.flatMap((p) =>
      p.actions.filter((a) => a.status !== 'ok').map((a) => `${p.node}:${a.summary}`),
    )
    assert.deepEqual(changed.sort(), ['web-1:file /srv/app/app.conf', 'web-2:file /srv/app/app.conf'])
    assert.equal((await lab.nodes[0]!.exec('head -n 1 /srv/app/app.conf')).stdout, 'peers=web-1 web-2\n')
  })
})
