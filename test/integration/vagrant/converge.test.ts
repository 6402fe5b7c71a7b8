import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { stringify } from 'yaml'
import { runCli } from '../../support/cli.js'
import { generateKey } from '../../support/keys.js'
import { podmanTestImage, startPodmanService } from '../../support/podman.js'
import { requireThat, requireTools } from '../../support/require.js'
import { destroyMachines, machineFolders, vagrantEnv, vagrantState } from '../../support/vagrant.js'

const run = promisify(execFile)

interface JsonNode {
  name: string
  address: string
  port?: number
  state?: string
}

test('forklift converge through the vagrant provider (docker on podman): two groups, machines destroyed and made again, a stopped one started', async (t) => {
  if (!requireTools(t, 'vagrant', 'podman', 'runc', 'docker', 'ssh')) return
  if (!requireThat(t, process.getuid?.() === 0, 'needs root (rootful podman)')) return

  const dir = await mkdtemp(join(tmpdir(), 'forklift-vagrant-converge-'))
  const project = join(dir, 'project')
  await mkdir(project)
  const service = await startPodmanService(dir)
  const env = {
    ...service.env,
    ...vagrantEnv(join(dir, 'vagrant-home')),
    XDG_CONFIG_HOME: join(dir, 'config'),
  }
  const knownHosts = join(dir, 'config', 'forklift', 'known_hosts')
  t.after(async () => {
    await destroyMachines(project, env)
    await service.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const image = await podmanTestImage()
  const key = await generateKey(join(project, 'id'))
  const config = join(project, 'forklift.yaml')
  const group = (count: number) => ({
    provider: 'boxes',
    count,
    login: { user: 'admin', 'identity-file': 'id' },
    phases: {
      configure: [
        { type: 'file', path: '/etc/forklift-e2e', content: 'converged by forklift\n', mode: '0644' },
      ],
    },
  })
  await writeFile(
    config,
    stringify({
      name: 'vagrant-e2e',
      providers: {
        boxes: {
          type: 'vagrant',
          settings: {
            provider: 'docker',
            parallel: 2,
            ssh: { username: 'root', 'private-key-path': 'id' },
            docker: {
              image,
              'create-args': ['--network=slirp4netns', `--label=forklift.test=${service.label}`],
              env: { FORKLIFT_AUTHORIZED_KEY: key.publicKey },
              'ssh-address': '127.0.60.64/26',
            },
          },
        },
      },
      // Both groups are inventoried at once, on one provider instance.
      groups: { web: group(2), db: group(1) },
    }),
  )
  const cli = (...args: string[]) => runCli(args, { cwd: project, env })
  const nodes = async (): Promise<Record<string, JsonNode[]>> => {
    const listed = await cli('nodes', '-c', config, '--json')
    assert.equal(listed.code, 0, listed.stderr)
    const groups: { group: string; error?: string; nodes: JsonNode[] }[] = JSON.parse(listed.stdout)
    assert.deepEqual(
      groups.map((g) => g.error),
      [undefined, undefined],
    )
    return Object.fromEntries(groups.map((g) => [g.group, g.nodes]))
  }
  const ssh = async (address: string, user: string, command: string) =>
    (
      await run('ssh', [
        ...['-i', key.privateKey, '-p', '2222', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'],
        ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
        `${user}@${address}`,
        command,
      ])
    ).stdout.trim()
  const folder = (group: string, name: string) => join(project, '.forklift', 'vagrant', group, name)
  /** Converge; every node of every group must end ok or changed, with these created and destroyed. */
  const converge = async (
    args: string[],
    created: Record<string, string[]>,
    destroyed: Record<string, string[]>,
  ) => {
    const result = await cli('converge', '-c', config, '--json', '--accept-new-host-keys', ...args)
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`)
    const report = JSON.parse(result.stdout)
    for (const g of report.groups as {
      name: string
      created: string[]
      destroyed: string[]
      nodes: { status: string }[]
    }[]) {
      assert.deepEqual([...g.created].sort(), created[g.name] ?? [], `${g.name} created`)
      assert.deepEqual([...g.destroyed].sort(), destroyed[g.name] ?? [], `${g.name} destroyed`)
      for (const node of g.nodes) assert.match(node.status, /^(ok|changed)$/)
    }
  }
  /** The host key aliases Forklift's known_hosts holds, sorted. */
  const aliases = async () =>
    (await readFile(knownHosts, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')[0]!)
      .sort()
  const configured = async (list: JsonNode[]) => {
    for (const node of list) {
      assert.equal(
        await ssh(node.address, 'admin', 'cat /etc/forklift-e2e; sudo -n id -un; hostname'),
        `converged by forklift\nroot\n${node.name}`,
      )
    }
  }

  await t.test('two groups in one converge get distinct addresses; every machine is configured', async () => {
    await converge([], { web: ['web-1', 'web-2'], db: ['db-1'] }, {})
    const listed = await nodes()
    const all = [...listed.web!, ...listed.db!]
    assert.deepEqual(
      all.map((n) => [n.name, n.state]),
      [
        ['web-1', 'running'],
        ['web-2', 'running'],
        ['db-1', 'running'],
      ],
    )
    assert.equal(new Set(all.map((n) => n.address)).size, 3, all.map((n) => n.address).join(' '))
    for (const n of all) assert.match(n.address, /^127\.0\.60\.(6[6-9]|[7-9]\d|1[01]\d|12[0-6])$/)
    await configured(all)
    // One key per machine, each under the machine's own alias (not its address).
    const kept = await aliases()
    assert.equal(kept.length, 3, kept.join('\n'))
    for (const alias of kept)
      assert.match(alias, /^(web-1\.web|web-2\.web|db-1\.db)\.\d+\.[0-9a-f]{10}\.vagrant\.forklift$/)
  })

  await t.test('web 2 → 0 → 2: new machines at the old addresses pass the host key check', async () => {
    const before = (await nodes()).web!.map((n) => n.address)
    const dbAlias = (await aliases()).filter((a) => a.startsWith('db-1.'))
    await converge(['--count', 'web=0'], {}, { web: ['web-1', 'web-2'] })
    // The destroyed machines' keys are gone with them; db's stays.
    assert.deepEqual(await aliases(), dbAlias)
    assert.deepEqual(await service.containers().then((c) => c.length), 1)
    await converge([], { web: ['web-1', 'web-2'] }, {})
    const after = (await nodes()).web!
    // Lowest free first: the same addresses again, other machines, other host keys.
    assert.deepEqual(after.map((n) => n.address).sort(), [...before].sort())
    await configured(after)
    assert.equal((await aliases()).length, 3)
  })

  await t.test('web 2 → 1 → 2: the newest machine made again passes too', async () => {
    await converge(['--count', 'web=1'], {}, { web: ['web-2'] })
    assert.deepEqual(
      (await nodes()).web!.map((n) => n.name),
      ['web-1'],
    )
    await converge([], { web: ['web-2'] }, {})
    await configured((await nodes()).web!)
    assert.equal((await aliases()).length, 3)
  })

  await t.test('a stopped machine is listed as stopped, then started by the next converge', async () => {
    await run('podman', ['stop', '-t', '0', ...(await podmanNames(service, 'db/db-1'))], {
      env: { ...process.env, ...service.env },
    })
    const stopped = (await nodes()).db!
    // Listed as it is, with the port it is published on (not ssh's 22).
    assert.deepEqual(
      stopped.map((n) => [n.name, n.state, n.port]),
      [['db-1', 'stopped', 2222]],
    )
    assert.equal(await vagrantState(folder('db', 'db-1'), 'db-1', env), 'stopped')
    await converge([], {}, {})
    assert.equal(await vagrantState(folder('db', 'db-1'), 'db-1', env), 'running')
    await configured((await nodes()).db!)
  })

  await t.test('scaling every group to 0 leaves no folder, no container, no host key', async () => {
    await converge(['--count', 'web=0', '--count', 'db=0'], {}, { web: ['web-1', 'web-2'], db: ['db-1'] })
    assert.deepEqual(await machineFolders(project), [])
    assert.deepEqual(await service.containers(), [])
    assert.deepEqual(await aliases(), [])
  })
})

/** Names of the test's containers of one node (label forklift.node=GROUP/NAME). */
async function podmanNames(service: { env: Record<string, string>; label: string }, node: string) {
  const { stdout } = await run(
    'podman',
    [
      'ps',
      '-a',
      '--filter',
      `label=forklift.test=${service.label}`,
      '--filter',
      `label=forklift.node=${node}`,
      '--format',
      '{{.Names}}',
    ],
    { env: { ...process.env, ...service.env } },
  )
  return stdout.split('\n').filter(Boolean)
}
