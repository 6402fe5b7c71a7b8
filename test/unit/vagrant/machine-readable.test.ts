import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import {
  errorExit,
  machineStatuses,
  parseMachineReadable,
  uiText,
  unescapeField,
} from '../../../src/plugins/vagrant/machine-readable.js'
import { fixture } from '../../support/paths.js'

// Fixtures are the real output of Vagrant 2.3.4 (Debian 12), docker provider on podman.
const recorded = (name: string) => parseMachineReadable(readFileSync(fixture('vagrant', name), 'utf8'))

test('status of a running docker machine: state, provider and the one-line description', () => {
  const status = machineStatuses(recorded('status-docker-running.txt')).get('web-1')
  assert.equal(status?.state, 'running')
  assert.equal(status?.provider, 'docker')
  assert.equal(
    status?.description,
    'The container is created and running. You can stop it using `vagrant halt`, see logs with `vagrant docker-logs`, and kill/destroy it with `vagrant destroy`.',
  )
})

test('status ids keep their underscores where the human table says "not created"', () => {
  assert.equal(machineStatuses(recorded('status-docker-not-created.txt')).get('web-1')?.state, 'not_created')
  assert.equal(machineStatuses(recorded('status-docker-stopped.txt')).get('web-1')?.state, 'stopped')
  const libvirt = machineStatuses(recorded('status-libvirt-not-created.txt')).get('web-1')
  assert.deepEqual([libvirt?.state, libvirt?.provider], ['not_created', 'libvirt'])
})

test('the run-wide ui lines are not taken for a machine', () => {
  const statuses = machineStatuses(recorded('status-docker-running.txt'))
  assert.deepEqual([...statuses.keys()], ['web-1'])
})

test('error-exit: the error class and its message with commas and newlines restored', () => {
  const failed = errorExit(recorded('up-docker-error.txt'))
  assert.equal(failed?.kind, 'VagrantPlugins::DockerProvider::Errors::ExecuteError')
  assert.match(
    failed!.message,
    /^A Docker command executed by Vagrant didn't complete successfully!\nThe command/,
  )
  assert.match(failed!.message, /\["docker", "run", "--name", /)
  assert.match(failed!.message, /Stderr: Unable to find image 'localhost\/forklift-node:missing' locally\n/)
  assert.equal(errorExit(recorded('status-docker-running.txt')), undefined)
})

test('error-exit of a command that fails before any machine is touched', () => {
  const unusable = recorded('status-virtualbox-unusable.txt')
  assert.equal(errorExit(unusable)?.kind, 'Vagrant::Errors::ProviderNotUsable')
  assert.match(errorExit(unusable)!.message, /Vagrant could not detect VirtualBox!/)
  assert.equal(machineStatuses(unusable).size, 0)
  const notReady = errorExit(recorded('ssh-config-not-ready.txt'))
  assert.equal(notReady?.kind, 'Vagrant::Errors::SSHNotReady')
  assert.match(notReady!.message, /try again\. Additionally, check the output/)
})

test('ui records give the progress text of a run', () => {
  const lines = recorded('up-docker-error.txt').map(uiText).filter(Boolean)
  assert.equal(lines[0], "Bringing machine 'web-1' up with 'docker' provider...")
  assert.ok(lines.includes('==> web-1: Creating the container...'))
})

test('lines of another shape are skipped; fields are unescaped one by one', () => {
  const records = parseMachineReadable(
    [
      'Vagrant warning: something outside the format',
      '1700000000,web-1,state,host_state_unknown',
      '1700000000,,ui,info,a%!(VAGRANT_COMMA) b\\nc,d',
      '',
    ].join('\r\n'),
  )
  assert.deepEqual(records, [
    { timestamp: 1700000000, target: 'web-1', type: 'state', data: ['host_state_unknown'] },
    { timestamp: 1700000000, target: '', type: 'ui', data: ['info', 'a, b\nc', 'd'] },
  ])
  assert.equal(unescapeField('x\\ry'), 'x\ry')
})
