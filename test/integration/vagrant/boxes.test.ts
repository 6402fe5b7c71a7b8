import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import type { GroupSpec } from '../../../src/core/model/group.js'
import vagrant from '../../../src/plugins/vagrant/index.js'
import { generateKey } from '../../support/keys.js'
import { podmanTestImage, startPodmanService } from '../../support/podman.js'
import { requireThat, requireTools } from '../../support/require.js'
import { destroyMachines, machineFolders, vagrantEnv } from '../../support/vagrant.js'
import { buildBox, startBoxCatalogue } from '../../support/vagrant-boxes.js'

const run = promisify(execFile)

function group(name: string, count: number, box: string): GroupSpec {
  return {
    name,
    provider: 'boxes',
    count,
    node: { image: { box }, hardware: {}, network: { 'inbound-ports': [] }, login: {} },
    crates: [],
    phases: {},
    environment: {},
  }
}

test('vagrant provider: boxes come from a catalogue, once, in the version asked for', async (t) => {
  if (!requireTools(t, 'vagrant', 'podman', 'runc', 'docker', 'tar')) return
  if (!requireThat(t, process.getuid?.() === 0, 'needs root (rootful podman)')) return

  const dir = await mkdtemp(join(tmpdir(), 'forklift-vagrant-boxes-'))
  const project = join(dir, 'project')
  await mkdir(project)
  const service = await startPodmanService(dir)
  // A docker box: its metadata names the provider; its Vagrantfile is merged under each machine's
  // (here a setting of no consequence, which makes the two versions' files differ).
  const v1 = await buildBox(
    join(dir, 'v1'),
    'docker',
    'Vagrant.configure("2") { |c| c.vm.boot_timeout = 301 }\n',
  )
  const v2 = await buildBox(
    join(dir, 'v2'),
    'docker',
    'Vagrant.configure("2") { |c| c.vm.boot_timeout = 302 }\n',
  )
  const catalogue = await startBoxCatalogue({
    'forklift/node': [
      { version: '1.0.0', provider: 'docker', file: v1 },
      { version: '2.0.0', provider: 'docker', file: v2 },
    ],
    'forklift/tampered': [{ version: '1.0.0', provider: 'docker', file: v1, checksum: '0'.repeat(64) }],
    'forklift/vbox-only': [{ version: '1.0.0', provider: 'virtualbox', file: v1 }],
  })
  const home = join(dir, 'vagrant-home')
  const env = { ...service.env, ...vagrantEnv(home), VAGRANT_SERVER_URL: catalogue.url }
  t.after(async () => {
    await destroyMachines(project, env)
    await service.stop()
    await catalogue.stop()
    await rm(dir, { recursive: true, force: true })
  })
  // The provider runs vagrant with this process's environment, as the CLI would.
  Object.assign(process.env, env)

  const image = await podmanTestImage()
  const key = await generateKey(join(dir, 'id'))
  const logs: string[] = []
  const provider = (boxVersion?: string) =>
    vagrant.create({
      name: 'boxes',
      project: 'demo',
      projectDir: project,
      settings: vagrant.settingsSchema.parse({
        provider: 'docker',
        parallel: 2,
        ...(boxVersion ? { 'box-version': boxVersion } : {}),
        ssh: { username: 'root', 'private-key-path': key.privateKey },
        docker: {
          image,
          'create-args': ['--network=slirp4netns', `--label=forklift.test=${service.label}`],
          env: { FORKLIFT_AUTHORIZED_KEY: key.publicKey },
          'ssh-address': '127.0.61.0/26',
        },
      }) as Record<string, unknown>,
      runId: 'run-1',
      log: (line: string) => logs.push(line),
    })
  const signal = new AbortController().signal
  const boxList = async () => {
    const { stdout } = await run('vagrant', ['box', 'list', '--machine-readable'], {
      env: { ...process.env, ...env },
    })
    return stdout
      .split('\n')
      .map((line) => line.split(','))
      .filter((f) => f[2]?.startsWith('box-'))
      .map((f) => `${f[2]}=${f[3]}`)
      .join(' ')
  }
  /** The box a machine was made from, as Vagrant recorded it in the machine's data. */
  const boxMeta = async (id: string, name: string) => {
    const meta = JSON.parse(
      await readFile(join(project, id, '.vagrant/machines', name, 'docker/box_meta'), 'utf8'),
    )
    return { name: meta.name, version: meta.version, provider: meta.provider }
  }

  await t.test('two groups converged at once, three machines: the box is downloaded once', async () => {
    const boxes = await provider('1.0.0')
    const [web, db] = await Promise.all([
      boxes.createNodes!(group('web', 2, 'forklift/node'), 2, signal),
      boxes.createNodes!(group('db', 1, 'forklift/node'), 1, signal),
    ])
    assert.deepEqual(
      [...web!, ...db!].map((n) => [n.name, n.state]),
      [
        ['web-1', 'running'],
        ['web-2', 'running'],
        ['db-1', 'running'],
      ],
    )
    // box-version 1.0.0 of a catalogue that has 1.0.0 and 2.0.0.
    assert.deepEqual(Object.fromEntries(catalogue.downloads), { 'forklift/node/1.0.0/docker': 1 })
    assert.equal(await boxList(), 'box-name=forklift/node box-provider=docker box-version=1.0.0')
    for (const node of [...web!, ...db!])
      assert.deepEqual(await boxMeta(node.id, node.name), {
        name: 'forklift/node',
        version: '1.0.0',
        provider: 'docker',
      })
    assert.equal(logs.filter((l) => l.includes('adding box forklift/node')).length, 1, logs.join('\n'))
  })

  await t.test('a box-version the box list does not meet is added, once', async () => {
    const boxes = await provider('>= 2, < 3')
    const [node] = await boxes.createNodes!(group('api', 1, 'forklift/node'), 1, signal)
    assert.deepEqual(await boxMeta(node!.id, 'api-1'), {
      name: 'forklift/node',
      version: '2.0.0',
      provider: 'docker',
    })
    assert.deepEqual(Object.fromEntries(catalogue.downloads), {
      'forklift/node/1.0.0/docker': 1,
      'forklift/node/2.0.0/docker': 1,
    })
    // A new machine that 1.0.0 and 2.0.0 both allow downloads nothing.
    const any = await provider('>= 1')
    await any.createNodes!(group('api', 2, 'forklift/node'), 1, signal)
    assert.equal(
      [...catalogue.downloads.values()].reduce((a, b) => a + b),
      2,
    )
    assert.equal(
      await boxList(),
      'box-name=forklift/node box-provider=docker box-version=1.0.0 box-name=forklift/node box-provider=docker box-version=2.0.0',
    )
    // A dry run's check reads the same list: a version none of the installed ones meets would be added.
    const requests = catalogue.requests.length
    const dryLogs = logs.length
    await (await provider('>= 3')).preflight!(
      { group: group('api', 3, 'forklift/node'), create: 1, destroy: [] },
      signal,
    )
    await any.preflight!({ group: group('api', 3, 'forklift/node'), create: 1, destroy: [] }, signal)
    assert.deepEqual(logs.slice(dryLogs), ['api: would add box forklift/node for docker (box-version >= 3)'])
    assert.equal(catalogue.requests.length, requests)
    await any.destroyNodes!(await any.listNodes({}), signal)
    assert.deepEqual(await machineFolders(project), [])
    assert.deepEqual(await service.containers(), [])
  })

  const before = () => catalogue.requests.length
  const failsCleanly = async (box: string, pattern: RegExp) => {
    const boxes = await provider()
    await assert.rejects(boxes.createNodes!(group('bad', 2, box), 2, signal), (error: Error) => {
      assert.equal(error.name, 'ProviderError')
      assert.match(error.message, pattern)
      assert.doesNotMatch(error.message, /\n/)
      return true
    })
    // Nothing half made: no folder, no container, no box.
    assert.deepEqual(await machineFolders(project), [])
    assert.deepEqual(await service.containers(), [])
    assert.doesNotMatch(await boxList(), new RegExp(box))
  }

  await t.test('a checksum that does not match is one clear line; nothing is added or made', async () => {
    const seen = before()
    await failsCleanly(
      'forklift/tampered',
      /^vagrant box add forklift\/tampered for docker failed \(exit 1\): The checksum of the downloaded box did not match the expected value\. .*Expected: 0{64} Received: [0-9a-f]{64}$/,
    )
    assert.ok(catalogue.requests.slice(seen).includes('GET /files/forklift/tampered/1.0.0/docker.box'))
  })

  await t.test('a box the catalogue does not have: the line names box, provider and the 404', async () => {
    await failsCleanly(
      'forklift/missing',
      /^vagrant box add forklift\/missing for docker failed \(exit 1\): The box 'forklift\/missing' could not be found .*URL: \["http:\/\/127\.0\.0\.1:\d+\/forklift\/missing"\] Error: The requested URL returned error: 404$/,
    )
  })

  await t.test('a box without the provider: the line names both', async () => {
    await failsCleanly(
      'forklift/vbox-only',
      /^vagrant box add forklift\/vbox-only for docker failed \(exit 1\): The box you're attempting to add doesn't support the provider you requested\. .*Name: forklift\/vbox-only /,
    )
  })

  await t.test('a version the catalogue does not have: the line names the constraint', async () => {
    const boxes = await provider('>= 3')
    await assert.rejects(
      boxes.createNodes!(group('bad', 1, 'forklift/node'), 1, signal),
      /^ProviderError: vagrant box add forklift\/node for docker \(box-version >= 3\) failed \(exit 1\): The box you're attempting to add has no available version that matches .*Constraints: >= 3 Available versions: 1\.0\.0, 2\.0\.0$/,
    )
    assert.deepEqual(await machineFolders(project), [])
  })
})
