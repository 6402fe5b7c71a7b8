import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { GroupSpec, NodeSpec } from '../../../src/core/model/group.js'
import { boxFor } from '../../../src/plugins/vagrant/boxes.js'
import { settingsSchema } from '../../../src/plugins/vagrant/settings.js'
import { machineSpec, renderVagrantfile } from '../../../src/plugins/vagrant/vagrantfile.js'

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

test('well-known boxes by os and version, per provider where boxes differ', () => {
  assert.equal(boxFor({ os: 'debian', version: '12' }, 'virtualbox'), 'debian/bookworm64')
  assert.equal(boxFor({ os: 'Ubuntu', version: '22.04' }, 'virtualbox'), 'ubuntu/jammy64')
  assert.equal(boxFor({ os: 'ubuntu', version: '22.04' }, 'libvirt'), 'generic/ubuntu2204')
  assert.equal(boxFor({ os: 'rockylinux', version: '9' }, 'libvirt'), 'rockylinux/9')
  assert.equal(boxFor({ os: 'debian', version: '12', box: 'my/box' }, 'libvirt'), 'my/box')
  assert.equal(boxFor({ os: 'plan9', version: '4' }, 'virtualbox'), undefined)
})

test('a VirtualBox machine: box, hostname, private address, forwarded ports, memory and CPUs', () => {
  const text = vagrantfile(
    group({
      image: { os: 'debian', version: '12' },
      hardware: { memory: 2048, cpus: 2 },
      network: { 'inbound-ports': [80, 8443] },
    }),
    { provider: 'virtualbox', ssh: { username: 'vagrant', 'private-key-path': 'keys/id' } },
    { private: '192.168.56.3' },
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
      '    node.vm.network "forwarded_port", guest: 80, host: 80, host_ip: "127.0.0.1", auto_correct: true',
      '    node.vm.network "forwarded_port", guest: 8443, host: 8443, host_ip: "127.0.0.1", auto_correct: true',
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
