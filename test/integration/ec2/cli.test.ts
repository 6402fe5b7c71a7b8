import assert from 'node:assert/strict'
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RunResult } from '../../../src/core/model/results.js'
import { runCli } from '../../support/cli.js'
import { BAD_ACCESS_KEY_ID, type Ec2Endpoint, startEc2Endpoint } from '../../support/ec2/endpoint.js'
import { rootfsLauncher, startRootfsEc2Endpoint } from '../../support/ec2/rootfs-launcher.js'
import { PRIVATE_SUBNET } from '../../support/ec2/world.js'
import { generateKey } from '../../support/keys.js'
import { requireRootfs, startRootfsNodes, type TestNodes } from '../../support/nodes.js'

// `forklift converge` and `forklift nodes` as a user runs them, with an ec2 provider whose SDK talks
// to the local EC2 endpoint; instances are real SSH nodes with their own root filesystem.

const crate = `
export default {
  phases: {
    settings(ctx) {
      ctx.publish('app', { name: ctx.node.name })
      return []
    },
    configure(ctx) {
      const peers = ctx.settingsOf(ctx.group.name, 'app').map((p) => p.name).sort().join(' ')
      return [
        { type: 'directory', path: '/srv/app', mode: '0755' },
        { type: 'file', path: '/srv/app/app.conf', content: 'node=' + ctx.node.name + '\\npeers=' + peers + '\\n', mode: '0644' },
      ]
    },
  },
}
`

const report = (stdout: string) => JSON.parse(stdout) as RunResult

