import assert from 'node:assert/strict'
import { test } from 'node:test'
import vagrant from '../../../src/plugins/vagrant/index.js'
import { settingsSchema } from '../../../src/plugins/vagrant/settings.js'

test('the default export is a provider factory of type vagrant that can create', () => {
  assert.equal(vagrant.type, 'vagrant')
  assert.equal(vagrant.canCreate, true)
  assert.equal(vagrant.settingsSchema, settingsSchema)
})

test('defaults: virtualbox, two at a time, forwarded ports; docker settings get their own defaults', () => {
  assert.deepEqual(settingsSchema.parse({}), {
    provider: 'virtualbox',
    parallel: 2,
    vagrant: 'vagrant',
    'forward-ports': true,
  })
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
})
