import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
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
  state?: string
}

test('forklift converge through the vagrant provider (docker on podman): 2 machines, then 1, then none', async (t) => {
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
  t.after(async () => {
    await destroyMachines(project, env)
    await service.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const image = await podmanTestImage()
  const key = await generateKey(join(project, 'id'))
  const config = join(project, 'forklift.yaml')
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
      groups: {
        web: {
          provider: 'boxes',
          count: 2,
          login: { user: 'admin', 'identity-file': 'id' },
          phases: {
            configure: [
              { type: 'file', path: '/etc/forklift-e2e', content: 'converged by forklift\n', mode: '0644' },
            ],
          },
        },
      },
    }),
  )
  const cli = (...args: string[]) => runCli(args, { cwd: project, env })
  const nodes = async (): Promise<JsonNode[]> => {
    const listed = await cli('nodes', '-c', config, '--json')
    assert.equal(listed.code, 0, listed.stderr)
    const groups: { group: string; error?: string; nodes: JsonNode[] }[] = JSON.parse(listed.stdout)
    assert.deepEqual(
      groups.map((g) => [g.group, g.error]),
      [['web', undefined]],
    )
    return groups[0]!.nodes
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
  const folder = (name: string) => join(project, '.forklift', 'vagrant', 'web', name)

  await t.test('converge creates two machines, bootstraps the admin login and configures both', async () => {
    const result = await cli('converge', '-c', config, '--json', '--accept-new-host-keys')
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`)
    const report = JSON.parse(result.stdout)
    const web = report.groups.find((g: { name: string }) => g.name === 'web')
    assert.deepEqual([...web.created].sort(), ['web-1', 'web-2'])
    assert.deepEqual(web.destroyed, [])
    for (const [name, address] of [
      ['web-1', '127.0.60.66'],
      ['web-2', '127.0.60.67'],
    ] as const) {
      assert.equal(await vagrantState(folder(name), name, env), 'running')
      assert.equal(
        await ssh(address, 'admin', 'cat /etc/forklift-e2e; sudo -n id -un; hostname'),
        `converged by forklift\nroot\n${name}`,
      )
    }
    assert.deepEqual(
      (await nodes()).map((n) => [n.name, n.address, n.state]),
      [
        ['web-1', '127.0.60.66', 'running'],
        ['web-2', '127.0.60.67', 'running'],
      ],
    )
  })

  await t.test(
    'converge --count web=1 destroys the newest machine and leaves the other configured',
    async () => {
      const result = await cli(
        'converge',
        '-c',
        config,
        '--count',
        'web=1',
        '--json',
        '--accept-new-host-keys',
      )
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`)
      const web = JSON.parse(result.stdout).groups.find((g: { name: string }) => g.name === 'web')
      assert.deepEqual(web.destroyed, ['web-2'])
      assert.deepEqual(web.created, [])
      assert.deepEqual(
        (await machineFolders(project)).map((f) => f.slice(project.length)),
        ['/.forklift/vagrant/web/web-1'],
      )
      assert.equal(await vagrantState(folder('web-1'), 'web-1', env), 'running')
      assert.deepEqual(
        (await nodes()).map((n) => n.name),
        ['web-1'],
      )
      assert.equal((await service.containers()).length, 1)
    },
  )

  await t.test('converge --count web=0 destroys the last machine: no folder, no container', async () => {
    const result = await cli('converge', '-c', config, '--count', 'web=0', '--json')
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`)
    assert.deepEqual(await machineFolders(project), [])
    assert.deepEqual(await service.containers(), [])
    assert.deepEqual(await nodes(), [])
  })
})
