import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import {
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2'
import type { Node } from '../../../src/core/model/node.js'
import type { Provider } from '../../../src/core/providers/types.js'
import { ensureSecurityGroup } from '../../../src/plugins/ec2/access.js'
import { ProviderError } from '../../../src/plugins/ec2/errors.js'
import { sha256Fingerprint } from '../../../src/plugins/ec2/host-keys.js'
import { resolveImage } from '../../../src/plugins/ec2/images.js'
import { readSshBanner } from '../../../src/plugins/ec2/ssh-ready.js'
import {
  groupSpec,
  NO_REGION_PROFILE,
  openEc2Provider,
  PROFILE,
  REVOKED_PROFILE,
  useAwsProfiles,
} from '../../support/ec2/aws.js'
import type { Ec2Endpoint, Ec2EndpointOptions } from '../../support/ec2/endpoint.js'
import { startEc2Endpoint } from '../../support/ec2/endpoint.js'
import { taggedFor } from '../../support/ec2/query.js'
import { startRootfsEc2Endpoint } from '../../support/ec2/rootfs-launcher.js'
import {
  DEFAULT_SUBNET,
  DEFAULT_VPC,
  IPV6_SUBNET,
  PRIVATE_SUBNET,
  SECOND_SUBNET,
  SECOND_VPC,
} from '../../support/ec2/world.js'
import { generateKey, type TestKey } from '../../support/keys.js'
import { requireRootfs, startSilentServer } from '../../support/nodes.js'

// The ec2 provider with the real AWS SDK, over HTTP, against the local EC2 endpoint; every instance is
// a real SSH node with its own root filesystem.

const run = promisify(execFile)
const signal = () => new AbortController().signal

let dir: string
let key: TestKey
const endpoints: Ec2Endpoint[] = []
const providers: Provider[] = []

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forklift-ec2-'))
  await useAwsProfiles(dir)
  key = await generateKey(join(dir, 'id_ed25519'))
})

after(async () => {
  await Promise.all(providers.map((p) => p.close?.()))
  await Promise.all(endpoints.map((e) => e.stop()))
  for (const e of endpoints) assert.deepEqual(e.errors, [], 'the endpoint had internal or launch errors')
  await rm(dir, { recursive: true, force: true })
})

async function endpoint(options: Omit<Ec2EndpointOptions, 'launcher'> = {}): Promise<Ec2Endpoint> {
  const e = await startRootfsEc2Endpoint({ pendingMs: 150, ...options })
  endpoints.push(e)
  return e
}

async function open(e: Ec2Endpoint, settings: Record<string, unknown> = {}, project = 'demo') {
  const opened = await openEc2Provider(
    { endpoint: e.url, profile: PROFILE, 'waiter-delay': 0.1, 'ssh-timeout': 20, ...settings },
    { project, projectDir: dir },
  )
  providers.push(opened.provider)
  return opened
}

const login = () => ({ 'identity-file': key.privateKey })

/** The SDK client tests use to set the scene directly. */
function client(e: Ec2Endpoint): EC2Client {
  return new EC2Client({ endpoint: e.url, profile: PROFILE, region: 'us-east-1' })
}

const ofGroup = (e: Ec2Endpoint, group: string, project = 'demo') =>
  e
    .instances('pending', 'running')
    .filter((i) => i.tags['forklift:group'] === group && i.tags['forklift:project'] === project)

const runCalls = (e: Ec2Endpoint) => e.calls.filter((c) => c.action === 'RunInstances')

