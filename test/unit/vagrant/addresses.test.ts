import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import {
  allocate,
  allocateAddresses,
  parseRange,
  rangeAddresses,
  rangePorts,
} from '../../../src/plugins/vagrant/addresses.js'
import { canListen, isHostAddress } from '../../../src/plugins/vagrant/host-check.js'

test('parseRange takes IPv4 CIDR ranges from /8 to /30 and normalises the network address', () => {
  assert.deepEqual(parseRange('127.0.60.77/24'), {
    cidr: '127.0.60.77/24',
    network: (127 << 24) + (60 << 8),
    size: 256,
  })
  for (const bad of ['127.0.60.0', '127.0.60.0/31', '127.0.60.0/4', '300.0.0.0/24', '::1/64', 'x/24']) {
    assert.equal(parseRange(bad), undefined, bad)
  }
})

test('addresses are handed out from network + 2, skipping those in use, stopping before broadcast', () => {
  const range = parseRange('127.0.60.0/29')!
  assert.deepEqual(allocateAddresses(range, [], 2), ['127.0.60.2', '127.0.60.3'])
  assert.deepEqual(allocateAddresses(range, ['127.0.60.2', '127.0.60.4'], 3), [
    '127.0.60.3',
    '127.0.60.5',
    '127.0.60.6',
  ])
  assert.throws(
    () => allocateAddresses(range, ['127.0.60.2'], 5),
    /127\.0\.60\.0\/29 has no room for 5 more machine/,
  )
})

test('allocation skips what is held and what the host check refuses, and says when the range is full', async () => {
  const range = parseRange('127.0.60.0/29')!
  const refused = new Set(['127.0.60.3'])
  assert.deepEqual(
    await allocate(
      rangeAddresses(range),
      ['127.0.60.2'],
      2,
      async (a) => !refused.has(a),
      'docker.ssh-address',
    ),
    ['127.0.60.4', '127.0.60.5'],
  )
  await assert.rejects(
    allocate(rangePorts(20000, 20002), [20001], 3, async () => true, 'host-ports 20000-20002'),
    /^Error: host-ports 20000-20002 has no room for 3 more \(free on this host\)$/,
  )
})

test("the host check: a port something listens on is taken, a free one is not; the host's own addresses", async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen({ host: '127.0.61.9', port: 0 }, resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as { port: number }
  assert.equal(await canListen('127.0.61.9', port), false)
  assert.equal(await canListen('127.0.61.10', port), true)
  assert.equal(isHostAddress('127.0.0.1'), true)
  assert.equal(isHostAddress('192.0.2.77'), false)
})
