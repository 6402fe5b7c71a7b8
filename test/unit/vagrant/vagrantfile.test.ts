import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import type { GroupSpec, NodeSpec } from '../../../src/core/model/group.js'
import { boxFor } from '../../../src/plugins/vagrant/boxes.js'
import { settingsSchema } from '../../../src/plugins/vagrant/settings.js'
import { machineSpec, renderVagrantfile } from '../../../src/plugins/vagrant/vagrantfile.js'
import { fixture } from '../../support/paths.js'

function group(node: Partial<NodeSpec> = {}): GroupSpec {
  return {
    name: 'web',
    provider: 'boxes',
    count: 2,
    node: { image: {}, hardware: {}, network: { 'inbound-ports': [] }, login: {}, ...node },
    crates: [],
    phases: {},
    environment: {},
  }
}

const vagrantfile = (g: GroupSpec, settings: unknown, addresses = {}) =>
  renderVagrantfile(machineSpec(g, 'web-2', settingsSchema.parse(settings), '/project', addresses))

test("well-known boxes per provider: Debian's and Canonical's where built, roboxes' generic/* elsewhere", () => {
  const debian = { os: 'debian', version: '12' }
  assert.equal(boxFor(debian, 'virtualbox', 'amd64'), 'debian/bookworm64')
  assert.equal(boxFor(debian, 'libvirt', 'amd64'), 'debian/bookworm64')
  for (const provider of ['hyperv', 'parallels', 'vmware_desktop'])
    assert.equal(boxFor(debian, provider, 'amd64'), 'generic/debian12', provider)
  assert.equal(boxFor({ os: 'debian', version: '11' }, 'hyperv', 'amd64'), 'generic/debian11')
  assert.equal(boxFor({ os: 'Ubuntu', version: '22.04' }, 'virtualbox', 'amd64'), 'ubuntu/jammy64')
  assert.equal(boxFor({ os: 'ubuntu', version: '22.04' }, 'libvirt', 'amd64'), 'generic/ubuntu2204')
  assert.equal(boxFor({ os: 'ubuntu', version: '20.04' }, 'hyperv', 'amd64'), 'generic/ubuntu2004')
  assert.equal(boxFor({ os: 'rockylinux', version: '9' }, 'libvirt', 'amd64'), 'rockylinux/9')
  assert.equal(boxFor({ os: 'plan9', version: '4' }, 'virtualbox', 'amd64'), undefined)
  // The table's boxes are amd64: an arm64 machine gets none of them, only a box named in image.box.
  assert.equal(boxFor(debian, 'virtualbox', 'arm64'), undefined)
  assert.equal(boxFor({ ...debian, box: 'my/box' }, 'libvirt', 'arm64'), 'my/box')
})

test('a VirtualBox machine: box, hostname, private address, forwarded ports, memory and CPUs', () => {
  const text = vagrantfile(
    group({
      image: { os: 'debian', version: '12' },
      hardware: { memory: 2048, cpus: 2 },
      network: { 'inbound-ports': [80, 8443] },
    }),
    { provider: 'virtualbox', ssh: { username: 'vagrant', 'private-key-path': 'keys/id' } },
    { private: '192.168.56.3', ports: { '80': 20004, '8443': 20005 } },
  )
  assert.equal(
    text,
    [
      '# Written by Forklift for node web-2 of group web.',
      '# Forklift writes it when it creates the machine; edits are not carried over to new machines.',
      'Vagrant.configure("2") do |config|',
      '  config.vm.define "web-2" do |node|',
      '    node.vm.box = "debian/bookworm64"',
      '    node.vm.hostname = "web-2"',
      '    node.vm.synced_folder ".", "/vagrant", disabled: true',
      '    node.vm.network "private_network", ip: "192.168.56.3"',
      '    node.vm.network "forwarded_port", guest: 80, host: 20004, host_ip: "127.0.0.1", auto_correct: true',
      '    node.vm.network "forwarded_port", guest: 8443, host: 20005, host_ip: "127.0.0.1", auto_correct: true',
      '    node.ssh.username = "vagrant"',
      '    node.ssh.private_key_path = "/project/keys/id"',
      '    node.vm.provider "virtualbox" do |p|',
      '      p.memory = 2048',
      '      p.cpus = 2',
      '    end',
      '  end',
      'end',
      '',
    ].join('\n'),
  )
})