async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`)
    await sleep(20)
  }
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  )
  assert.ok(error instanceof ProviderError, `expected a ProviderError, got ${String(error)}`)
  assert.equal(error.name, 'ProviderError')
  assert.doesNotMatch(error.message, /\n/, 'the message is one line')
  return error
}

describe('ec2 provider: creating nodes', () => {
  let e: Ec2Endpoint
  before(async () => {
    e = await endpoint()
  })

  it('launches the shortfall in one RunInstances, tags it, waits for SSH and vouches for host keys', async (t) => {
    if (!requireRootfs(t)) return
    const { provider, logs } = await open(e, { tags: { team: 'ops' } })
    const web = groupSpec('web', { login: login(), network: { 'inbound-ports': [80] } }, 3)
    const nodes = await provider.createNodes!(web, 3, signal())

    assert.deepEqual(
      nodes.map((n) => [n.name, n.group, n.provider, n.transport, n.user, n.state, n.identityFile]),
      [1, 2, 3].map((i) => [`web-${i}`, 'web', 'aws', 'ssh', 'admin', 'running', key.privateKey]),
    )
    const instances = ofGroup(e, 'web')
    assert.equal(instances.length, 3)
    const runs = runCalls(e)
    assert.equal(runs.length, 1)
    assert.equal(runs[0]!.params.get('MinCount'), '3')
    assert.equal(runs[0]!.params.get('MaxCount'), '3')
    assert.match(runs[0]!.params.get('ClientToken') ?? '', /^forklift-[0-9a-f]{40}$/)

    for (const node of nodes) {
      const instance = e.world.instances.get(node.id)!
      assert.equal(node.address, instance.publicIp)
      assert.equal(node.port, instance.node!.port)
      assert.deepEqual(instance.tags, {
        team: 'ops',
        'forklift:project': 'demo',
        'forklift:group': 'web',
        'forklift:login-user': 'admin',
        'forklift:ssh-port': String(instance.node!.port),
        Name: node.name,
        'forklift:host-keys': node.hostKeyFingerprints!.join(','),
      })
      // The fingerprint cloud-init printed is the key the node really has.
      const real = instance.node!.hostKeys.map((k) => sha256Fingerprint(k.split(' ')[1]!))
      assert.deepEqual(node.hostKeyFingerprints, real)
      assert.equal(instance.keyName, 'forklift-demo-web')
      assert.equal(instance.imageId, 'ami-0de12a00000000002')
      assert.equal(instance.instanceType, 't3.micro')
    }
    // The group's key was imported, and the image's login user takes it, with sudo.
    assert.equal(
      e.world.keyPairs.get('forklift-demo-web')?.publicKey.split(' ').slice(0, 2).join(' '),
      key.publicKey,
    )
    const first = nodes[0]!
    const { stdout } = await run('ssh', [
      ...['-F', '/dev/null', '-i', key.privateKey, '-p', String(first.port), '-o', 'IdentitiesOnly=yes'],
      ...['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
      ...['-o', 'LogLevel=ERROR', `admin@${first.address}`, 'sudo -n id -un'],
    ])
    assert.equal(stdout.trim(), 'root')
    // One security group for the group, SSH and the inbound ports open.
    const groups = [...e.world.securityGroups.values()].filter((g) => g.name === 'forklift-demo-web')
    assert.equal(groups.length, 1)
    assert.deepEqual(
      groups[0]!.ingress.map((r) => [r.protocol, r.fromPort, r.toPort, r.cidr]),
      [
        ['tcp', 22, 22, '0.0.0.0/0'],
        ['tcp', 80, 80, '0.0.0.0/0'],
      ],
    )
    assert.ok(logs.some((l) => /imported key pair forklift-demo-web/.test(l)))
    assert.ok(logs.some((l) => /3 instance\(s\) running after/.test(l)))

    // Listing finds the same nodes by their tags, still vouching for their host keys.
    const listed = await provider.listNodes({ group: 'web' })
    assert.deepEqual(
      listed.map((n) => [n.id, n.name, n.address, n.port, n.user, n.state, n.hostKeyFingerprints]),
      nodes.map((n) => [n.id, n.name, n.address, n.port, 'admin', 'running', n.hostKeyFingerprints]),
    )
  })

  it('names new nodes after the ones the group has, and a later create adds to them', async (t) => {
    if (!requireRootfs(t)) return
    const { provider } = await open(e)
    const cache = groupSpec('cache', { login: login() })
    const [one] = await provider.createNodes!(cache, 1, signal())
    const more = await provider.createNodes!(cache, 2, signal())
    assert.equal(one!.name, 'cache-1')
    // A lone instance is named at launch: no CreateTags for its Name.
    const launch = runCalls(e).find(
      (c) => c.params.get('MinCount') === '1' && taggedFor(c.params, 'instance').Name,
    )
    assert.equal(taggedFor(launch!.params, 'instance').Name, 'cache-1')
    assert.ok(
      !e.calls.some(
        (c) =>
          c.action === 'CreateTags' &&
          c.params.list('ResourceId').includes(one!.id) &&
          c.params.structs('Tag').some((t) => t.get('Key') === 'Name'),
      ),
    )
    assert.deepEqual(
      more.map((n) => n.name),
      ['cache-2', 'cache-3'],
    )
    assert.equal(ofGroup(e, 'cache').length, 3)
  })

  it('names new instances that CreateTags does not know yet, trying again as EC2 catches up', async (t) => {
    if (!requireRootfs(t)) return
    const { provider } = await open(e)
    const from = e.calls.length
    e.faults.unseenByCreateTags(3)
    t.after(() => e.faults.reset())
    const nodes = await provider.createNodes!(groupSpec('queue', { login: login() }), 2, signal())

    assert.deepEqual(
      nodes.map((n) => [n.name, e.world.instances.get(n.id)!.tags.Name]),
      [
        ['queue-1', 'queue-1'],
        ['queue-2', 'queue-2'],
      ],
    )
    const naming = e.calls
      .slice(from)
      .filter(
        (c) => c.action === 'CreateTags' && c.params.structs('Tag').some((t) => t.get('Key') === 'Name'),
      )
    assert.deepEqual(
      naming.map((c) => [c.params.get('ResourceId.1'), c.status]),
      [
        [nodes[0]!.id, 400],
        [nodes[0]!.id, 400],
        [nodes[0]!.id, 400],
        [nodes[0]!.id, 200],
        [nodes[1]!.id, 200],
      ],
    )
  })
})

describe('ec2 provider: listing nodes', () => {
  it('lists by tags and live states only, across every page', async (t) => {
    if (!requireRootfs(t)) return
    const e = await endpoint({ pageLimit: 2 })
    const sdk = client(e)
    t.after(() => sdk.destroy())
    const launch = async (count: number, tags: Record<string, string>) => {
      const out = await sdk.send(
        new RunInstancesCommand({
          ImageId: 'ami-0de12a00000000002',
          InstanceType: 't3.micro',
          MinCount: count,
          MaxCount: count,
          TagSpecifications: [
            { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
          ],
        }),
      )
      return out.Instances!.map((i) => i.InstanceId!)
    }
    const web = await launch(5, { 'forklift:project': 'demo', 'forklift:group': 'web' })
    const db = await launch(1, { 'forklift:project': 'demo', 'forklift:group': 'db' })
    await launch(1, { 'forklift:project': 'other', 'forklift:group': 'web' })
    await launch(1, { 'forklift:project': 'demo' })
    await launch(1, { Name: 'unmanaged' })
    await sdk.send(new TerminateInstancesCommand({ InstanceIds: [web[4]!] }))

    const { provider } = await open(e)
    const before = e.calls.length
    const listed = await provider.listNodes({ group: 'web' })
    assert.deepEqual(listed.map((n) => n.id).sort(), web.slice(0, 4).sort())
    assert.ok(listed.every((n) => n.group === 'web' && (n.state === 'pending' || n.state === 'running')))
    // Five matches at most two a page: the provider followed NextToken to the end.
    const pages = e.calls.slice(before).filter((c) => c.action === 'DescribeInstances')
    assert.equal(pages.length, 2)
    assert.equal(pages[0]!.params.get('NextToken'), undefined)
    assert.ok(pages[1]!.params.get('NextToken'))
    assert.deepEqual(
      pages[0]!.params.structs('Filter').map((f) => [f.get('Name'), f.list('Value')]),
      [
        ['tag:forklift:project', ['demo']],
        ['tag:forklift:group', ['web']],
        ['instance-state-name', ['pending', 'running']],
      ],
    )

    // The terminated one is still visible to DescribeInstances, just not a member any more.
    assert.equal(
      e.world.visibleInstances().some((i) => i.id === web[4]),
      true,
    )

    const all = await provider.listNodes({})
    assert.deepEqual(all.map((n) => n.id).sort(), [...web.slice(0, 4), ...db].sort())
    assert.deepEqual([...new Set(all.map((n) => n.group))], ['db', 'web'])
  })
})

describe('ec2 provider: retries never launch twice', () => {
  let e: Ec2Endpoint
  before(async () => {
    e = await endpoint()
  })

  it('survives throttled RunInstances calls with one ClientToken', async (t) => {
    if (!requireRootfs(t)) return
    const { provider } = await open(e)
    const from = runCalls(e).length
    e.faults.throttle(2, ['RunInstances'])
    const nodes = await provider.createNodes!(groupSpec('api', { login: login() }), 3, signal())
    assert.equal(nodes.length, 3)
    assert.equal(ofGroup(e, 'api').length, 3)
    const runs = runCalls(e).slice(from)
    assert.deepEqual(
      runs.map((c) => c.status),
      [503, 503, 200],
    )
    assert.equal(new Set(runs.map((c) => c.params.get('ClientToken'))).size, 1)
  })

  it('survives a RunInstances reply lost after the launch was applied', async (t) => {
    if (!requireRootfs(t)) return
    const { provider } = await open(e)
    const from = runCalls(e).length
    e.faults.dropRunInstancesReply(1)
    const nodes = await provider.createNodes!(groupSpec('queue', { login: login() }), 2, signal())
    assert.equal(nodes.length, 2)
    // Exactly two exist: the retry carried the same token and got the first call's reservation.
    const instances = ofGroup(e, 'queue')
    assert.equal(instances.length, 2)
    assert.deepEqual(instances.map((i) => i.id).sort(), nodes.map((n) => n.id).sort())
    const runs = runCalls(e).slice(from)
    assert.deepEqual(
      runs.map((c) => [c.status, c.dropped ?? false]),
      [
        [200, true],
        [200, false],
      ],
    )
    assert.equal(runs[0]!.params.get('ClientToken'), runs[1]!.params.get('ClientToken'))
  })
})

describe('ec2 provider: images, instance types, security groups', () => {
  let e: Ec2Endpoint
  let sdk: EC2Client
  before(async () => {
    e = await endpoint()
    sdk = client(e)
  })
  after(() => sdk.destroy())

  it('resolves os and version to the newest available official image', async () => {
    const where = { group: 'web', region: 'us-east-1' }
    const resolve = (image: Parameters<typeof resolveImage>[1], arch: 'x86_64' | 'arm64' = 'x86_64') =>
      resolveImage(sdk, image, arch, where)
    // Not the newer one still pending, nor the newest of another owner with the same name pattern.
    assert.deepEqual(await resolve({ os: 'debian', version: '12' }), {
      imageId: 'ami-0de12a00000000002',
      name: 'debian-12-amd64-20240717-1811',
      user: 'admin',
      architecture: 'x86_64',
    })
    assert.equal((await resolve({ os: 'debian', version: 'bookworm' })).imageId, 'ami-0de12a00000000002')
    assert.equal((await resolve({ os: 'debian', version: '12' }, 'arm64')).imageId, 'ami-0de12a00000000003')
    assert.equal((await resolve({ os: 'Debian', version: '11' })).imageId, 'ami-0de11a00000000004')
    assert.deepEqual(await resolve({ os: 'ubuntu', version: '22.04' }), {
      imageId: 'ami-0cb22040000000002',
      name: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240801',
      user: 'ubuntu',
      architecture: 'x86_64',
    })
    assert.equal((await resolve({ os: 'ubuntu' })).imageId, 'ami-0cb24040000000001')
    assert.deepEqual(await resolve({ os: 'amazon-linux', version: '2023' }), {
      imageId: 'ami-0a120230000000001',
      name: 'al2023-ami-2023.5.20240805.0-kernel-6.1-x86_64',
      user: 'ec2-user',
      architecture: 'x86_64',
    })
    // An AMI given by id: its publisher tells the login user.
    assert.equal((await resolve({ id: 'ami-0cb22040000000002' })).user, 'ubuntu')
    assert.equal((await resolve({ id: 'ami-0bad0000000000001' })).user, undefined)
    await assert.rejects(
      resolve({ os: 'debian', version: '9' }),
      /group web: no official debian 9 image for x86_64/,
    )
    await assert.rejects(resolve({ os: 'plan9' }), /image.os "plan9" has no known official AMIs/)
    await assert.rejects(resolve({}), /set image.id \(an AMI\) or image.os/)
  })

  it('launches the instance type a group asks for, or the smallest that fits', async (t) => {
    if (!requireRootfs(t)) return
    const { provider } = await open(e, { 'instance-type': 't3.small' })
    const typeOf = async (name: string, hardware: Record<string, unknown>) => {
      const [node] = await provider.createNodes!(groupSpec(name, { login: login(), hardware }), 1, signal())
      return e.world.instances.get(node!.id)!.instanceType
    }
    assert.equal(await typeOf('sized', { 'min-ram': 3000, 'min-cores': 2 }), 't3.medium')
    assert.equal(await typeOf('named', { 'instance-type': 'c6i.large' }), 'c6i.large')
    assert.equal(await typeOf('plain', {}), 't3.small')
    await rejection(
      provider.createNodes!(groupSpec('huge', { hardware: { 'min-ram': 10_000_000 } }), 1, signal()),
    )
  })

  it('creates a group security group once and opens each port once, however often asked', async () => {
    const options = {
      name: 'forklift-demo-sg',
      description: 'test',
      vpc: DEFAULT_VPC,
      tags: [],
      patience: { attempts: 1, firstDelayMs: 1 },
      label: 'test',
    }
    const from = e.calls.length
    const first = await ensureSecurityGroup(sdk, { ...options, ports: [22, 80] })
    const second = await ensureSecurityGroup(sdk, { ...options, ports: [22, 80, 443] })
    const third = await ensureSecurityGroup(sdk, { ...options, ports: [443, 22, 80] })
    assert.equal(first.id, second.id)
    assert.equal(second.id, third.id)
    const groups = [...e.world.securityGroups.values()].filter((g) => g.name === 'forklift-demo-sg')
    assert.equal(groups.length, 1)
    assert.deepEqual(
      groups[0]!.ingress.map((r) => r.fromPort),
      [22, 80, 443],
    )
    assert.deepEqual(
      e.calls.slice(from).map((c) => `${c.action} ${c.status}`),
      [
        'CreateSecurityGroup 200',
        'AuthorizeSecurityGroupIngress 200',
        'AuthorizeSecurityGroupIngress 200',
        // Second time: Duplicate means there already, then only the new port.
        'CreateSecurityGroup 400',
        'DescribeSecurityGroups 200',
        'AuthorizeSecurityGroupIngress 200',
        'CreateSecurityGroup 400',
        'DescribeSecurityGroups 200',
      ],
    )
  })
})

describe('ec2 provider: taking up what an interrupted create left', () => {
  it('a listing for use waits for pending members, names them, reads their host keys', async (t) => {
    if (!requireRootfs(t)) return
    const e = await endpoint()
    const { provider, logs } = await open(e)
    // Interrupted after RunInstances was applied, on the first CreateTags, while all still pend.
    e.faults.holdPending()
    e.faults.stallCreateTags()
    const interrupt = new AbortController()
    const creating = provider.createNodes!(groupSpec('left', { login: login() }), 3, interrupt.signal)
    await until('CreateTags stalls', () => e.calls.some((c) => c.stalled))
    interrupt.abort()
    const error = await rejection(creating)
    assert.match(
      error.message,
      /^group left \(provider aws\): created i-\S+, i-\S+, i-\S+ but the run was interrupted before they were ready; they carry forklift:group=left, so the next converge takes them up/,
    )
    const left = ofGroup(e, 'left').sort((a, b) => a.launchIndex - b.launchIndex)
    assert.deepEqual(
      left.map((i) => [i.state, i.tags.Name]),
      [
        ['pending', undefined],
        ['pending', undefined],
        ['pending', undefined],
      ],
    )

    // A plain listing (forklift nodes) shows them as they are (no public address yet), and changes nothing.
    let from = e.calls.length
    const plain = await provider.listNodes({ group: 'left' })
    assert.deepEqual(
      plain.map((n) => [n.name, n.state, n.address]).sort(),
      left.map((i) => [i.id, 'pending', i.privateIp]).sort(),
    )
    assert.deepEqual(
      e.calls.slice(from).map((c) => c.action),
      ['DescribeInstances'],
    )

    from = e.calls.length
    const listing = provider.listNodes({ group: 'left', ready: true, signal: signal() })
    // The SDK waiter polls the pending ones by id; only then may they run.
    await until('the waiter polls', () =>
      e.calls
        .slice(from)
        .some((c) => c.action === 'DescribeInstances' && c.params.list('InstanceId').length === 3),
    )
    assert.ok(left.every((i) => i.state === 'pending'))
    e.faults.releasePending()
    const nodes = await listing
    assert.deepEqual(
      nodes.map((n) => [n.id, n.name, n.state, n.user]),
      left.map((i, k) => [i.id, `left-${k + 1}`, 'running', 'admin']),
    )
    for (const [k, node] of nodes.entries()) {
      const instance = left[k]!
      assert.equal(instance.tags.Name, node.name)
      assert.equal(node.address, instance.publicIp)
      assert.deepEqual(
        node.hostKeyFingerprints,
        instance.node!.hostKeys.map((key) => sha256Fingerprint(key.split(' ')[1]!)),
      )
      assert.equal(instance.tags['forklift:host-keys'], node.hostKeyFingerprints!.join(','))
      assert.match(await readSshBanner(node.address, node.port!, 2000), /^SSH-2\.0-/)
    }
    assert.ok(
      logs.some((l) =>
        /^group left: taking up i-\S+, i-\S+, i-\S+, left unfinished by an earlier run$/.test(l),
      ),
    )

    // Nothing is left unfinished: the next listing for use is one DescribeInstances.
    from = e.calls.length
    const again = await provider.listNodes({ group: 'left', ready: true, signal: signal() })
    assert.deepEqual(
      again.map((n) => n.name),
      ['left-1', 'left-2', 'left-3'],
    )
    assert.deepEqual(
      e.calls.slice(from).map((c) => c.action),
      ['DescribeInstances'],
    )
  })
})

describe('ec2 provider: subnets and VPCs', () => {
  let e: Ec2Endpoint
  let sdk: EC2Client
  before(async () => {
    e = await endpoint()
    sdk = client(e)
  })
  after(() => sdk.destroy())

  it('the endpoint answers DescribeSubnets as EC2 does, and refuses a group of another VPC', async () => {
    const all = await sdk.send(new DescribeSubnetsCommand({}))
    assert.deepEqual(
      all.Subnets!.map((s) => [
        s.SubnetId,
        s.VpcId,
        s.CidrBlock,
        s.AvailabilityZone,
        s.DefaultForAz,
        s.State,
      ]),
      [
        [DEFAULT_SUBNET, DEFAULT_VPC, '172.31.0.0/16', 'us-east-1a', true, 'available'],
        [SECOND_SUBNET, SECOND_VPC, '10.0.1.0/24', 'us-east-1b', false, 'available'],
        [PRIVATE_SUBNET, SECOND_VPC, '10.0.2.0/24', 'us-east-1c', false, 'available'],
        [IPV6_SUBNET, SECOND_VPC, '10.0.3.0/24', 'us-east-1d', false, 'available'],
      ],
    )
    const [second] = (await sdk.send(new DescribeSubnetsCommand({ SubnetIds: [SECOND_SUBNET] }))).Subnets!
    assert.equal(second!.SubnetArn, `arn:aws:ec2:us-east-1:123456789012:subnet/${SECOND_SUBNET}`)
    assert.equal(second!.AvailableIpAddressCount, 251)
    assert.deepEqual(second!.Tags, [{ Key: 'Name', Value: 'forklift-test-second' }])
    const byVpc = await sdk.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [SECOND_VPC] }] }),
    )
    assert.deepEqual(
      byVpc.Subnets!.map((s) => s.SubnetId),
      [SECOND_SUBNET, PRIVATE_SUBNET, IPV6_SUBNET],
    )
    for (const [id, code] of [
      ['subnet-0000000000000dead', 'InvalidSubnetID.NotFound'],
      ['subnet-nope', 'InvalidSubnetID.Malformed'],
    ] as const) {
      await assert.rejects(sdk.send(new DescribeSubnetsCommand({ SubnetIds: [id] })), { name: code })
    }
    const { id: group } = await ensureSecurityGroup(sdk, {
      name: 'default-vpc-sg',
      description: 't',
      vpc: DEFAULT_VPC,
      ports: [22],
      tags: [],
      patience: { attempts: 1, firstDelayMs: 1 },
      label: 'test',
    })
    await assert.rejects(
      sdk.send(
        new RunInstancesCommand({
          ImageId: 'ami-0de12a00000000002',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: SECOND_SUBNET,
          SecurityGroupIds: [group],
        }),
      ),
      {
        name: 'InvalidParameter',
        message: `Security group ${group} and subnet ${SECOND_SUBNET} belong to different networks.`,
      },
    )
  })

  it("with subnet and no vpc, the security group is made in the subnet's VPC", async (t) => {
    if (!requireRootfs(t)) return
    const { provider } = await open(e, { subnet: SECOND_SUBNET })
    const from = e.calls.length
    const [node] = await provider.createNodes!(groupSpec('inner', { login: login() }), 1, signal())
    const instance = e.world.instances.get(node!.id)!
    assert.deepEqual([instance.subnetId, instance.vpcId], [SECOND_SUBNET, SECOND_VPC])
    assert.match(instance.privateIp, /^10\.0\.1\./)
    const groups = [...e.world.securityGroups.values()].filter((g) => g.name === 'forklift-demo-inner')
    assert.deepEqual(
      groups.map((g) => [g.id, g.vpcId]),
      [[instance.securityGroups[0]!.id, SECOND_VPC]],
    )
    const lookups = e.calls.slice(from).filter((c) => c.action === 'DescribeSubnets')
    assert.deepEqual(
      lookups.map((c) => c.params.list('SubnetId')),
      [[SECOND_SUBNET]],
    )
  })

  it('a subnet that does not exist is one line naming the group and the setting; nothing is made', async () => {
    const { provider } = await open(e, { subnet: 'subnet-0000000000000dead' })
    const from = e.calls.length
    const error = await rejection(provider.createNodes!(groupSpec('lost', { login: login() }), 1, signal()))
    assert.equal(
      error.message,
      'group lost (provider aws): subnet subnet-0000000000000dead does not exist in region us-east-1: check the provider setting `subnet`',
    )
    assert.deepEqual(
      e.calls
        .slice(from)
        .map((c) => c.action)
        .filter((a) => !a.startsWith('Describe')),
      [],
    )
  })

  it('a vpc setting other than the subnet’s VPC is one line naming both settings', async () => {
    const { provider } = await open(e, { subnet: SECOND_SUBNET, vpc: DEFAULT_VPC })
    const error = await rejection(provider.createNodes!(groupSpec('split', { login: login() }), 1, signal()))
    assert.equal(
      error.message,
      `group split (provider aws): subnet ${SECOND_SUBNET} (setting \`subnet\`) is in ${SECOND_VPC}, not in ${DEFAULT_VPC} (setting \`vpc\`): leave \`vpc\` out, or name a subnet of that VPC`,
    )
    assert.equal(
      [...e.world.securityGroups.values()].filter((g) => g.name === 'forklift-demo-split').length,
      0,
    )
  })
})

