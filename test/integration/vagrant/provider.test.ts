import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import type { GroupSpec } from '../../../src/core/model/group.js'
import type { Provider } from '../../../src/core/providers/types.js'
import vagrant from '../../../src/plugins/vagrant/index.js'
import { generateKey } from '../../support/keys.js'
import { podmanTestImage, startPodmanService } from '../../support/podman.js'
import { requireThat, requireTools } from '../../support/require.js'
import { destroyMachines, machineFolders, vagrantEnv, vagrantState } from '../../support/vagrant.js'

const run = promisify(execFile)

function group(name: string): GroupSpec {
  return {
    name,
    provider: 'boxes',
    count: 1,
    node: { image: {}, hardware: {}, network: { 'inbound-ports': [] }, login: {} },
    crates: [],
    phases: {},
    environment: {},
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

test('vagrant provider, docker on podman: create, list, destroy, a failed up, an aborted up', async (t) => {
  if (!requireTools(t, 'vagrant', 'podman', 'runc', 'docker', 'ssh')) return
  if (!requireThat(t, process.getuid?.() === 0, 'needs root (rootful podman)')) return

  const dir = await mkdtemp(join(tmpdir(), 'forklift-vagrant-provider-'))
  const project = join(dir, 'project')
  await mkdir(project)
  const service = await startPodmanService(dir)
  const env = { ...service.env, ...vagrantEnv(join(dir, 'vagrant-home')) }
  t.after(async () => {
    await destroyMachines(project, env)
    await service.stop()
    await rm(dir, { recursive: true, force: true })
  })
  // The provider runs vagrant with this process's environment, as the CLI would.
  Object.assign(process.env, env)

  const image = await podmanTestImage()
  const key = await generateKey(join(dir, 'id'))
  const settings = (createArgs: string[]) => ({
    provider: 'docker',
    ssh: { username: 'root', 'private-key-path': key.privateKey },
    docker: {
      image,
      'create-args': ['--network=slirp4netns', `--label=forklift.test=${service.label}`, ...createArgs],
      env: { FORKLIFT_AUTHORIZED_KEY: key.publicKey },
      'ssh-address': '127.0.60.0/26',
    },
  })
  const logs: string[] = []
  const context = (name: string, createArgs: string[] = []) => ({
    name,
    project: 'demo',
    projectDir: project,
    settings: vagrant.settingsSchema.parse(settings(createArgs)) as Record<string, unknown>,
    runId: 'run-1',
    log: (line: string) => logs.push(line),
  })
  const boxes: Provider = await vagrant.create(context('boxes'))
  /** The address web-1 was given. */
  let first = ''
  const signal = new AbortController().signal

  await t.test('an empty project has no nodes', async () => {
    assert.deepEqual(await boxes.listNodes({}), [])
  })

  await t.test('a machine comes up on its own loopback address; the node says how to reach it', async (t) => {
    // Something of another project listens on the first address's SSH port: that address is skipped.
    // (Already taken is as good: another run of this test holds it.)
    const squatter = createServer()
    await new Promise<void>((resolve) => {
      squatter.once('error', () => resolve())
      squatter.listen({ host: '127.0.60.2', port: 2222 }, resolve)
    })
    t.after(() => new Promise<void>((resolve) => squatter.close(() => resolve())))
    // Inherited, these would make Vagrant keep its data elsewhere than the machine folder.
    process.env.VAGRANT_DOTFILE_PATH = join(dir, 'elsewhere')
    process.env.VAGRANT_VAGRANTFILE = 'Elsewhere.rb'
    const unset = () => {
      delete process.env.VAGRANT_DOTFILE_PATH
      delete process.env.VAGRANT_VAGRANTFILE
    }
    t.after(unset)
    const [node, ...more] = await boxes.createNodes!(group('web'), 1, signal)
    // The checks below run vagrant as a user would, without them.
    unset()
    assert.deepEqual(more, [])
    const marker = JSON.parse(
      await readFile(join(project, '.forklift/vagrant/web/web-1/.forklift-node.json'), 'utf8'),
    )
    assert.deepEqual(node, {
      id: '.forklift/vagrant/web/web-1',
      name: 'web-1',
      group: 'web',
      provider: 'boxes',
      transport: 'ssh',
      address: node!.address,
      port: 2222,
      user: 'root',
      identityFile: key.privateKey,
      hostKeyAlias: `web-1.web.${marker.createdAt.replace(/[^0-9]/g, '')}.${createHash('sha256').update(project).digest('hex').slice(0, 10)}.vagrant.forklift`,
      tags: { 'vagrant-provider': 'docker' },
      state: 'running',
      createdAt: marker.createdAt,
    })
    const { stdout } = await run('ssh', [
      ...['-i', key.privateKey, '-p', '2222', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'],
      ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
      `root@${node!.address}`,
      'hostname',
    ])
    first = node!.address
    assert.match(node!.address, /^127\.0\.60\.([3-9]|[1-5]\d|6[0-2])$/)
    assert.equal(stdout.trim(), 'web-1')
    assert.equal(await exists(join(project, node!.id, '.vagrant', 'machines', 'web-1')), true)
    assert.equal(await exists(join(dir, 'elsewhere')), false)
    assert.equal(await vagrantState(join(project, node!.id), 'web-1', env), 'running')
    assert.ok(logs.includes('web-1: ==> web-1: Creating the container...'), logs.join('\n'))
    assert.equal((await service.containers()).length, 1)
  })

  await t.test('the folders alone give the group: a new provider instance lists the same node', async () => {
    const again = await vagrant.create(context('boxes'))
    const listed = await again.listNodes({ group: 'web' })
    assert.deepEqual(
      listed.map((n) => [n.id, n.name, n.address, n.port, n.user, n.state]),
      [['.forklift/vagrant/web/web-1', 'web-1', first, 2222, 'root', 'running']],
    )
    assert.deepEqual(await again.listNodes({ group: 'db' }), [])
    // A listing stops with the run: an aborted signal starts no vagrant command.
    const aborted = new AbortController()
    aborted.abort()
    await assert.rejects(
      again.listNodes({ group: 'web', ready: true, signal: aborted.signal }),
      /^ProviderError: vagrant status web-1 was not started: interrupted$/,
    )
  })

  await t.test(
    "a failed up is one line with the exit status and Vagrant's message; nothing is left",
    async () => {
      const broken = await vagrant.create(context('broken', ['--no-such-option']))
      // A folder without a machine (left by a crash, say) is not a node, and its name is reused.
      const stale = join(project, '.forklift/vagrant/bad/bad-1')
      await mkdir(stale, { recursive: true })
      await writeFile(join(stale, 'Vagrantfile'), 'Vagrant.configure("2") { |c| c.vm.define "bad-1" }\n')
      await writeFile(
        join(stale, '.forklift-node.json'),
        JSON.stringify({
          name: 'bad-1',
          group: 'bad',
          provider: 'broken',
          createdAt: '2020-01-01T00:00:00.000Z',
          addresses: {},
        }),
      )
      assert.deepEqual(await broken.listNodes({ group: 'bad' }), [])

      await assert.rejects(broken.createNodes!(group('bad'), 1, signal), (error: Error) => {
        assert.equal(error.name, 'ProviderError')
        assert.match(
          error.message,
          /^vagrant up bad-1 failed \(exit 1\): A Docker command executed by Vagrant didn't complete successfully! .*unknown flag: --no-such-option/,
        )
        assert.doesNotMatch(error.message, /\n/)
        return true
      })
      assert.equal(await exists(join(project, '.forklift/vagrant/bad')), false)
      assert.equal((await service.containers()).length, 1)
    },
  )

  await t.test(
    'an aborted up ends vagrant, destroys the half-made machine and removes its folder',
    async () => {
      const controller = new AbortController()
      const aborting = await vagrant.create({
        ...context('boxes'),
        log: (line: string) => {
          if (line.includes('Creating the container')) controller.abort()
        },
      })
      await assert.rejects(
        aborting.createNodes!(group('web'), 1, controller.signal),
        /^ProviderError: vagrant up web-2 was interrupted \(it stopped within \d+ s\)$/,
      )
      assert.deepEqual(
        (await machineFolders(project)).map((f) => f.slice(project.length)),
        ['/.forklift/vagrant/web/web-1'],
      )
      assert.equal((await service.containers()).length, 1)
    },
  )

  await t.test('destroying a node destroys its machine and removes its folder', async () => {
    await boxes.destroyNodes!(await boxes.listNodes({}), signal)
    // The group's folder goes with its last machine.
    assert.equal(await exists(join(project, '.forklift/vagrant/web')), false)
    assert.deepEqual(await machineFolders(project), [])
    assert.deepEqual(await service.containers(), [])
  })
})
