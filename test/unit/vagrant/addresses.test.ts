import assert from 'node:assert/strict'
import { test } from 'node:test'
import { allocateAddresses, parseRange } from '../../../src/plugins/vagrant/addresses.js'

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