describe('ec2 provider: one clear line for each failure', () => {
  let e: Ec2Endpoint
  before(async () => {
    e = await endpoint({ instanceLimit: 6 })
  })

  it('bad credentials: AuthFailure, naming the group', async () => {
    const { provider } = await open(e, { profile: REVOKED_PROFILE })
    const error = await rejection(provider.listNodes({ group: 'web' }))
    assert.match(
      error.message,
      /^group web \(provider aws\): AWS rejected profile "forklift-revoked" \(AuthFailure\)/,
    )
    assert.match(error.message, /check the access key id and secret/)
  })

  it('no credentials at all, and no region', async () => {
    const missing = await open(e, { profile: 'absent', region: 'us-east-1' })
    const error = await rejection(missing.provider.listNodes({ group: 'web' }))
    assert.match(error.message, /^group web \(provider aws\): no AWS credentials for profile "absent"/)
    const regionless = await open(e, { profile: NO_REGION_PROFILE })
    const noRegion = await rejection(regionless.provider.listNodes({ group: 'web' }))
    assert.match(
      noRegion.message,
      /^group web \(provider aws\): no AWS region: set the provider setting `region`/,
    )
  })

  it("turns the SDK's own warnings into progress lines", async (t) => {
    // Keys in the environment and a profile setting: the SDK warns that it uses the profile.
    process.env.AWS_ACCESS_KEY_ID = 'AKIAFORKLIFTUNUSED01'
    process.env.AWS_SECRET_ACCESS_KEY = 'unused'
    t.after(() => {
      delete process.env.AWS_ACCESS_KEY_ID
      delete process.env.AWS_SECRET_ACCESS_KEY
    })
    const { provider, logs } = await open(e)
    assert.deepEqual(await provider.listNodes({ group: 'nothing' }), [])
    assert.equal(e.calls.at(-1)!.accessKeyId, 'AKIAFORKLIFTTEST0001')
    assert.ok(
      logs.some((l) =>
        /^AWS SDK: .*Multiple credential sources detected.*proceed with the AWS_PROFILE value/.test(l),
      ),
      logs.join('\n'),
    )
  })

  it('UnauthorizedOperation names the action and launches nothing', async (t) => {
    const { provider } = await open(e)
    e.faults.deny('RunInstances')
    t.after(() => e.faults.reset())
    const error = await rejection(provider.createNodes!(groupSpec('denied', { login: login() }), 1, signal()))
    assert.match(
      error.message,
      /^group denied \(provider aws\): not allowed to call ec2:RunInstances \(UnauthorizedOperation\)/,
    )
    assert.equal(ofGroup(e, 'denied').length, 0)
  })

  it('InvalidAMIID.NotFound names the image and the region', async () => {
    const { provider } = await open(e)
    const group = groupSpec('ghost', { login: login(), image: { id: 'ami-0123456789abcdef0' } })
    const error = await rejection(provider.createNodes!(group, 1, signal()))
    assert.match(
      error.message,
      /^group ghost \(provider aws\): image ami-0123456789abcdef0 does not exist in region us-east-1 \(InvalidAMIID.NotFound\)/,
    )
  })

  it('InstanceLimitExceeded and InsufficientInstanceCapacity launch nothing', async (t) => {
    if (!requireRootfs(t)) return
    const { provider } = await open(e)
    const limit = await rejection(provider.createNodes!(groupSpec('big', { login: login() }), 7, signal()))
    assert.match(
      limit.message,
      /^group big \(provider aws\): the account's instance limit in region us-east-1 is reached \(InstanceLimitExceeded\)/,
    )
    assert.equal(ofGroup(e, 'big').length, 0)

    e.faults.failCapacity()
    t.after(() => e.faults.reset())
    const from = runCalls(e).length
    const capacity = await rejection(
      provider.createNodes!(groupSpec('full', { login: login() }), 2, signal()),
    )
    assert.match(
      capacity.message,
      /^group full \(provider aws\): AWS has no capacity for t3.micro right now \(InsufficientInstanceCapacity\)/,
    )
    assert.equal(ofGroup(e, 'full').length, 0)
    // A server error: the SDK retried it (same token), then gave up.
    assert.deepEqual(
      runCalls(e)
        .slice(from)
        .map((c) => c.status),
      [500, 500, 500],
    )
  })

  it('throttling beyond max-attempts', async (t) => {
    const { provider } = await open(e, { 'max-attempts': 2 })
    e.faults.throttle(5)
    t.after(() => e.faults.reset())
    const error = await rejection(provider.listNodes({ group: 'web' }))
    assert.match(
      error.message,
      /EC2 kept throttling DescribeInstances \(RequestLimitExceeded\) through every retry/,
    )
  })

  it('instances that never answer on SSH are named in the error', async (t) => {
    if (!requireRootfs(t)) return
    // Instances whose "sshd" accepts connections and never speaks.
    const silent = await startEc2Endpoint({
      pendingMs: 50,
      launcher: {
        async launch() {
          const server = await startSilentServer()
          return { address: server.address, port: server.port, hostKeys: [], stop: () => server.close() }
        },
      },
    })
    endpoints.push(silent)
    const { provider } = await open(silent, { 'ssh-timeout': 1 })
    const error = await rejection(provider.createNodes!(groupSpec('mute', { login: login() }), 2, signal()))
    const ids = ofGroup(silent, 'mute').map((i) => i.id)
    assert.equal(ids.length, 2)
    for (const id of ids) assert.ok(error.message.includes(id), `${id} is named in: ${error.message}`)
    assert.match(
      error.message,
      /^group mute \(provider aws\): created i-\S+, i-\S+ but mute-\d \(i-\S+\): SSH did not answer on /,
    )
    assert.match(error.message, /they carry forklift:group=mute, so the next converge takes them up/)
    // The next listing for use tries again, and names them as plainly.
    const again = await rejection(provider.listNodes({ group: 'mute', ready: true, signal: signal() }))
    for (const id of ids) assert.ok(again.message.includes(id), `${id} is named in: ${again.message}`)
    assert.match(
      again.message,
      /^group mute \(provider aws\): found i-\S+, i-\S+ unfinished by an earlier run but mute-\d \(i-\S+\): SSH did not answer on .*; run again, or terminate them$/,
    )
  })
})

