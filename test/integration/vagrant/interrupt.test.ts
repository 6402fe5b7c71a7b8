import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { stringify } from 'yaml'
import { runCli } from '../../support/cli.js'
import { generateKey } from '../../support/keys.js'
import { forkliftBin } from '../../support/paths.js'
import { podmanTestImage, startPodmanService } from '../../support/podman.js'
import { tagged } from '../../support/proc.js'
import { requireThat, requireTools } from '../../support/require.js'
import { destroyMachines, machineFolders, vagrantEnv } from '../../support/vagrant.js'

const run = promisify(execFile)

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`gave up waiting for ${what}`)
}

test('vagrant interrupted and failing under forklift converge (docker on podman, through a launcher)', async (t) => {
  if (!requireTools(t, 'vagrant', 'podman', 'runc', 'docker', 'ssh')) return
  if (!requireThat(t, process.getuid?.() === 0, 'needs root (rootful podman)')) return

  const dir = await mkdtemp(join(tmpdir(), 'forklift-vagrant-interrupt-'))
  const project = join(dir, 'project')
  const signals = join(dir, 'signals')
  await mkdir(project)
  await mkdir(signals)
  const service = await startPodmanService(dir)
  const tag = `FORKLIFT_TEST_TAG=${service.label}`
  const env = {
    ...service.env,
    ...vagrantEnv(join(dir, 'vagrant-home')),
    XDG_CONFIG_HOME: join(dir, 'config'),
    FORKLIFT_TEST_TAG: service.label,
  }
  t.after(async () => {
    await destroyMachines(project, env)
    await service.stop()
    await rm(dir, { recursive: true, force: true })
  })
  const realVagrant = (await run('sh', ['-c', 'command -v vagrant'])).stdout.trim()

  // As HashiCorp's packaged vagrant: a launcher that catches SIGINT (its children keep the default)
  // and runs the real vagrant (Ruby) as its child. It notes each `up` as it starts.
  const launcher = join(dir, 'launcher')
  await writeFile(
    launcher,
    `#!/bin/sh\ntrap ':' INT\n[ "$1" = up ] && : > "${signals}/up-$2"\n${realVagrant} "$@"\n`,
  )
  // A Vagrant whose `up` and `destroy` of web-2 fail (as a broken provider would); web-1 is real.
  const failing = join(dir, 'failing')
  await writeFile(
    failing,
    [
      '#!/bin/sh',
      'if [ "$1 $2" = "up web-2" ]; then echo "1700000000,,error-exit,Vagrant::Errors::VagrantError,the provider fails up of web-2"; exit 1; fi',
      'if [ "$1 $2 $3" = "destroy -f web-2" ]; then echo "1700000000,,error-exit,Vagrant::Errors::VagrantError,the provider cannot destroy web-2"; exit 1; fi',
      `exec ${realVagrant} "$@"`,
      '',
    ].join('\n'),
  )
  await chmod(launcher, 0o755)
  await chmod(failing, 0o755)

  const image = await podmanTestImage()
  const key = await generateKey(join(project, 'id'))
  const config = join(project, 'forklift.yaml')
  const configure = (vagrant: string, count: number) =>
    writeFile(
      config,
      stringify({
        name: 'vagrant-interrupt',
        providers: {
          boxes: {
            type: 'vagrant',
            settings: {
              provider: 'docker',
              vagrant,
              ssh: { username: 'root', 'private-key-path': 'id' },
              timeouts: { grace: 120 },
              docker: {
                image,
                'create-args': ['--network=slirp4netns', `--label=forklift.test=${service.label}`],
                env: { FORKLIFT_AUTHORIZED_KEY: key.publicKey },
                'ssh-address': '127.0.60.128/26',
              },
            },
          },
        },
        groups: {
          web: {
            provider: 'boxes',
            count,
            login: { user: 'admin', 'identity-file': 'id' },
            phases: { configure: [{ type: 'file', path: '/etc/forklift-e2e', content: 'configured\n' }] },
          },
        },
      }),
    )

  /**
   * Start `forklift converge` in a process group of its own, as a shell runs a foreground job (a
   * terminal's Ctrl-C goes to that whole group); `interrupt` is called once web-1's `up` has started.
   */
  async function converge(interrupt: (pid: number, stdout: () => string) => Promise<void>) {
    await rm(join(signals, 'up-web-1'), { force: true })
    const child = spawn(process.execPath, [forkliftBin, 'converge', '-c', config, '--accept-new-host-keys'], {
      cwd: project,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c
    })
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c
    })
    const exited = once(child, 'exit')
    await waitFor('vagrant up web-1 to start', () => exists(join(signals, 'up-web-1')))
    await interrupt(child.pid!, () => stdout)
    const [code] = (await exited) as [number | null]
    return { code, output: `${stdout}\n${stderr}` }
  }
  const listed = async () => {
    const result = await runCli(['nodes', '-c', config, '--json'], { cwd: project, env })
    assert.equal(result.code, 0, result.stderr)
    return (JSON.parse(result.stdout) as { nodes: { name: string; state?: string }[] }[])[0]!.nodes
  }
  const nothingLeft = async () => {
    assert.deepEqual(await tagged(tag), [], 'vagrant, ruby or docker processes left behind')
  }

  await t.test(
    'the first Ctrl-C does not reach vagrant: the up in progress finishes, nothing new starts',
    async () => {
      await configure(launcher, 1)
      const { code, output } = await converge(async (pid) => {
        process.kill(-pid, 'SIGINT')
      })
      assert.equal(code, 1, output)
      assert.match(output, /interrupted: finishing running scripts, starting nothing new/)
      assert.deepEqual(
        (await listed()).map((n) => [n.name, n.state]),
        [['web-1', 'running']],
      )
      assert.equal((await service.containers()).length, 1)
      await nothingLeft()
      const down = await runCli(['converge', '-c', config, '--count', 'web=0'], { cwd: project, env })
      assert.equal(down.code, 0, `${down.stdout}\n${down.stderr}`)
      assert.deepEqual(await service.containers(), [])
    },
  )

  await t.test(
    'a second Ctrl-C stops vagrant through the launcher: it cleans up, no process, container or folder is left',
    async () => {
      await configure(launcher, 1)
      const { code, output } = await converge(async (pid, stdout) => {
        process.kill(-pid, 'SIGINT')
        // The second press once the first was seen (two signals at once may arrive as one).
        await waitFor('the first interrupt to be reported', async () =>
          stdout().includes('starting nothing new'),
        )
        process.kill(-pid, 'SIGINT')
      })
      assert.equal(code, 1, output)
      assert.match(
        output,
        /vagrant up web-1 was interrupted \((it stopped within \d+ s|killed after 120 s without stopping)\)/,
      )
      await nothingLeft()
      assert.deepEqual(await service.containers(), [])
      assert.deepEqual(await machineFolders(project), [])
    },
  )

  await t.test(
    'SIGTERM to Forklift (not to vagrant): the up in progress finishes, nothing new starts',
    async () => {
      await configure(launcher, 1)
      const { code, output } = await converge(async (pid) => {
        process.kill(pid, 'SIGTERM')
      })
      assert.equal(code, 1, output)
      assert.match(output, /interrupted \(SIGTERM\): finishing running scripts, starting nothing new/)
      assert.deepEqual(
        (await listed()).map((n) => [n.name, n.state]),
        [['web-1', 'running']],
      )
      assert.equal((await service.containers()).length, 1)
      await nothingLeft()
      const down = await runCli(['converge', '-c', config, '--count', 'web=0'], { cwd: project, env })
      assert.equal(down.code, 0, `${down.stdout}\n${down.stderr}`)
      assert.deepEqual(await service.containers(), [])
    },
  )

  await t.test(
    'a second SIGTERM stops vagrant through the launcher: it cleans up, no process, container or folder is left',
    async () => {
      await configure(launcher, 1)
      const { code, output } = await converge(async (pid, stdout) => {
        process.kill(pid, 'SIGTERM')
        await waitFor('the first interrupt to be reported', async () =>
          stdout().includes('starting nothing new'),
        )
        process.kill(pid, 'SIGTERM')
      })
      assert.equal(code, 1, output)
      assert.match(output, /interrupted again \(SIGTERM\): aborting running scripts/)
      assert.match(
        output,
        /vagrant up web-1 was interrupted \((it stopped within \d+ s|killed after 120 s without stopping)\)/,
      )
      await nothingLeft()
      assert.deepEqual(await service.containers(), [])
      assert.deepEqual(await machineFolders(project), [])
    },
  )

  await t.test(
    'a failed up whose cleanup fails too: the machine is named and its folder kept; the other is created and configured',
    async () => {
      await configure(failing, 2)
      const result = await runCli(['converge', '-c', config, '--json', '--accept-new-host-keys'], {
        cwd: project,
        env,
      })
      assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`)
      const web = JSON.parse(result.stdout).groups[0]
      assert.deepEqual(web.created, ['web-1'])
      assert.equal(
        web.error,
        'vagrant up web-2 failed (exit 1): the provider fails up of web-2; then destroying web-2 failed too (vagrant destroy web-2 failed (exit 1): the provider cannot destroy web-2): the machine may still exist, its folder .forklift/vagrant/web/web-2 is kept (run `vagrant destroy -f web-2` there)',
      )
      assert.deepEqual(
        web.nodes.map((n: { name: string; status: string }) => [n.name, n.status]),
        [['web-1', 'changed']],
      )
      assert.deepEqual(
        (await machineFolders(project)).map((f) => f.slice(project.length)),
        ['/.forklift/vagrant/web/web-1', '/.forklift/vagrant/web/web-2'],
      )
      assert.equal((await service.containers()).length, 1)
      await nothingLeft()
    },
  )
})
