import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { parseSshConfig, sshConfigText } from '../../../src/plugins/vagrant/ssh-config.js'
import { fixture } from '../../support/paths.js'

const output = readFileSync(fixture('vagrant', 'ssh-config-docker.txt'), 'utf8')

test('vagrant ssh-config --machine-readable: address, port, user and key of the machine', () => {
  assert.deepEqual(parseSshConfig(output, 'web-1'), {
    address: '127.0.60.2',
    port: 2222,
    user: 'root',
    identityFile: '/tmp/vx/pm/key',
  })
})

test('the ssh-config record is preferred over the plain copy Vagrant prints beside it', () => {
  const text = sshConfigText(output)
  assert.match(text, /^Host web-1\n {2}HostName 127\.0\.60\.2\n/)
  assert.doesNotMatch(text, /metadata/)
})

test('plain ssh_config text with a quoted key path works too; another host gives nothing', () => {
  const plain =
    'Host db-1\n  HostName 192.168.121.7\n  User vagrant\n  Port 22\n  IdentityFile "/home/me/my keys/private_key"\n'
  assert.deepEqual(parseSshConfig(plain, 'db-1'), {
    address: '192.168.121.7',
    port: 22,
    user: 'vagrant',
    identityFile: '/home/me/my keys/private_key',
  })
  assert.equal(parseSshConfig(plain, 'db-2'), undefined)
  assert.equal(parseSshConfig('', 'db-1'), undefined)
})

test('a ProxyCommand (vagrant-libvirt on a remote host) is kept as written, quotes and tokens included', () => {
  const text =
    'Host web-1\n  HostName 192.168.121.5\n  User vagrant\n  Port 22\n  ProxyCommand ssh -W %h:%p -i "/keys/my key" -l ops libvirt.example.org\n'
  assert.deepEqual(parseSshConfig(text, 'web-1'), {
    address: '192.168.121.5',
    port: 22,
    user: 'vagrant',
    proxyCommand: 'ssh -W %h:%p -i "/keys/my key" -l ops libvirt.example.org',
  })
  assert.equal(
    parseSshConfig(`${text.replace(/ProxyCommand .*/, 'ProxyCommand none')}`, 'web-1')?.proxyCommand,
    undefined,
  )
})
