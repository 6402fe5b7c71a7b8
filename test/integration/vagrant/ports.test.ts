import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import type { GroupSpec } from '../../../src/core/model/group.js'
import vagrant from '../../../src/plugins/vagrant/index.js'
import { generateKey } from '../../support/keys.js'
import { fixture } from '../../support/paths.js'
import { podmanTestImage, startPodmanService } from '../../support/podman.js'
import { requireThat, requireTools } from '../../support/require.js'
import { destroyMachines, machineFolders, vagrantEnv } from '../../support/vagrant.js'
import { buildBox, startBoxCatalogue } from '../../support/vagrant-boxes.js'

const run = promisify(execFile)

/**
 * The VM path of the provider (a box, forwarded ports from `host-ports` with auto-correct, the
 * `vagrant port` read-back) against the real Vagrant: VirtualBox is absent here, so the machines are
 * containers of Vagrant's docker provider registered under another name with VirtualBox's
 * forwarded_ports capability (test/fixtures/vagrant/forwarding-containers-plugin.rb). Forklift sees
 * an ordinary VM provider.
 */
test('vagrant provider: forwarded ports Vagrant moved are reported where `vagrant port` says', async (t) => {
  if (!requireTools(t, 'vagrant', 'podman', 'runc', 'docker', 'tar', 'ssh')) return
  if (!requireThat(t, process.getuid?.() === 0, 'needs root (rootful podman)')) return

  const dir = await mkdtemp(join(tmpdir(), 'forklift-vagrant-ports-'))
  const project = join(dir, 'project')
  await mkdir(project)
  const service = await startPodmanService(dir)
  const image = await podmanTestImage()
  const key = await generateKey(join(dir, 'id'))
  const provider = 'forwarding_containers'
  // The box carries the container settings, as a docker box does.
  const box = await buildBox(
    join(dir, 'box'),
    provider,
    [
      'Vagrant.configure("2") do |config|',
      `  config.vm.provider "${provider}" do |d|`,
      `    d.image = ${JSON.stringify(image)}`,
      '    d.has_ssh = true',
      `    d.create_args = ["--network=slirp4netns", "--label=forklift.test=${service.label}"]`,
      `    d.env = { "FORKLIFT_AUTHORIZED_KEY" => ${JSON.stringify(key.publicKey)} }`,
      '  end',
      'end',
      '',
    ].join('\n'),
  )
  const catalogue = await startBoxCatalogue({
    'forklift/forwarding': [{ version: '1.0.0', provider, file: box }],
  })
  const home = join(dir, 'vagrant-home')
  await mkdir(home)
  await writeFile(
    join(home, 'Vagrantfile'),
    `require ${JSON.stringify(fixture('vagrant', 'forwarding-containers-plugin.rb'))}\n`,
  )
  const env = { ...service.env, ...vagrantEnv(home), VAGRANT_SERVER_URL: catalogue.url }
  const squatter = createServer()
  t.after(async () => {
    await new Promise<void>((resolve) => squatter.close(() => resolve()))
    await destroyMachines(project, env)
    await service.stop()
    await catalogue.stop()
    await rm(dir, { recursive: true, force: true })
  })
  Object.assign(process.env, env)

  const group: GroupSpec = {
    name: 'web',
    provider: 'machines',
    count: 1,
    node: {
      image: { box: 'forklift/forwarding' },
      hardware: {},
      network: { 'inbound-ports': [80, 8080] },
      login: {},
    },
    crates: [],
    phases: {},
    environment: {},
  }
  let planned: Record<string, number> = {}
  const context = {
    name: 'machines',
    project: 'demo',
    projectDir: project,
    settings: vagrant.settingsSchema.parse({
      provider,
      'private-network': false,
      'host-ports': '27100-27199',
      ssh: { username: 'root', 'private-key-path': key.privateKey },
    }) as Record<string, unknown>,
    runId: 'run-1',
    log: (line: string) => {
      // The host ports are handed out and written before the box is added: once they are, something
      // else takes the one planned for port 80, so Vagrant finds it taken when it brings the machine up.
      if (!line.startsWith('web: adding box')) return
      const marker = readFileSync(join(project, '.forklift/vagrant/web/web-1/.forklift-node.json'), 'utf8')
      planned = JSON.parse(marker).addresses.ports
      squatter.listen({ host: '127.0.0.1', port: planned['80'] })
    },
  }
  const machines = await vagrant.create(context)
  const signal = new AbortController().signal

  const [node] = await machines.createNodes!(group, 1, signal)
  assert.equal(squatter.listening, true, 'the planned host port was taken before the up')
  assert.deepEqual(Object.keys(planned), ['80', '8080'])

  // What Vagrant itself says, read without Forklift.
  const machineDir = join(project, '.forklift/vagrant/web/web-1')
  const { stdout } = await run('vagrant', ['port', 'web-1', '--machine-readable'], {
    cwd: machineDir,
    env: { ...process.env, VAGRANT_CWD: machineDir },
  })
  const forwarded = new Map(
    stdout
      .split('\n')
      .map((line) => line.split(','))
      .filter((f) => f[2] === 'forwarded_port')
      .map((f) => [f[3], Number(f[4])]),
  )
  const moved = forwarded.get('80')!
  assert.notEqual(moved, planned['80'], 'Vagrant moved the taken port')
  assert.equal(forwarded.get('8080'), planned['8080'])
  assert.deepEqual(
    { 'port-80': node!.tags?.['port-80'], 'port-8080': node!.tags?.['port-8080'] },
    { 'port-80': `127.0.0.1:${moved}`, 'port-8080': `127.0.0.1:${planned['8080']}` },
  )
  // And it is where the container publishes port 80, as the docker API reports it.
  const [container] = await service.containers()
  const { stdout: published } = await run('docker', ['port', container!, '80/tcp'], {
    env: { ...process.env, ...env },
  })
  assert.equal(published.trim(), `127.0.0.1:${moved}`)

  // The machine folder keeps them: a later listing reports the same ports.
  const again = await vagrant.create(context)
  const [listed] = await again.listNodes({ group: 'web' })
  assert.equal(listed!.tags?.['port-80'], `127.0.0.1:${moved}`)
  assert.equal(listed!.tags?.['port-8080'], `127.0.0.1:${planned['8080']}`)
  // And it is a machine Forklift reaches over SSH.
  const ssh = await run('ssh', [
    ...['-i', key.privateKey, '-p', String(listed!.port), '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'],
    ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
    `root@${listed!.address}`,
    'hostname',
  ])
  assert.equal(ssh.stdout.trim(), 'web-1')

  await machines.destroyNodes!([listed!], signal)
  assert.deepEqual(await machineFolders(project), [])
  assert.deepEqual(await service.containers(), [])
})