describe('converge with the ec2 provider, through the CLI', () => {
  let e: Ec2Endpoint
  let dir: string
  let env: NodeJS.ProcessEnv
  let skip = false
  const converge = (...args: string[]) =>
    runCli(['converge', '-c', join(dir, 'forklift.yaml'), ...args], { cwd: dir, env })
  const members = (group: string) =>
    e
      .instances('pending', 'running')
      .filter((i) => i.tags['forklift:group'] === group && i.tags['forklift:project'] === 'shop')
  const runs = () => e.calls.filter((c) => c.action === 'RunInstances')

  before(async (t) => {
    if (!requireRootfs(t as never)) {
      skip = true
      return
    }
    e = await startRootfsEc2Endpoint({ pendingMs: 200 })
    dir = await mkdtemp(join(tmpdir(), 'forklift-ec2-cli-'))
    await generateKey(join(dir, 'id_ed25519'))
    await mkdir(join(dir, 'crates', 'app'), { recursive: true })
    await writeFile(join(dir, 'crates', 'app', 'index.js'), crate)
    const group = (name: string, count: number) => `
  ${name}:
    provider: aws
    count: ${count}
    image: { os: debian, version: "12" }
    network: { inbound-ports: [80] }
    login:
      user: forklift
      identity-file: id_ed25519
    crates: [app]`
    await writeFile(
      join(dir, 'forklift.yaml'),
      `name: shop
providers:
  aws:
    type: ec2
    settings:
      region: us-east-1
      waiter-delay: 0.1
      ssh-timeout: 30
      tags: { team: ops }
groups:${group('web', 3)}${group('api', 3)}${group('jobs', 3)}
`,
    )
    // The endpoint and credentials come from the environment, as they would for a user.
    env = {
      ...e.env,
      XDG_CONFIG_HOME: join(dir, 'xdg'),
      HOME: dir,
      SSH_AUTH_SOCK: '',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      AWS_CONFIG_FILE: join(dir, 'none'),
    }
  })
  after(async () => {
    if (skip) return
    await e.stop()
    assert.deepEqual(e.errors, [])
    await rm(dir, { recursive: true, force: true })
  })

  it('creates exactly 3 tagged instances, bootstraps and configures them', async (t) => {
    if (skip) return t.skip('needs rootfs nodes')
    const result = await converge('web', '--json')
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const web = report(result.stdout).groups[0]!
    assert.equal(web.error, undefined)
    assert.deepEqual(web.created, ['web-1', 'web-2', 'web-3'])
    assert.deepEqual(
      web.nodes.map((n) => [n.name, n.status]),
      [
        ['web-1', 'changed'],
        ['web-2', 'changed'],
        ['web-3', 'changed'],
      ],
    )
    assert.deepEqual(
      web.phases
        .filter((p) => p.phase === 'bootstrap')
        .map((p) => [p.node, p.status])
        .sort(),
      [
        ['web-1', 'changed'],
        ['web-2', 'changed'],
        ['web-3', 'changed'],
      ],
    )
    const instances = members('web')
    assert.equal(instances.length, 3)
    assert.equal(runs().length, 1)
    for (const instance of instances) {
      assert.equal(instance.tags.team, 'ops')
      // Bootstrap made the admin login; configure wrote the crate's file, peers included.
      const check = await instance.node!.exec!('id -un forklift && cat /srv/app/app.conf')
      assert.equal(check.code, 0, check.stderr)
      assert.equal(check.stdout, `forklift\nnode=${instance.tags.Name}\npeers=web-1 web-2 web-3\n`)
    }
  })

  it('changes nothing on a second converge', async (t) => {
    if (skip) return t.skip('needs rootfs nodes')
    const result = await converge('web', '--json')
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const web = report(result.stdout).groups[0]!
    assert.deepEqual([web.created, web.destroyed], [[], []])
    assert.deepEqual(
      web.nodes.map((n) => n.status),
      ['ok', 'ok', 'ok'],
    )
    assert.ok(!web.phases.some((p) => p.phase === 'bootstrap'))
    assert.equal(runs().length, 1)
    assert.equal(members('web').length, 3)
  })

  it('lists the nodes with `forklift nodes --json`', async (t) => {
    if (skip) return t.skip('needs rootfs nodes')
    const result = await runCli(['nodes', '-c', join(dir, 'forklift.yaml'), 'web', '--json'], {
      cwd: dir,
      env,
    })
    assert.equal(result.code, 0, result.stderr)
    const [listing] = JSON.parse(result.stdout) as {
      group: string
      nodes: { id: string; name: string; address: string; state: string }[]
    }[]
    assert.equal(listing!.group, 'web')
    const byName = new Map(members('web').map((i) => [i.tags.Name, i]))
    assert.deepEqual(
      listing!.nodes.map((n) => [n.name, n.id, n.address, n.state]),
      ['web-1', 'web-2', 'web-3'].map((name) => [
        name,
        byName.get(name)!.id,
        byName.get(name)!.publicIp,
        'running',
      ]),
    )
  })

  it('--count web=1 terminates the two newest', async (t) => {
    if (skip) return t.skip('needs rootfs nodes')
    const result = await converge('web', '--count', 'web=1', '--json')
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const web = report(result.stdout).groups[0]!
    assert.deepEqual(web.destroyed.slice().sort(), ['web-2', 'web-3'])
    assert.deepEqual(
      members('web').map((i) => i.tags.Name),
      ['web-1'],
    )
  })

  it('a throttled and a lost RunInstances reply never make a fourth instance', async (t) => {
    if (skip) return t.skip('needs rootfs nodes')
    const before = runs().length
    e.faults.throttle(1, ['RunInstances'])
    e.faults.dropRunInstancesReply(1)
    const result = await converge('api', '--json')
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(report(result.stdout).groups[0]!.created, ['api-1', 'api-2', 'api-3'])
    assert.equal(members('api').length, 3)
    const attempts = runs().slice(before)
    assert.deepEqual(
      attempts.map((c) => [c.status, c.dropped ?? false]),
      [
        [503, false],
        [200, true],
        [200, false],
      ],
    )
    assert.equal(new Set(attempts.map((c) => c.params.get('ClientToken'))).size, 1)
  })

  it('an interrupted converge leaves pending, unnamed instances: a dry run writes nothing, the next takes them up', async (t) => {
    if (skip) return t.skip('needs rootfs nodes')
    const until = async (what: string, condition: () => boolean) => {
      const deadline = Date.now() + 60_000
      while (!condition()) {
        if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`)
        await sleep(20)
      }
    }
    const launches = runs().length
    // RunInstances is applied; the run stops on the first CreateTags while the instances still pend.
    e.faults.holdPending()
    e.faults.stallCreateTags()
    let pid = 0
    const first = runCli(['converge', '-c', join(dir, 'forklift.yaml'), 'jobs', '--json'], {
      cwd: dir,
      env,
      onSpawn: (p) => {
        pid = p
      },
    })
    await until('CreateTags stalls', () => e.calls.some((c) => c.stalled))
    // Ctrl-C twice: the first starts nothing new, the second aborts what waits.
    process.kill(pid, 'SIGINT')
    await sleep(300)
    process.kill(pid, 'SIGINT')
    const interrupted = await first
    assert.equal(interrupted.code, 1, interrupted.stdout + interrupted.stderr)
    const failed = report(interrupted.stdout).groups[0]!
    assert.match(
      failed.error ?? '',
      /^group jobs \(provider aws\): created i-\S+, i-\S+, i-\S+ but the run was interrupted before they were ready/,
    )
    assert.deepEqual(
      members('jobs').map((i) => [i.state, i.tags.Name]),
      [
        ['pending', undefined],
        ['pending', undefined],
        ['pending', undefined],
      ],
    )

    // A dry run takes them up as the real run would, but only in memory: it writes no tag.
    const looked = e.calls.length
    const dry = converge('jobs', '--dry-run', '--json')
    // The listing waits for them with the SDK's waiter; they run only once it polls.
    await until('the waiter polls', () =>
      e.calls
        .slice(looked)
        .some((c) => c.action === 'DescribeInstances' && c.params.list('InstanceId').length === 3),
    )
    assert.ok(members('jobs').every((i) => i.state === 'pending'))
    e.faults.releasePending()
    const dryRun = await dry
    assert.equal(dryRun.code, 0, dryRun.stdout + dryRun.stderr)
    assert.deepEqual(
      report(dryRun.stdout).groups[0]!.nodes.map((n) => n.name),
      ['jobs-1', 'jobs-2', 'jobs-3'],
    )
    const written = e.calls.slice(looked).filter((c) => !/^(Describe|Get)/.test(c.action))
    assert.deepEqual(
      written.map((c) => c.action),
      [],
    )
    assert.deepEqual(
      members('jobs').map((i) => [i.state, i.tags.Name, i.tags['forklift:host-keys']]),
      [
        ['running', undefined, undefined],
        ['running', undefined, undefined],
        ['running', undefined, undefined],
      ],
    )

    const result = await converge('jobs', '--json')
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const jobs = report(result.stdout).groups[0]!
    assert.deepEqual([jobs.created, jobs.destroyed], [[], []])
    assert.deepEqual(
      jobs.nodes.map((n) => [n.name, n.status]),
      [
        ['jobs-1', 'changed'],
        ['jobs-2', 'changed'],
        ['jobs-3', 'changed'],
      ],
    )
    assert.deepEqual(
      jobs.phases
        .filter((p) => p.phase === 'bootstrap')
        .map((p) => [p.node, p.status])
        .sort(),
      [
        ['jobs-1', 'changed'],
        ['jobs-2', 'changed'],
        ['jobs-3', 'changed'],
      ],
    )
    assert.equal(runs().length, launches + 1, "one launch in all: the first run's")
    const instances = members('jobs')
    assert.deepEqual(instances.map((i) => i.tags.Name).sort(), ['jobs-1', 'jobs-2', 'jobs-3'])
    for (const instance of instances) {
      assert.ok(instance.tags['forklift:host-keys']?.startsWith('SHA256:'))
      const check = await instance.node!.exec!('id -un forklift && cat /srv/app/app.conf')
      assert.equal(check.code, 0, check.stderr)
      assert.equal(check.stdout, `forklift\nnode=${instance.tags.Name}\npeers=jobs-1 jobs-2 jobs-3\n`)
    }
  })

  it('bad credentials give one clear line naming the group', async (t) => {
    if (skip) return t.skip('needs rootfs nodes')
    const result = await runCli(['converge', '-c', join(dir, 'forklift.yaml'), 'web'], {
      cwd: dir,
      env: { ...env, AWS_ACCESS_KEY_ID: BAD_ACCESS_KEY_ID },
    })
    assert.equal(result.code, 1)
    const output = result.stdout + result.stderr
    assert.match(output, /group web \(provider aws\): AWS rejected the credentials in use \(AuthFailure\)/)
    assert.doesNotMatch(output, /^\s+at /m, 'no stack trace')
    assert.equal(members('web').length, 1)
  })
})

describe('converge with the ec2 provider: late host keys and changed ports, through the CLI', () => {
  let e: Ec2Endpoint
  let dir: string
  let env: NodeJS.ProcessEnv
  let skip = false
  const yaml = (ports: number[]) => `name: late
providers:
  aws:
    type: ec2
    settings: { region: us-east-1, waiter-delay: 0.05, ssh-timeout: 30, host-key-timeout: 0.3 }
groups:
  slow:
    provider: aws
    count: 1
    image: { os: debian, version: "12" }
    network: { inbound-ports: [${ports.join(', ')}] }
    login:
      user: forklift
      identity-file: id_ed25519
`
  const converge = (...args: string[]) =>
    runCli(['converge', '-c', join(dir, 'forklift.yaml'), ...args], { cwd: dir, env })

  before(async (t) => {
    if (!requireRootfs(t as never)) {
      skip = true
      return
    }
    // cloud-init never gets to print its keys on these instances' consoles.
    e = await startRootfsEc2Endpoint({ pendingMs: 100, console: 'unfinished' })
    dir = await mkdtemp(join(tmpdir(), 'forklift-ec2-cli-late-'))
    await generateKey(join(dir, 'id_ed25519'))
    await writeFile(join(dir, 'forklift.yaml'), yaml([80, 443]))
    env = {
      ...e.env,
      XDG_CONFIG_HOME: join(dir, 'xdg'),
      HOME: dir,
      SSH_AUTH_SOCK: '',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      AWS_CONFIG_FILE: join(dir, 'none'),
    }
  })
  after(async () => {
    if (skip) return
    await e.stop()
    assert.deepEqual(e.errors, [])
    await rm(dir, { recursive: true, force: true })
  })

  it('fails the node while its keys are missing; --accept-new-host-keys trusts it on first use, with a warning', async (t) => {
    if (skip) return t.skip('needs rootfs nodes')
    const first = await converge('--json')
    assert.equal(first.code, 1, first.stdout + first.stderr)
    assert.match(
      report(first.stdout).groups[0]!.error ?? '',
      /slow-1 \(i-\S+\): cloud-init printed no SSH host keys on its console within 0\.3 s; .*--accept-new-host-keys/,
    )
    const trusted = await converge('--accept-new-host-keys')
    assert.equal(trusted.code, 0, trusted.stdout + trusted.stderr)
    assert.match(
      trusted.stdout + trusted.stderr,
      /slow-1 \(i-\S+\): cloud-init printed no SSH host keys .*its host key is trusted on first use/,
    )
    const [instance] = e.instances('running')
    assert.equal(instance!.tags['forklift:host-keys'], 'unverified')
    const check = await instance!.node!.exec!('id -un forklift')
    assert.equal(check.stdout.trim(), 'forklift', 'bootstrapped')
    // Later runs need no flag: the key was recorded on first use.
    const again = await converge('--json')
    assert.equal(again.code, 0, again.stdout + again.stderr)
  })

  it('a converge that creates nothing still closes the ports taken out of inbound-ports', async (t) => {
    if (skip) return t.skip('needs rootfs nodes')
    const [instance] = e.instances('running')
    const sg = e.world.securityGroups.get(instance!.securityGroups[0]!.id)!
    assert.deepEqual(
      sg.ingress.map((r) => r.fromPort).sort((a, b) => a - b),
      [22, 80, 443],
    )
    await writeFile(join(dir, 'forklift.yaml'), yaml([80]))
    const dry = await converge('--dry-run', '--json')
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    assert.deepEqual(
      sg.ingress.map((r) => r.fromPort).sort((a, b) => a - b),
      [22, 80, 443],
      'a dry run closes nothing',
    )
    const result = await converge('--json')
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(report(result.stdout).groups[0]!.created, [])
    assert.deepEqual(
      sg.ingress.map((r) => r.fromPort).sort((a, b) => a - b),
      [22, 80],
    )
    // And a group taken to zero takes its security group and key pair with it.
    const zero = await converge('--count', 'slow=0', '--json')
    assert.equal(zero.code, 0, zero.stdout + zero.stderr)
    assert.equal(e.world.securityGroups.has(sg.id), false)
    assert.equal(e.world.keyPairs.has('forklift-late-slow'), false)
  })
})

describe('converge with the ec2 provider: a private subnet reached through a jump host', () => {
  let e: Ec2Endpoint
  let jump: TestNodes
  let dir: string
  let env: NodeJS.ProcessEnv
  let skip = false
  const sshConfig = () => join(dir, '.ssh', 'config')

  before(async (t) => {
    if (!requireRootfs(t as never)) {
      skip = true
      return
    }
    dir = await mkdtemp(join(tmpdir(), 'forklift-ec2-cli-jump-'))
    jump = await startRootfsNodes(undefined, { count: 1, prefix: 'bastion' })
    const bastion = jump.nodes[0]!
    await mkdir(join(dir, '.ssh'), { recursive: true })
    // This machine knows the private addresses only as aliases whose names the bastion alone can
    // resolve (its own /etc/hosts): a connection that works went through it.
    await writeFile(
      sshConfig(),
      `Host bastion\n  HostName ${bastion.address}\n  Port 2222\n  User root\n  IdentityFile ${jump.clientKey}\n  StrictHostKeyChecking accept-new\n`,
    )
    const base = rootfsLauncher()
    e = await startEc2Endpoint({
      pendingMs: 100,
      launcher: {
        async launch(request) {
          const node = await base.launch(request)
          const name = `${request.instanceId}.internal`
          await bastion.exec(`echo '${node.address} ${name}' >> /etc/hosts`)
          const privateIp = e.world.instances.get(request.instanceId)!.privateIp
          await appendFile(sshConfig(), `Host ${privateIp}\n  HostName ${name}\n  ProxyJump bastion\n`)
          return node
        },
      },
    })
    await generateKey(join(dir, 'id_ed25519'))
    await writeFile(
      join(dir, 'forklift.yaml'),
      `name: inner
providers:
  aws:
    type: ec2
    settings: { region: us-east-1, subnet: ${PRIVATE_SUBNET}, waiter-delay: 0.05, ssh-timeout: 30 }
groups:
  db:
    provider: aws
    count: 1
    image: { os: debian, version: "12" }
    login:
      user: forklift
      identity-file: id_ed25519
`,
    )
    env = {
      ...e.env,
      XDG_CONFIG_HOME: join(dir, 'xdg'),
      HOME: dir,
      SSH_AUTH_SOCK: '',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      AWS_CONFIG_FILE: join(dir, 'none'),
    }
  })
  after(async () => {
    if (skip) return
    await e.stop()
    await jump.stop()
    assert.deepEqual(e.errors, [])
    await rm(dir, { recursive: true, force: true })
  })

  it('creates, bootstraps and configures a node that has only a private address', async (t) => {
    if (skip) return t.skip('needs rootfs nodes')
    const logins = async () =>
      (await readFile(join(jump.nodes[0]!.dir, 'upper/var/log/forklift-sshd.log'), 'utf8').catch(() => ''))
        .split('\n')
        .filter((l) => l.includes('Accepted publickey')).length
    const result = await runCli(['converge', '-c', join(dir, 'forklift.yaml'), '--json'], { cwd: dir, env })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const db = report(result.stdout).groups[0]!
    assert.deepEqual(db.created, ['db-1'])
    const [instance] = e.instances('running')
    assert.equal(instance!.publicIp, undefined)
    assert.match(instance!.privateIp, /^10\.0\.2\./)
    const check = await instance!.node!.exec!('id -un forklift')
    assert.equal(check.stdout.trim(), 'forklift', 'bootstrapped through the bastion')
    assert.ok((await logins()) >= 1, 'the bastion let the run through')
    // Its host key was the one cloud-init printed: vouched for across the hop.
    assert.match(instance!.tags['forklift:host-keys'] ?? '', /^SHA256:/)
  })
})