test('min-ram and min-cores stand in for memory and cpus; provider options are added as given', () => {
  const text = vagrantfile(
    group({ image: { box: 'generic/alpine319' }, hardware: { 'min-ram': 512, 'min-cores': 1 } }),
    {
      provider: 'libvirt',
      'forward-ports': false,
      'provider-options': { driver: 'qemu', nested: false, storage_pool_name: 'default' },
    },
  )
  assert.match(
    text,
    /node\.vm\.provider "libvirt" do \|p\|\n {6}p\.memory = 512\n {6}p\.cpus = 1\n {6}p\.driver = "qemu"\n {6}p\.nested = false\n/,
  )
  assert.doesNotMatch(text, /private_network/)
})

test('a docker machine: image, create args, its own loopback address for SSH and inbound ports', () => {
  const text = vagrantfile(
    group({
      image: { os: 'debian', version: '12' },
      network: { 'inbound-ports': [8080] },
      hardware: { memory: 512 },
    }),
    {
      provider: 'docker',
      docker: {
        image: 'localhost/node:test',
        'create-args': ['--network=slirp4netns'],
        env: { KEY: 'ssh-ed25519 AAA x@y' },
      },
    },
    { published: '127.0.60.5' },
  )
  assert.doesNotMatch(text, /vm\.box|memory/)
  // Docker publishes the ports itself; Vagrant's default SSH forward (127.0.0.1:2222 for all) is off.
  assert.match(
    text,
    /node\.vm\.network "forwarded_port", id: "ssh", guest: 22, host: 2222, host_ip: "127\.0\.60\.5", auto_correct: false, disabled: true\n/,
  )
  assert.equal(text.match(/forwarded_port/g)?.length, 1)
  // A name of its own per project: Vagrant's default (folder, machine, second) collides across projects.
  assert.match(
    text,
    /p\.name = "forklift-web-web-2-[0-9a-f]{10}"\n {6}p\.image = "localhost\/node:test"\n {6}p\.has_ssh = true\n/,
  )
  assert.match(
    text,
    /p\.create_args = \["--network=slirp4netns", "--publish=127\.0\.60\.5:2222:22", "--publish=127\.0\.60\.5:8080:8080", "--label=forklift\.node=web\/web-2"\]\n/,
  )
  assert.match(text, /p\.env = \{"KEY" => "ssh-ed25519 AAA x@y"\}\n/)
})

test('user values cannot leave their Ruby string', () => {
  const text = vagrantfile(group({ image: { box: 'x"; system("touch /tmp/pwned"); "#{1}' } }), {
    provider: 'virtualbox',
  })
  assert.match(text, /node\.vm\.box = "x\\"; system\(\\"touch \/tmp\/pwned\\"\); \\"\\#\{1\}"\n/)
})

test('an image without a known box is a one-line error naming the group', () => {
  assert.throws(
    () => vagrantfile(group({ image: { os: 'plan9', version: '4' } }), { provider: 'virtualbox' }),
    (error: Error) =>
      error.name === 'ProviderError' &&
      /^groups\.web\.image: os plan9 version 4 has no well-known Vagrant box; set image\.box \(known: debian 10, /.test(
        error.message,
      ) &&
      !error.message.includes('\n'),
  )
})

test('an arm64 machine without image.box is told the well-known boxes are amd64', () => {
  assert.throws(
    () =>
      vagrantfile(group({ image: { os: 'debian', version: '12' } }), {
        provider: 'parallels',
        'box-architecture': 'arm64',
      }),
    /^ProviderError: groups\.web\.image: os debian version 12 has no well-known Vagrant box; set image\.box \(the well-known boxes are amd64 only, this machine would be arm64\)$/,
  )
})

// Providers whose plugin is not installed here (vagrant validate cannot check their block): the whole
// file is compared with a fixture. VirtualBox, libvirt, docker and Hyper-V's core settings are also
// checked by the real `vagrant validate` in test/integration/vagrant/validate.test.ts.
for (const [provider, extra, addresses] of [
  ['hyperv', { hyperv: { switch: 'Lab "A" #1' } }, {}],
  [
    'parallels',
    { 'box-version': '>= 4.3, < 5', 'provider-options': { linked_clone: true } },
    { private: '192.168.56.3', ports: { '80': 20000, '443': 20001 } },
  ],
  [
    'vmware_desktop',
    { 'box-architecture': 'amd64' },
    { private: '192.168.56.3', ports: { '80': 20000, '443': 20001 } },
  ],
] as const) {
  test(`the Vagrantfile of a ${provider} machine is the fixture`, () => {
    const text = vagrantfile(
      group({
        image: { os: 'debian', version: '12' },
        hardware: { memory: 1024, cpus: 2 },
        network: { 'inbound-ports': [80, 443] },
      }),
      { provider, ...extra },
      addresses,
    )
    assert.equal(text, readFileSync(fixture('vagrant', `Vagrantfile-${provider}`), 'utf8'))
  })
}
