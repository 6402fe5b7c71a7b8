import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Instance } from '@aws-sdk/client-ec2'
import fc from 'fast-check'
import { firstFitting, imageArchitecture, typeOrder } from '../../../src/plugins/ec2/instance-types.js'
import {
  clientToken,
  freeNames,
  hostKeysTagValue,
  instanceNode,
  isUnfinished,
  missingNames,
  NO_HOST_KEYS,
  newestFirst,
  TAG,
} from '../../../src/plugins/ec2/instances.js'

const ED = 'SHA256:2w6H7RBsLKGNMCG6jqjjkfTTk6oKbK5lWrRr0nJq0mk'
const EC = 'SHA256:Lq4bFVJzQzNvZ6p0n5mJ0d2pUq6QXQeM8Yk3hT4Rr1A'

describe('ec2 instances as nodes', () => {
  it('derives one ClientToken per run, project, group and count, within EC2 limits', () => {
    const token = clientToken('a1b2c3', 'shop', 'web', 3)
    assert.equal(token, clientToken('a1b2c3', 'shop', 'web', 3))
    assert.ok(token.length <= 64 && /^[\x21-\x7e]+$/.test(token))
    const others = [
      clientToken('a1b2c4', 'shop', 'web', 3),
      clientToken('a1b2c3', 'shop2', 'web', 3),
      clientToken('a1b2c3', 'shop', 'db', 3),
      clientToken('a1b2c3', 'shop', 'web', 2),
      // Fields are kept apart: "we" + "b" is not "web".
      clientToken('a1b2c3', 'shopw', 'eb', 3),
    ]
    assert.equal(new Set([token, ...others]).size, others.length + 1)
  })

  it('names new nodes with the lowest free numbers of the group', () => {
    assert.deepEqual(freeNames('web', [], 3), ['web-1', 'web-2', 'web-3'])
    assert.deepEqual(freeNames('web', ['web-2', 'web-4', 'db-1'], 3), ['web-1', 'web-3', 'web-5'])
  })

  it('maps an instance to a node: tags, address, port, user, state, launch time', () => {
    const instance: Instance = {
      InstanceId: 'i-0123456789abcdef0',
      PublicIpAddress: '203.0.113.10',
      PrivateIpAddress: '172.31.0.4',
      State: { Code: 16, Name: 'running' },
      LaunchTime: new Date('2024-07-01T10:00:00Z'),
      Tags: [
        { Key: TAG.name, Value: 'web-2' },
        { Key: TAG.group, Value: 'web' },
        { Key: TAG.project, Value: 'shop' },
        { Key: TAG.loginUser, Value: 'admin' },
        { Key: TAG.sshPort, Value: '2222' },
        { Key: TAG.hostKeys, Value: `${ED},not-a-fingerprint,${EC}` },
      ],
    }
    const node = instanceNode(instance, 'aws')
    assert.deepEqual(
      { ...node, tags: undefined },
      {
        id: 'i-0123456789abcdef0',
        name: 'web-2',
        group: 'web',
        provider: 'aws',
        transport: 'ssh',
        address: '203.0.113.10',
        port: 2222,
        user: 'admin',
        hostKeyFingerprints: [ED, EC],
        tags: undefined,
        state: 'running',
        createdAt: '2024-07-01T10:00:00.000Z',
      },
    )
    assert.equal(node.tags?.[TAG.project], 'shop')
    // Without a public address, the private one; without tags, the id names it and port 22 is used.
    const bare = instanceNode({ InstanceId: 'i-0abc', PrivateIpAddress: '172.31.0.5' }, 'aws')
    assert.deepEqual([bare.name, bare.address, bare.port, bare.user], ['i-0abc', '172.31.0.5', 22, undefined])
  })

  it('tells members an interrupted create left unfinished: pending, unnamed, host keys never looked for', () => {
    const member = (state: string, tags: Record<string, string>): Instance => ({
      InstanceId: 'i-0abc',
      State: { Name: state as 'running' },
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    })
    const done = { [TAG.name]: 'web-1', [TAG.hostKeys]: ED }
    assert.equal(isUnfinished(member('running', done)), false)
    assert.equal(isUnfinished(member('running', { ...done, [TAG.hostKeys]: NO_HOST_KEYS })), false)
    assert.equal(isUnfinished(member('pending', done)), true)
    assert.equal(isUnfinished(member('running', { [TAG.hostKeys]: ED })), true)
    assert.equal(isUnfinished(member('running', { ...done, [TAG.name]: '' })), true)
    assert.equal(isUnfinished(member('running', { [TAG.name]: 'web-1' })), true)
  })

  it('names unnamed members with the free numbers, oldest launch first', () => {
    const member = (id: string, launch: string, index: number, name?: string): Instance => ({
      InstanceId: id,
      LaunchTime: new Date(launch),
      AmiLaunchIndex: index,
      Tags: name ? [{ Key: TAG.name, Value: name }] : [],
    })
    const members = [
      member('i-0c', '2024-07-01T10:05:00Z', 1),
      member('i-0a', '2024-07-01T10:00:00Z', 0, 'web-2'),
      member('i-0d', '2024-07-01T10:05:00Z', 0),
      member('i-0b', '2024-07-01T09:00:00Z', 0),
    ]
    assert.deepEqual(missingNames('web', members), [
      ['i-0b', 'web-1'],
      ['i-0d', 'web-3'],
      ['i-0c', 'web-4'],
    ])
    assert.deepEqual(missingNames('web', [members[1]!]), [])
  })

  it('records as many host key fingerprints as a tag value holds', () => {
    assert.equal(hostKeysTagValue([ED, EC]), `${ED},${EC}`)
    const many = Array.from({ length: 7 }, () => ED)
    const value = hostKeysTagValue(many)
    assert.ok(value.length <= 256)
    assert.equal(value.split(',').length, 5)
  })

  it('orders nodes newest first by launch time', () => {
    const at = (name: string, createdAt: string) => ({
      ...instanceNode({ InstanceId: name }, 'aws'),
      name,
      createdAt,
    })
    const nodes = [
      at('web-1', '2024-01-01T00:00:00.000Z'),
      at('web-2', '2024-03-01T00:00:00.000Z'),
      at('web-3', '2024-03-01T00:00:00.000Z'),
      at('web-10', '2024-03-01T00:00:00.000Z'),
      at('web-4', '2024-02-01T00:00:00.000Z'),
    ]
    assert.deepEqual(
      newestFirst(nodes).map((n) => n.name),
      ['web-10', 'web-3', 'web-2', 'web-4', 'web-1'],
    )
  })

  it('orders fitting instance types by vCPUs, then memory, burstable first, then name', () => {
    const t = (type: string, vcpus: number, memory: number, arch = 'x86_64', burstable = false) => ({
      type,
      vcpus,
      memory,
      architectures: [arch],
      burstable,
    })
    const types = [
      t('m6i.large', 2, 8192),
      t('c6i.large', 2, 4096),
      t('t3.medium', 2, 4096, 'x86_64', true),
      t('t2.small', 1, 2048, 'x86_64', true),
      t('t4g.small', 2, 2048, 'arm64', true),
      t('a1.medium', 1, 2048, 'arm64'),
    ]
    assert.equal(firstFitting(types, { minRam: 3000, arch: 'x86_64' })?.type, 't3.medium')
    assert.equal(firstFitting(types, { minRam: 3000, minCores: 2, arch: 'x86_64' })?.type, 't3.medium')
    assert.equal(firstFitting(types, { minRam: 5000, arch: 'x86_64' })?.type, 'm6i.large')
    assert.equal(firstFitting(types, { arch: 'x86_64' })?.type, 't2.small')
    assert.equal(firstFitting(types, { arch: 'arm64' })?.type, 'a1.medium')
    assert.equal(firstFitting(types, { minCores: 2, arch: 'arm64' })?.type, 't4g.small')
    assert.equal(firstFitting(types, { minRam: 10_000_000, arch: 'x86_64' }), undefined)
    // The rule holds for any catalog: the pick fits, and no fitting type comes before it.
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.stringMatching(/^[a-z]{1,3}[0-9][a-z]?\.[a-z0-9]{1,8}$/),
            vcpus: fc.integer({ min: 1, max: 192 }),
            memory: fc.integer({ min: 256, max: 1 << 20 }),
            architectures: fc.subarray(['x86_64', 'arm64', 'i386'], { minLength: 1 }),
            burstable: fc.boolean(),
          }),
        ),
        fc.integer({ min: 0, max: 1 << 20 }),
        fc.integer({ min: 0, max: 192 }),
        (catalog, minRam, minCores) => {
          const pick = firstFitting(catalog, { minRam, minCores, arch: 'arm64' })
          const fits = catalog.filter(
            (c) => c.memory >= minRam && c.vcpus >= minCores && c.architectures.includes('arm64'),
          )
          if (!pick) return fits.length === 0
          return fits.includes(pick) && fits.every((c) => typeOrder(pick, c) <= 0)
        },
      ),
    )
  })

  it('looks for arm64 images for types that run arm64 only, Graviton a1 included', () => {
    const info = (architectures: string[]) => ({
      type: 'x',
      vcpus: 1,
      memory: 1,
      architectures,
      burstable: false,
    })
    assert.equal(imageArchitecture(info(['arm64'])), 'arm64')
    assert.equal(imageArchitecture(info(['x86_64'])), 'x86_64')
    assert.equal(imageArchitecture(info(['i386', 'x86_64'])), 'x86_64')
  })
})
