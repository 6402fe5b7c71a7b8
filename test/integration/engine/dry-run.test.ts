import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ActionResult, RunResult } from '../../../src/core/model/results.js'
import { runCli } from '../../support/cli.js'
import { type Ec2Endpoint, startEc2Endpoint } from '../../support/ec2/endpoint.js'
import { generateKey } from '../../support/keys.js'
import { requireRootfs, startRootfsNodes, type TestNodes } from '../../support/nodes.js'
import { requireTools } from '../../support/require.js'
import { machineFolders, vagrantEnv } from '../../support/vagrant.js'

// A dry run fails where the real run would (providers' checks before creating anything), and on a
// node, a check that fails after an action that would change is "would change (after …)", not failed.

const json = (stdout: string) => JSON.parse(stdout) as RunResult
const actionsOf = (result: RunResult, phase = 'configure'): ActionResult[] =>
  result.groups[0]!.phases.find((p) => p.phase === phase)!.actions

async function project(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'forklift-dry-run-'))
  await writeFile(join(dir, 'forklift.yaml'), yaml)
  return dir
}

describe('a dry run on a folder node', () => {
  let dir: string
  const folder = () => join(dir, 'nodes', 'web-1')
  before(async () => {
    dir = await project(`providers:
  box: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: box
    count: 1
    phases:
      configure:
        - { type: directory, path: /srv }
        - { type: file, path: /srv/ok, content: "ok\\n" }
        - { type: exec, script: "rm -f srv/current srv/also" }
        - { type: symlink, path: /srv/current, target: /srv/releases/2 }
        - { type: symlink, path: /srv/also, target: /srv/releases/2 }
`)
    // The node exists, and /srv/current is a plain file that the exec would remove first.
    const first = await runCli(['converge', '--json'], { cwd: dir })
    assert.equal(first.code, 0, first.stdout + first.stderr)
    await rm(join(folder(), 'srv'), { recursive: true, force: true })
    await mkdir(join(folder(), 'srv'), { recursive: true })
    await writeFile(join(folder(), 'srv', 'ok'), 'ok\n')
    await writeFile(join(folder(), 'srv', 'current'), 'a file\n')
    await writeFile(join(folder(), 'srv', 'also'), 'a file\n')
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('reports a check that fails after a would-change action as would change (after it), and goes on', async () => {
    const result = await runCli(['lift', '--dry-run', '--json'], { cwd: dir })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const report = json(result.stdout)
    assert.equal(report.ok, true)
    const actions = actionsOf(report)
    assert.deepEqual(
      actions.map((a) => [a.summary.replace(folder(), ''), a.status, a.after]),
      [
        ['directory /srv', 'ok', undefined],
        ['file /srv/ok', 'ok', undefined],
        ['exec rm -f srv/current srv/also', 'changed', undefined],
        ['symlink /srv/current', 'after', 2],
        ['symlink /srv/also', 'after', 2],
      ],
    )
    assert.match(
      actions[3]!.message,
      /^would change \(after exec rm -f srv\/current srv\/also\): on the node as it is, exists and is not a symlink/,
    )
    const phase = report.groups[0]!.phases.find((p) => p.phase === 'configure')!
    assert.equal(phase.status, 'changed')
    assert.deepEqual(phase.counts, { ok: 2, changed: 3, failed: 0, skipped: 0 })
    assert.equal(report.groups[0]!.nodes[0]!.status, 'changed')
    // Nothing was changed.
    assert.equal(await readFile(join(folder(), 'srv', 'current'), 'utf8'), 'a file\n')
  })

  it('shows it in the plain output', async () => {
    const result = await runCli(['lift', '--dry-run'], { cwd: dir })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(
      result.stdout,
      /after\s+symlink \S+\/srv\/current: would change \(after exec rm -f srv\/current srv\/also\)/,
    )
    assert.doesNotMatch(result.stdout, /FAILED|failed/)
  })

  it('the real run does what the dry run said', async () => {
    const result = await runCli(['lift', '--json'], { cwd: dir })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(
      actionsOf(json(result.stdout)).map((a) => a.status),
      ['ok', 'ok', 'changed', 'changed', 'changed'],
    )
  })

  it('a check that fails with no would-change action before it still fails the dry run', async () => {
    const yaml = await readFile(join(dir, 'forklift.yaml'), 'utf8')
    await writeFile(join(dir, 'forklift.yaml'), yaml.replace(/ {8}- \{ type: exec.*\n/, ''))
    await rm(join(folder(), 'srv', 'current'))
    await writeFile(join(folder(), 'srv', 'current'), 'a file again\n')
    const result = await runCli(['lift', '--dry-run', '--json'], { cwd: dir })
    assert.equal(result.code, 1, result.stdout + result.stderr)
    const actions = actionsOf(json(result.stdout))
    assert.deepEqual(
      actions.map((a) => a.status),
      ['ok', 'ok', 'failed', 'skipped'],
    )
    assert.equal(actions[2]!.after, undefined)
  })
})

describe('a dry run on a fresh node: a package it would install, then its service', () => {
  let lab: TestNodes
  let dir: string
  let env: NodeJS.ProcessEnv
  let skip = false
  before(async (t) => {
    if (!requireRootfs(t as never)) {
      skip = true
      return
    }
    lab = await startRootfsNodes(undefined, { count: 1, prefix: 'dryrun' })
    const node = lab.nodes[0]!
    dir = await project(`providers:
  lab:
    type: node-list
    settings:
      nodes:
        - { name: web-1, address: "${node.address}", port: ${node.port}, user: root, group: web }
groups:
  web:
    provider: lab
    login: { identity-file: ${lab.clientKey} }
    phases:
      configure:
        - { type: package, name: hello }
        - { type: service, name: hello, state: started }
`)
    const config = join(dir, 'xdg')
    await mkdir(join(config, 'forklift'), { recursive: true })
    await writeFile(join(config, 'forklift', 'known_hosts'), await readFile(lab.knownHosts))
    env = { XDG_CONFIG_HOME: config, HOME: dir, SSH_AUTH_SOCK: '' }
  })
  after(async () => {
    if (skip) return
    await lab.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('reports the service as would change (after package hello), not failed', async (t) => {
    if (skip) return t.skip('needs rootfs nodes')
    const result = await runCli(['lift', '--dry-run', '--json'], { cwd: dir, env })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const actions = actionsOf(json(result.stdout))
    assert.deepEqual(
      actions.map((a) => [a.summary, a.status, a.after]),
      [
        ['package hello', 'changed', undefined],
        ['service hello', 'after', 0],
      ],
    )
    assert.match(actions[1]!.message, /^would change \(after package hello\): on the node as it is, /)
    const check = await lab.nodes[0]!.exec('dpkg -s hello >/dev/null 2>&1 && echo installed || echo absent')
    assert.equal(check.stdout.trim(), 'absent')
  })
})

describe('a dry run runs the checks of the vagrant provider', () => {
  let dir: string
  let env: Record<string, string>
  const yaml = (image: string) => `name: dry
providers:
  vg:
    type: vagrant
    settings: { provider: libvirt, private-network: false }
groups:
  web:
    provider: vg
    count: 2
    image: ${image}
    login: { user: forklift, identity-file: id_ed25519 }
`
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-dry-vagrant-'))
    await generateKey(join(dir, 'id_ed25519'))
    env = { ...vagrantEnv(join(dir, 'vagrant-home')), HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg') }
  })
  after(() => rm(dir, { recursive: true, force: true }))

  const both = async (extra: Record<string, string> = {}) => {
    const run = (dry: boolean) =>
      runCli(['converge', '--json', ...(dry ? ['--dry-run'] : [])], { cwd: dir, env: { ...env, ...extra } })
    return { real: await run(false), dry: await run(true) }
  }

  it('an image with no known box fails the dry run as it fails the real one', async () => {
    await writeFile(join(dir, 'forklift.yaml'), yaml('{ os: plan9, version: "4" }'))
    const { real, dry } = await both()
    for (const result of [real, dry]) {
      assert.equal(result.code, 1, result.stdout + result.stderr)
      assert.match(
        json(result.stdout).groups[0]!.error ?? '',
        /os plan9 version 4 has no well-known Vagrant box/,
      )
    }
    assert.equal(json(dry.stdout).groups[0]!.error, json(real.stdout).groups[0]!.error)
    assert.doesNotMatch(dry.stdout + dry.stderr, /would create/)
  })

  it('no vagrant on PATH fails the dry run as it fails the real one', async () => {
    await writeFile(join(dir, 'forklift.yaml'), yaml('{ box: local/never-fetched }'))
    const empty = join(dir, 'empty-bin')
    await mkdir(empty, { recursive: true })
    const { real, dry } = await both({ PATH: empty })
    for (const result of [real, dry]) {
      assert.equal(result.code, 1, result.stdout + result.stderr)
      assert.equal(
        json(result.stdout).groups[0]!.error,
        'cannot run vagrant: not found on PATH (install Vagrant, or set the provider setting `vagrant` to its path)',
      )
    }
    assert.deepEqual(await machineFolders(dir), [])
  })

  it('with vagrant, says which box it would add and adds none', async (t) => {
    if (!requireTools(t, 'vagrant')) return
    await writeFile(join(dir, 'forklift.yaml'), yaml('{ box: local/never-fetched }'))
    const dry = await runCli(['converge', '--dry-run'], { cwd: dir, env })
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    assert.match(dry.stdout, /web: would add box local\/never-fetched for libvirt/)
    assert.match(dry.stdout, /would create 2 and destroy 0 node\(s\)/)
    const boxes = await readdir(join(dir, 'vagrant-home', 'boxes')).catch(() => [] as string[])
    assert.deepEqual(boxes, [])
  })
})

describe('a dry run runs the checks of the ec2 provider', () => {
  let e: Ec2Endpoint
  let dir: string
  let env: NodeJS.ProcessEnv
  const yaml = (image: string) => `name: dry
providers:
  aws:
    type: ec2
    settings: { region: us-east-1, waiter-delay: 0.05 }
groups:
  web:
    provider: aws
    count: 2
    image: ${image}
    login: { user: forklift, identity-file: id_ed25519 }
`
  before(async () => {
    e = await startEc2Endpoint({
      launcher: {
        launch: () => Promise.reject(new Error('nothing may be launched by these tests')),
      },
    })
    dir = await mkdtemp(join(tmpdir(), 'forklift-dry-ec2-'))
    await generateKey(join(dir, 'id_ed25519'))
    env = {
      ...e.env,
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'xdg'),
      SSH_AUTH_SOCK: '',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      AWS_CONFIG_FILE: join(dir, 'none'),
    }
  })
  after(async () => {
    await e.stop()
    assert.deepEqual(e.errors, [])
    await rm(dir, { recursive: true, force: true })
  })

  const both = async (extra: Record<string, string> = {}) => {
    const run = (dry: boolean) =>
      runCli(['converge', '--json', ...(dry ? ['--dry-run'] : [])], { cwd: dir, env: { ...env, ...extra } })
    return { real: await run(false), dry: await run(true) }
  }
  const launches = () => e.calls.filter((c) => c.action === 'RunInstances' || c.action === 'ImportKeyPair')

  it('without credentials, the dry run fails as the real one does', async () => {
    await writeFile(join(dir, 'forklift.yaml'), yaml('{ os: debian, version: "12" }'))
    const { real, dry } = await both({ AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' })
    for (const result of [real, dry]) {
      assert.equal(result.code, 1, result.stdout + result.stderr)
      assert.match(json(result.stdout).groups[0]!.error ?? '', /no AWS credentials found/)
    }
    assert.equal(json(dry.stdout).groups[0]!.error, json(real.stdout).groups[0]!.error)
  })

  it('without a region, the dry run fails as the real one does', async () => {
    await writeFile(
      join(dir, 'forklift.yaml'),
      yaml('{ os: debian, version: "12" }').replace('region: us-east-1, ', ''),
    )
    const { AWS_REGION: _, ...noRegion } = env
    const run = (dry: boolean) =>
      runCli(['converge', '--json', ...(dry ? ['--dry-run'] : [])], { cwd: dir, env: noRegion })
    for (const result of [await run(false), await run(true)]) {
      assert.equal(result.code, 1, result.stdout + result.stderr)
      assert.match(
        json(result.stdout).groups[0]!.error ?? '',
        /no AWS region: set the provider setting `region`/,
      )
    }
  })

  it('an image that does not exist fails the dry run as it fails the real one, and nothing is made', async () => {
    await writeFile(join(dir, 'forklift.yaml'), yaml('{ id: ami-0000000000000dead }'))
    const { real, dry } = await both()
    for (const result of [real, dry]) {
      assert.equal(result.code, 1, result.stdout + result.stderr)
      assert.match(json(result.stdout).groups[0]!.error ?? '', /ami-0000000000000dead/)
    }
    assert.equal(json(dry.stdout).groups[0]!.error, json(real.stdout).groups[0]!.error)
    assert.deepEqual(launches(), [])
  })

  it('a launch it can plan is a dry run that says what it would launch, and launches nothing', async () => {
    await writeFile(join(dir, 'forklift.yaml'), yaml('{ os: debian, version: "12" }'))
    const dry = await runCli(['converge', '--dry-run'], { cwd: dir, env })
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    assert.match(dry.stdout, /group web: would launch 2 × t3\.micro from ami-/)
    assert.deepEqual(launches(), [])
  })
})
