import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { GroupSpec } from '../../../src/core/model/group.js'
import { settingsSchema } from '../../../src/plugins/vagrant/settings.js'
import { machineSpec, renderVagrantfile } from '../../../src/plugins/vagrant/vagrantfile.js'
import { startPodmanService } from '../../support/podman.js'
import { requireThat, requireTools } from '../../support/require.js'
import { fakeVBoxManage, vagrantEnv } from '../../support/vagrant.js'

const web: GroupSpec = {
  name: 'web',
  provider: 'boxes',
  count: 2,
  node: {
    image: { os: 'debian', version: '12' },
    hardware: { memory: 1024, cpus: 2 },
    network: { 'inbound-ports': [80, 443] },
    login: {},
  },
  crates: [],
  phases: {},
  environment: {},
}

test('generated Vagrantfiles pass the real `vagrant validate`', async (t) => {
  if (!requireTools(t, 'vagrant')) return
  const dir = await mkdtemp(join(tmpdir(), 'forklift-vagrant-validate-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const env = vagrantEnv(join(dir, 'home'))

  /** Write the Vagrantfile of web-1 for these settings and run `vagrant validate ARGS` on it. */
  async function validate(
    name: string,
    settings: unknown,
    args: string[],
    extraEnv: Record<string, string> = {},
  ) {
    const parsed = settingsSchema.parse(settings)
    const folder = join(dir, name)
    await mkdir(folder)
    const spec = machineSpec(web, 'web-1', parsed, dir, {
      ...(parsed.provider === 'docker'
        ? { published: '127.0.60.2' }
        : parsed.provider === 'hyperv'
          ? {}
          : { private: '192.168.56.2', ports: { '80': 20000, '443': 20001 } }),
    })
    await writeFile(join(folder, 'Vagrantfile'), renderVagrantfile(spec))
    const result = spawnSync('vagrant', ['validate', ...args], {
      cwd: folder,
      encoding: 'utf8',
      env: {
        ...process.env,
        ...env,
        VAGRANT_CWD: folder,
        VAGRANT_DEFAULT_PROVIDER: parsed.provider,
        ...extraEnv,
      },
    })
    return { code: result.status, output: `${result.stdout}${result.stderr}` }
  }

  await t.test('libvirt (vagrant-libvirt plugin): the whole file, provider block included', async (t) => {
    const libvirt = spawnSync('vagrant', ['plugin', 'list'], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    })
    if (!requireThat(t, libvirt.stdout.includes('vagrant-libvirt'), 'needs the vagrant-libvirt plugin'))
      return
    const good = await validate(
      'libvirt',
      {
        provider: 'libvirt',
        'box-version': '>= 12.20240101, < 13',
        'provider-options': { driver: 'kvm', nested: false },
      },
      [],
    )
    assert.equal(good.code, 0, good.output)
    // The generated file really carries the box version and distinct host ports.
    const written = await readFile(join(dir, 'libvirt', 'Vagrantfile'), 'utf8')
    assert.match(written, /node\.vm\.box_version = ">= 12\.20240101, < 13"\n/)
    assert.match(written, /guest: 80, host: 20000, host_ip: "127\.0\.0\.1"/)
    assert.match(good.output, /Vagrantfile validated successfully/)
    const bad = await validate(
      'libvirt-bad',
      { provider: 'libvirt', 'provider-options': { no_such_option: 1 } },
      [],
    )
    assert.equal(bad.code, 1)
    assert.match(bad.output, /Libvirt Provider:\n\* The following settings shouldn't exist: no_such_option/)
  })

  await t.test(
    'hyperv (built into Vagrant, usable on Windows only): the core settings, switch included',
    async () => {
      const result = await validate('hyperv', { provider: 'hyperv', hyperv: { switch: 'Lab switch' } }, [
        '--ignore-provider',
      ])
      assert.equal(result.code, 0, result.output)
      assert.match(result.output, /Vagrantfile validated successfully/)
    },
  )

  await t.test('docker, against a Docker API served by podman: the whole file', async (t) => {
    if (!requireTools(t, 'podman', 'runc', 'docker')) return
    if (!requireThat(t, process.getuid?.() === 0, 'needs root (rootful podman)')) return
    const service = await startPodmanService(await mkdtemp(join(dir, 'podman-')))
    t.after(() => service.stop())
    const good = await validate(
      'docker',
      {
        provider: 'docker',
        docker: { image: 'localhost/forklift-node:test', 'create-args': ['--network=slirp4netns'] },
      },
      [],
      service.env,
    )
    assert.equal(good.code, 0, good.output)
    assert.match(good.output, /Vagrantfile validated successfully/)
    const bad = await validate(
      'docker-bad',
      { provider: 'docker', docker: { image: 'i' }, 'provider-options': { no_such_option: 1 } },
      [],
      service.env,
    )
    assert.equal(bad.code, 1)
    assert.match(bad.output, /docker provider:\n\* The following settings shouldn't exist: no_such_option/)
  })

  await t.test('virtualbox without VirtualBox: the core settings, provider block ignored (-p)', async () => {
    const result = await validate('vbox-core', { provider: 'virtualbox' }, ['--ignore-provider'])
    assert.equal(result.code, 0, result.output)
    assert.match(result.output, /Vagrantfile validated successfully/)
  })

  await t.test(
    'virtualbox with a VBoxManage that only answers --version: the provider block too',
    async () => {
      const bin = await fakeVBoxManage(join(dir, 'bin'))
      const path = { PATH: `${bin}:${process.env.PATH}` }
      const good = await validate(
        'vbox',
        { provider: 'virtualbox', 'provider-options': { linked_clone: true } },
        [],
        path,
      )
      assert.equal(good.code, 0, good.output)
      const bad = await validate(
        'vbox-bad',
        { provider: 'virtualbox', 'provider-options': { no_such_option: 1 } },
        [],
        path,
      )
      assert.equal(bad.code, 1)
      assert.match(
        bad.output,
        /VirtualBox Provider:\n\* The following settings shouldn't exist: no_such_option/,
      )
    },
  )
})