describe('ec2 provider: destroying nodes', () => {
  it('terminates the newest first and waits until they are going', async (t) => {
    if (!requireRootfs(t)) return
    const e = await endpoint()
    const { provider, logs } = await open(e)
    const batch = groupSpec('batch', { login: login() })
    const [oldest] = await provider.createNodes!(batch, 1, signal())
    // EC2 launch times have one-second resolution: start the next launch in a later second.
    await sleep(1100 - (Date.now() % 1000))
    await provider.createNodes!(batch, 2, signal())
    const listed = await provider.listNodes({ group: 'batch' })
    assert.deepEqual(
      listed.map((n) => n.name),
      ['batch-1', 'batch-2', 'batch-3'],
    )
    assert.ok(listed[0]!.createdAt! < listed[1]!.createdAt!)

    await provider.destroyNodes!(listed, signal())
    const terminate = e.calls.filter((c) => c.action === 'TerminateInstances')
    assert.equal(terminate.length, 1)
    const byId = new Map<string, Node>(listed.map((n) => [n.id, n]))
    assert.deepEqual(
      terminate[0]!.params.list('InstanceId').map((id) => byId.get(id)!.name),
      ['batch-3', 'batch-2', 'batch-1'],
    )
    assert.deepEqual(await provider.listNodes({ group: 'batch' }), [])
    for (const node of listed) {
      const instance = e.world.instances.get(node.id)!
      assert.ok(['shutting-down', 'terminated'].includes(instance.state))
      // Terminated means the node behind it is gone.
      await instance.stopped
      await assert.rejects(readSshBanner(node.address, node.port!, 2000))
    }
    assert.equal(oldest!.id, listed[0]!.id)
    assert.ok(logs.some((l) => /^terminating batch-3 \(i-/.test(l)))
  })
})

describe('ec2 provider: host keys from the console', () => {
  const fingerprintsOf = (e: Ec2Endpoint, node: Node) =>
    e.world.instances.get(node.id)!.node!.hostKeys.map((k) => sha256Fingerprint(k.split(' ')[1]!))

  it('reads them from the full keys block when cloud-init printed no fingerprints', async (t: TestContext) => {
    if (!requireRootfs(t)) return
    // An instance type without the latest-output feature: the provider asks for what EC2 kept instead.
    const e = await endpoint({ console: 'keys', latestConsole: false })
    const { provider, logs } = await open(e)
    const [node] = await provider.createNodes!(groupSpec('keys', { login: login() }), 1, signal())
    assert.deepEqual(node!.hostKeyFingerprints, fingerprintsOf(e, node!))
    assert.deepEqual(
      e.calls.filter((c) => c.action === 'GetConsoleOutput').map((c) => [c.params.get('Latest'), c.status]),
      [
        ['true', 400],
        [undefined, 200],
      ],
    )
    assert.ok(!logs.some((l) => /trusted as first seen/.test(l)))
    const [listed] = await provider.listNodes({ group: 'keys' })
    assert.deepEqual(listed!.hostKeyFingerprints, node!.hostKeyFingerprints)
  })

  it('records none only when cloud-init finished without printing keys, and says so', async (t: TestContext) => {
    if (!requireRootfs(t)) return
    const e = await endpoint({ console: 'none' })
    const { provider, logs } = await open(e, { 'waiter-delay': 0.05 })
    const [node] = await provider.createNodes!(groupSpec('blind', { login: login() }), 1, signal())
    assert.equal(node!.hostKeyFingerprints, undefined)
    // Recorded as looked for, so a listing for use does not read the console again.
    assert.equal(e.world.instances.get(node!.id)!.tags['forklift:host-keys'], 'none')
    assert.ok(
      logs.some((l) =>
        l.startsWith(
          `blind-1 (${node!.id}): cloud-init finished without printing SSH host keys on the console`,
        ),
      ),
      logs.join('\n'),
    )
    // Its "finished" line is the answer: read once, not again.
    assert.equal(e.calls.filter((c) => c.action === 'GetConsoleOutput').length, 1)
    const [listed] = await provider.listNodes({ group: 'blind', ready: true, signal: signal() })
    assert.equal(listed!.hostKeyFingerprints, undefined)
    assert.equal(e.calls.filter((c) => c.action === 'GetConsoleOutput').length, 1)
  })
})
