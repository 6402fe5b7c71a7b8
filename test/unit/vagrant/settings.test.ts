import assert from 'node:assert/strict'
import { test } from 'node:test'
import vagrant from '../../../src/plugins/vagrant/index.js'
import { parallelism, settingsSchema } from '../../../src/plugins/vagrant/settings.js'

test('the default export is a provider factory of type vagrant that can create', () => {
  assert.equal(vagrant.type, 'vagrant')
  assert.equal(vagrant.canCreate, true)
  assert.equal(vagrant.settingsSchema, settingsSchema)
})

test('defaults: virtualbox, one at a time, forwarded ports; docker settings get their own defaults', () => {
  const defaults = settingsSchema.parse({})
  assert.deepEqual(defaults, {
    provider: 'virtualbox',
    vagrant: 'vagrant',
    'forward-ports': true,
    'host-ports': '20000-29999',
    timeouts: { command: 120, up: 1800, destroy: 600, grace: 60 },
    hyperv: { switch: 'Default Switch' },
  })
  assert.equal(parallelism(defaults), 1)
  const docker = settingsSchema.parse({ provider: 'docker', docker: { image: 'i' } })
  assert.deepEqual(docker.docker, {
    image: 'i',
    'has-ssh': true,
    'create-args': [],
    ports: [],
    'ssh-address': '127.0.50.0/24',
    'ssh-port': 2222,
  })
})

test('bad settings are refused with the key named', () => {
  const issues = (value: unknown) =>
    settingsSchema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? []
  assert.deepEqual(issues({ provider: 'docker' }), ['docker: provider docker needs docker.image'])
  assert.match(
    issues({ provider: 'docker', docker: { image: 'i', 'ssh-address': '127.0.0.1' } })[0]!,
    /^docker\.ssh-address: expected an IPv4 range/,
  )
  assert.match(issues({ parallel: 0 })[0]!, /^parallel: /)
  assert.match(
    issues({ 'provider-options': { 'bad key': 1 } })[0]!,
    /^provider-options\.bad key: expected a provider option name/,
  )
  assert.match(
    issues({ provider: 'docker', docker: { image: 'i' }, 'private-network': '10.0.0.0/24' })[0]!,
    /^private-network: the docker provider gets no private network/,
  )
  assert.match(issues({ colour: 'red' })[0]!, /colour/)
  assert.match(
    issues({ 'host-ports': '80-90' })[0]!,
    /^host-ports: host ports below 1024 need root on the host/,
  )
  assert.match(issues({ 'host-ports': '2000' })[0]!, /^host-ports: expected a host port range like/)
  assert.match(issues({ 'host-ports': '3000-2000' })[0]!, /^host-ports: expected a host port range like/)
  assert.match(
    issues({ provider: 'hyperv', 'private-network': '10.0.0.0/24' })[0]!,
    /^private-network: the hyperv provider cannot set a private network address/,
  )
  assert.match(issues({ timeouts: { up: 0 } })[0]!, /^timeouts\.up: /)
})

test('parallel ups only for providers Vagrant runs in parallel: docker and libvirt', () => {
  const parsed = (value: Record<string, unknown>) => settingsSchema.parse(value)
  assert.equal(parallelism(parsed({ provider: 'libvirt' })), 2)
  assert.equal(parallelism(parsed({ provider: 'docker', docker: { image: 'i' } })), 2)
  assert.equal(parallelism(parsed({ provider: 'libvirt', parallel: 5 })), 5)
  for (const provider of ['virtualbox', 'hyperv', 'vmware_desktop', 'parallels']) {
    assert.equal(parallelism(parsed({ provider })), 1)
    assert.equal(parallelism(parsed({ provider, parallel: 1 })), 1)
    assert.deepEqual(
      settingsSchema
        .safeParse({ provider, parallel: 2 })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      [
        `parallel: Vagrant brings ${provider} machines up one at a time (only docker and libvirt in parallel): parallel must be 1`,
      ],
    )
  }
})
