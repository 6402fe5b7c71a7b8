import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  EC2Client,
  ImportKeyPairCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2'
import type { Provider } from '../../../src/core/providers/types.js'
import { labelFailures } from '../../../src/plugins/ec2/calls.js'
import { explainAwsError, ProviderError } from '../../../src/plugins/ec2/errors.js'
import { sha256Fingerprint } from '../../../src/plugins/ec2/host-keys.js'
import { resolveImage } from '../../../src/plugins/ec2/images.js'
import { groupSpec, openEc2Provider, PROFILE, useAwsProfiles } from '../../support/ec2/aws.js'
import type { Ec2Endpoint, Ec2EndpointOptions } from '../../support/ec2/endpoint.js'
import { startRootfsEc2Endpoint } from '../../support/ec2/rootfs-launcher.js'
import {
  DEFAULT_VPC,
  IPV6_SUBNET,
  MARKETPLACE_IMAGE,
  PRIVATE_SUBNET,
  SECOND_SUBNET,
  SECOND_VPC,
} from '../../support/ec2/world.js'
import { generateKey, type TestKey } from '../../support/keys.js'
import { requireRootfs } from '../../support/nodes.js'

// The ec2 provider against a stand-in as strict as EC2 where accounts differ from the default:
// eventual consistency, private subnets, no default VPC, late console keys, key types,
// architectures, quotas, and names EC2 restricts. Real SDK, real wire format, real nodes.

const signal = () => new AbortController().signal

let dir: string
let key: TestKey
const endpoints: Ec2Endpoint[] = []
const providers: Provider[] = []

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forklift-ec2-strict-'))
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
  const e = await startRootfsEc2Endpoint({ pendingMs: 100, ...options })
  endpoints.push(e)
  return e
}

async function open(
  e: Ec2Endpoint,
  settings: Record<string, unknown> = {},
  options: { project?: string; acceptNewHostKeys?: boolean } = {},
) {
  const opened = await openEc2Provider(
    { endpoint: e.url, profile: PROFILE, 'waiter-delay': 0.05, 'ssh-timeout': 20, ...settings },
    { projectDir: dir, ...options },
  )
  providers.push(opened.provider)
  return opened
}

const login = () => ({ 'identity-file': key.privateKey })

function client(e: Ec2Endpoint): EC2Client {
  const sdk = new EC2Client({ endpoint: e.url, profile: PROFILE, region: 'us-east-1' })
  labelFailures(sdk)
  return sdk
}

const members = (e: Ec2Endpoint, group: string, project = 'demo') =>
  e.instances().filter((i) => i.tags['forklift:group'] === group && i.tags['forklift:project'] === project)
const live = (e: Ec2Endpoint, group: string, project = 'demo') =>
  members(e, group, project).filter((i) => i.state === 'pending' || i.state === 'running')

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  )
  assert.ok(error instanceof ProviderError, `expected a ProviderError, got ${String(error)}`)
  assert.doesNotMatch(error.message, /\n/, 'the message is one line')
  return error
}

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 3000) assert.fail(`never saw: ${what}`)
    await sleep(10)
  }
}

const fingerprintsOf = (e: Ec2Endpoint, id: string) =>
  e.world.instances.get(id)!.node!.hostKeys.map((k) => sha256Fingerprint(k.split(' ')[1]!))

describe('ec2 strict: waiting for instances', () => {
  it("a denied DescribeInstances while waiting fails at once, with EC2's message", async (t) => {
    if (!requireRootfs(t)) return
    const e = await endpoint()
    const { provider } = await open(e)
    e.faults.denyWhen('DescribeInstances', (p) => p.list('InstanceId').length > 0)
    const denied = () => e.calls.filter((c) => c.action === 'DescribeInstances' && c.status === 403).length
    // A waiter that retries what cannot change would ask again and again: stop it after three asks.
    const interrupt = new AbortController()
    void until('three denied polls', () => denied() >= 3).then(
      () => interrupt.abort(),
      () => {},
    )
    const error = await rejection(
      provider.createNodes!(groupSpec('deny', { login: login() }), 1, interrupt.signal),
    )
    interrupt.abort()
    assert.equal(denied(), 1, 'asked once, not again')
    assert.match(
      error.message,
      /^group deny \(provider aws\): created i-\S+ but DescribeInstances failed \(UnauthorizedOperation\)/,
    )
    assert.match(error.message, /is not authorized to perform: ec2:DescribeInstances/)
  })

  it('a launch that ends terminated says its StateReason at once', async () => {
    const e = await endpoint()
    const { provider } = await open(e)
    e.faults.failLaunch(
      'Server.InsufficientInstanceCapacity',
      'Server.InsufficientInstanceCapacity: Insufficient capacity.',
    )
    const error = await rejection(provider.createNodes!(groupSpec('doomed', { login: login() }), 1, signal()))
    assert.match(
      error.message,
      /^group doomed \(provider aws\): created (i-\S+) but \1 went terminated \(Server\.InsufficientInstanceCapacity: Insufficient capacity\.\) instead of running/,
    )
  })
})

describe('ec2 strict: eventual consistency and late console keys', () => {
  it('waits out NotFound for a new group, key pair and instance, and keys printed late', async (t) => {
    if (!requireRootfs(t)) return
    const e = await endpoint({ consistencyCalls: 2, consoleLateCalls: 8 })
    const { provider, logs } = await open(e)
    const [node] = await provider.createNodes!(groupSpec('eventual', { login: login() }), 1, signal())
    assert.deepEqual(node!.hostKeyFingerprints, fingerprintsOf(e, node!.id))
    assert.equal(
      e.world.instances.get(node!.id)!.tags['forklift:host-keys'],
      node!.hostKeyFingerprints!.join(','),
    )
    const statuses = (action: string) => e.calls.filter((c) => c.action === action).map((c) => c.status)
    // Each new thing was unknown twice, then seen: asked again with backoff, never given up on.
    assert.deepEqual(statuses('AuthorizeSecurityGroupIngress').slice(0, 3), [400, 400, 200])
    assert.deepEqual(statuses('RunInstances'), [400, 400, 200])
    assert.deepEqual(
      e.calls.filter((c) => c.action === 'RunInstances').map((c) => c.params.get('ClientToken')),
      Array(3).fill(e.calls.find((c) => c.action === 'RunInstances')!.params.get('ClientToken')),
    )
    assert.equal(live(e, 'eventual').length, 1)
    // The console was read until cloud-init's keys appeared: no `none`, no trust on first use.
    assert.ok(e.world.instances.get(node!.id)!.consoleReads > 8)
    assert.ok(!logs.some((l) => /first use|without verification/.test(l)), logs.join('\n'))
  })

  it('a console still without keys fails the node after host-key-timeout, recording nothing', async (t) => {
    if (!requireRootfs(t)) return
    const e = await endpoint({ console: 'unfinished' })
    const { provider } = await open(e, { 'host-key-timeout': 0.3 })
    const error = await rejection(provider.createNodes!(groupSpec('slow', { login: login() }), 1, signal()))
    assert.match(
      error.message,
      /^group slow \(provider aws\): created i-\S+ but slow-1 \(i-\S+\): cloud-init printed no SSH host keys on its console within 0\.3 s; run again to keep waiting .* or run with --accept-new-host-keys/,
    )
    const [instance] = live(e, 'slow')
    assert.equal(instance!.tags['forklift:host-keys'], undefined, 'not recorded as none')
  })

  it('with --accept-new-host-keys such a node is trusted on first use, with a warning', async (t) => {
    if (!requireRootfs(t)) return
    const e = await endpoint({ console: 'unfinished' })
    const { provider, warnings } = await open(e, { 'host-key-timeout': 0.3 }, { acceptNewHostKeys: true })
    const [node] = await provider.createNodes!(groupSpec('tofu', { login: login() }), 1, signal())
    assert.equal(node!.hostKeyFingerprints, undefined)
    assert.ok(
      warnings.some((w) =>
        w.startsWith(
          `tofu-1 (${node!.id}): cloud-init printed no SSH host keys on its console within 0.3 s; its host key is trusted on first use`,
        ),
      ),
      warnings.join('\n'),
    )
    // Not `none` (cloud-init never said it finished): marked as trusted unverified, not looked for again.
    assert.equal(e.world.instances.get(node!.id)!.tags['forklift:host-keys'], 'unverified')
    const reads = e.calls.filter((c) => c.action === 'GetConsoleOutput').length
    const [listed] = await provider.listNodes({ group: 'tofu', ready: true, signal: signal() })
    assert.equal(listed!.id, node!.id)
    assert.equal(e.calls.filter((c) => c.action === 'GetConsoleOutput').length, reads)
  })
})

describe('ec2 strict: networks', () => {
  let e: Ec2Endpoint
  before(async () => {
    e = await endpoint()
  })

  it('vpc without subnet launches into a subnet of that VPC, its group made there', async (t) => {
    if (!requireRootfs(t)) return
    const { provider } = await open(e, { vpc: SECOND_VPC })
    const [node] = await provider.createNodes!(groupSpec('invpc', { login: login() }), 1, signal())
    const instance = e.world.instances.get(node!.id)!
    // The public subnet of the VPC (the private and IPv6-only ones give no reachable address).
    assert.deepEqual([instance.vpcId, instance.subnetId], [SECOND_VPC, SECOND_SUBNET])
    const sg = e.world.securityGroups.get(instance.securityGroups[0]!.id)!
    assert.equal(sg.vpcId, SECOND_VPC)
  })

  it('finds its security group by name in the launch VPC, not a namesake of another VPC', async (t) => {
    if (!requireRootfs(t)) return
    const sdk = client(e)
    t.after(() => sdk.destroy())
    // The namesake in another VPC comes first in any listing; then the group's own, in the default VPC.
    await sdk.send(
      new CreateSecurityGroupCommand({
        GroupName: 'forklift-demo-twin',
        Description: 'x',
        VpcId: SECOND_VPC,
      }),
    )
    const own = await sdk.send(
      new CreateSecurityGroupCommand({
        GroupName: 'forklift-demo-twin',
        Description: 'x',
        VpcId: DEFAULT_VPC,
      }),
    )
    const { provider } = await open(e)
    const [node] = await provider.createNodes!(groupSpec('twin', { login: login() }), 1, signal())
    assert.equal(e.world.instances.get(node!.id)!.securityGroups[0]!.id, own.GroupId)
    const lookup = e.calls.filter((c) => c.action === 'DescribeSecurityGroups').at(-1)!
    assert.deepEqual(
      lookup.params.structs('Filter').map((f) => [f.get('Name'), f.list('Value')]),
      [
        ['group-name', ['forklift-demo-twin']],
        ['vpc-id', [DEFAULT_VPC]],
      ],
    )
  })

  it('a private subnet: the node is its private address, not dialled from here', async (t) => {
    if (!requireRootfs(t)) return
    const { provider, logs } = await open(e, { subnet: PRIVATE_SUBNET })
    const [node] = await provider.createNodes!(groupSpec('inner', { login: login() }), 1, signal())
    const instance = e.world.instances.get(node!.id)!
    assert.equal(instance.publicIp, undefined)
    assert.match(instance.privateIp, /^10\.0\.2\./)
    assert.equal(node!.address, instance.privateIp)
    // Its host keys are known all the same: the jump host's hop to it is verified.
    assert.deepEqual(node!.hostKeyFingerprints, fingerprintsOf(e, node!.id))
    assert.ok(
      logs.some(
        (l) => l.includes(`reached at its private address ${instance.privateIp}`) && /ProxyJump/.test(l),
      ),
      logs.join('\n'),
    )
    const [listed] = await provider.listNodes({ group: 'inner' })
    assert.equal(listed!.address, instance.privateIp)
  })

  it('address: public with a private subnet, and an IPv6-only subnet, are one line each', async (t) => {
    if (!requireRootfs(t)) return
    const pub = await open(e, { subnet: PRIVATE_SUBNET, address: 'public' })
    const noPublic = await rejection(
      pub.provider.createNodes!(groupSpec('nopub', { login: login() }), 1, signal()),
    )
    assert.match(
      noPublic.message,
      /nopub-1 \(i-\S+\) has no public address: launch into a subnet that gives public addresses, or set the provider setting `address: private`/,
    )
    const six = await open(e, { subnet: IPV6_SUBNET })
    const v6 = await rejection(six.provider.createNodes!(groupSpec('six', { login: login() }), 1, signal()))
    assert.match(
      v6.message,
      /six-1 \(i-\S+\) has no IPv4 address \(only IPv6 2600:\S+\): launch into a subnet with IPv4/,
    )
    // Listing shows no empty address that Node would dial as 127.0.0.1.
    const [listed] = await six.provider.listNodes({ group: 'six' })
    assert.equal(listed!.address, '')
  })

  it('no default VPC: one line saying to set `subnet`, before anything is made', async () => {
    const bare = await endpoint({ defaultVpc: false })
    const { provider } = await open(bare)
    const error = await rejection(
      provider.createNodes!(groupSpec('nowhere', { login: login() }), 1, signal()),
    )
    assert.equal(
      error.message,
      'group nowhere (provider aws): region us-east-1 has no default VPC: set the provider setting `subnet` to the subnet to launch into',
    )
    assert.deepEqual(
      bare.calls.map((c) => c.action).filter((a) => !a.startsWith('Describe')),
      [],
    )
  })
})

describe('ec2 strict: access kept to what is asked, and taken away with the group', () => {
  it('converge closes the ports Forklift opened that inbound-ports no longer lists, and only those', async (t) => {
    if (!requireRootfs(t)) return
    const e = await endpoint()
    const sdk = client(e)
    t.after(() => sdk.destroy())
    const { provider, logs } = await open(e)
    const spec = (ports: number[]) =>
      groupSpec('web', { login: login(), network: { 'inbound-ports': ports } })
    const [node] = await provider.createNodes!(spec([80, 443]), 1, signal())
    const sgId = e.world.instances.get(node!.id)!.securityGroups[0]!.id
    // Someone else's rule on the same group.
    await sdk.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sgId,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 8443,
            ToPort: 8443,
            IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'ops' }],
          },
        ],
      }),
    )
    // A converge that creates nothing: the listing for use carries the group's spec.
    await provider.listNodes({ group: 'web', ready: true, signal: signal(), spec: spec([80, 8080]) })
    const ports = () =>
      e.world.securityGroups
        .get(sgId)!
        .ingress.map((r) => r.fromPort)
        .sort((a, b) => a - b)
    assert.deepEqual(ports(), [22, 80, 8080, 8443])
    assert.ok(
      logs.some((l) => l === 'group web: closed ports 443 no longer in inbound-ports'),
      logs.join('\n'),
    )
    // A dry run changes nothing.
    await provider.listNodes({ group: 'web', ready: true, readOnly: true, signal: signal(), spec: spec([]) })
    assert.deepEqual(ports(), [22, 80, 8080, 8443])
  })

  it('destroying the last node deletes the security group after termination, and the key pair', async (t) => {
    if (!requireRootfs(t)) return
    const e = await endpoint({ consistencyCalls: 2 })
    const { provider, logs } = await open(e)
    const nodes = await provider.createNodes!(groupSpec('gone', { login: login() }), 2, signal())
    const sgId = e.world.instances.get(nodes[0]!.id)!.securityGroups[0]!.id
    await provider.destroyNodes!([nodes[1]!], signal())
    assert.ok(e.world.securityGroups.has(sgId), 'kept while a node is left')
    assert.ok(e.world.keyPairs.has('forklift-demo-gone'))
    await provider.destroyNodes!([nodes[0]!], signal())
    assert.equal(e.world.securityGroups.has(sgId), false)
    assert.equal(e.world.keyPairs.has('forklift-demo-gone'), false)
    const deletes = e.calls.filter((c) => c.action === 'DeleteSecurityGroup').map((c) => c.status)
    // EC2 held the group a while after the instances terminated: DependencyViolation, asked again.
    assert.deepEqual(deletes, [400, 400, 200])
    assert.equal(e.world.instances.get(nodes[0]!.id)!.state, 'terminated')
    assert.ok(
      logs.some((l) => l.startsWith(`group gone: deleted security group forklift-demo-gone (${sgId})`)),
    )
  })

  it('keep-group-resources keeps them', async (t) => {
    if (!requireRootfs(t)) return
    const e = await endpoint()
    const { provider } = await open(e, { 'keep-group-resources': true })
    const [node] = await provider.createNodes!(groupSpec('kept', { login: login() }), 1, signal())
    const sgId = e.world.instances.get(node!.id)!.securityGroups[0]!.id
    await provider.destroyNodes!([node!], signal())
    assert.ok(e.world.securityGroups.has(sgId))
    assert.ok(e.world.keyPairs.has('forklift-demo-kept'))
  })

  it('a key pair holding another key than the login key is an error naming it; nothing launched', async (t) => {
    const e = await endpoint()
    const sdk = client(e)
    t.after(() => sdk.destroy())
    const old = await generateKey(join(dir, 'old_ed25519'))
    await sdk.send(
      new ImportKeyPairCommand({
        KeyName: 'forklift-demo-rotated',
        PublicKeyMaterial: new TextEncoder().encode(old.publicKey),
      }),
    )
    const { provider } = await open(e)
    const error = await rejection(
      provider.createNodes!(groupSpec('rotated', { login: login() }), 1, signal()),
    )
    assert.match(
      error.message,
      /^group rotated \(provider aws\): key pair forklift-demo-rotated holds another public key than the group's login key.*aws ec2 delete-key-pair --key-name forklift-demo-rotated.*`key-name`/,
    )
    assert.equal(e.calls.filter((c) => c.action === 'RunInstances').length, 0)
  })

  it('refuses ECDSA and security-key logins before importing, naming the key file', async () => {
    const e = await endpoint()
    const ecdsa = join(dir, 'id_ecdsa')
    await writeFile(
      `${ecdsa}.pub`,
      'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= me@host\n',
    )
    const { provider } = await open(e)
    const error = await rejection(
      provider.createNodes!(groupSpec('curve', { login: { 'identity-file': ecdsa } }), 1, signal()),
    )
    assert.equal(
      error.message,
      `group curve (provider aws): the key in ${ecdsa}.pub cannot be imported as an EC2 key pair: EC2 key pairs take RSA or ED25519 keys only, not ecdsa-sha2-nistp256; use an ssh-ed25519 or ssh-rsa key`,
    )
    assert.equal(e.calls.length, 0)
  })
})

describe('ec2 strict: errors and choices', () => {
  let e: Ec2Endpoint
  before(async () => {
    e = await endpoint({ vcpuLimit: 4, imagePageLimit: 1 })
  })

  it('a denied call is labelled with its own action and keeps the decoding hint', async (t) => {
    const { provider } = await open(e)
    t.after(() => e.faults.reset())
    for (const action of ['DescribeKeyPairs', 'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress']) {
      e.faults.reset()
      e.faults.deny(action)
      const error = await rejection(
        provider.createNodes!(groupSpec('labels', { login: login() }), 1, signal()),
      )
      assert.match(
        error.message,
        new RegExp(
          `^group labels \\(provider aws\\): not allowed to call ec2:${action} \\(UnauthorizedOperation\\)`,
        ),
      )
      assert.match(
        error.message,
        new RegExp(`because no identity-based policy allows the ec2:${action} action`),
      )
      assert.match(error.message, /aws sts decode-authorization-message --encoded-message \S+/)
    }
    assert.equal(live(e, 'labels').length, 0)
  })

  it('chooses instance types from DescribeInstanceTypes, offered in the region, of the right architecture', async (t) => {
    if (!requireRootfs(t)) return
    const { provider } = await open(e)
    const launch = async (name: string, node: Parameters<typeof groupSpec>[1]) => {
      const [made] = await provider.createNodes!(groupSpec(name, { login: login(), ...node }), 1, signal())
      const instance = e.world.instances.get(made!.id)!
      await provider.destroyNodes!([made!], signal())
      return [instance.instanceType, instance.imageId]
    }
    // t2.nano would be first, but the region does not offer it: t2.micro (1 vCPU) before t3.nano (2).
    assert.deepEqual(await launch('tiny', { hardware: { 'min-ram': 512 } }), [
      't2.micro',
      'ami-0de12a00000000002',
    ])
    // Graviton a1 runs arm64: the arm64 Debian image, not the amd64 one.
    assert.deepEqual(await launch('graviton', { hardware: { 'instance-type': 'a1.medium' } }), [
      'a1.medium',
      'ami-0de12a00000000003',
    ])
    // An arm64 image by id with minimums: an arm64 type.
    assert.deepEqual(
      await launch('armid', { image: { id: 'ami-0de12a00000000003' }, hardware: { 'min-cores': 2 } }),
      ['t4g.micro', 'ami-0de12a00000000003'],
    )
  })

  it('an image and a type of two architectures, an unknown type, a type not offered: one line, nothing made', async () => {
    const { provider } = await open(e)
    const before = e.calls.length
    const mismatch = await rejection(
      provider.createNodes!(
        groupSpec('mixed', {
          login: login(),
          image: { id: 'ami-0de12a00000000003' },
          hardware: { 'instance-type': 't3.micro' },
        }),
        1,
        signal(),
      ),
    )
    assert.match(
      mismatch.message,
      /image ami-0de12a00000000003 is arm64 but instance type t3\.micro runs x86_64/,
    )
    const unknown = await rejection(
      provider.createNodes!(
        groupSpec('nosuch', { login: login(), hardware: { 'instance-type': 't9.huge' } }),
        1,
        signal(),
      ),
    )
    assert.match(unknown.message, /EC2 knows no instance type t9\.huge: check hardware\.instance-type/)
    const unoffered = await rejection(
      provider.createNodes!(
        groupSpec('far', { login: login(), hardware: { 'instance-type': 'c7i.large' } }),
        1,
        signal(),
      ),
    )
    assert.match(unoffered.message, /instance type c7i\.large is not offered in region us-east-1/)
    assert.deepEqual(
      e.calls
        .slice(before)
        .map((c) => c.action)
        .filter((a) => !a.startsWith('Describe')),
      [],
    )
  })

  it('VcpuLimitExceeded and OptInRequired are explained, with EC2 message', async (t) => {
    if (!requireRootfs(t)) return
    const { provider } = await open(e)
    const vcpu = await rejection(provider.createNodes!(groupSpec('many', { login: login() }), 3, signal()))
    assert.match(
      vcpu.message,
      /the account's vCPU quota for t3\.micro's family in region us-east-1 is used up \(VcpuLimitExceeded: You have requested more vCPU capacity/,
    )
    const optIn = await rejection(
      provider.createNodes!(
        groupSpec('market', { login: login(), image: { id: MARKETPLACE_IMAGE } }),
        1,
        signal(),
      ),
    )
    assert.match(
      optIn.message,
      new RegExp(
        `OptInRequired: In order to use this AWS Marketplace product.*subscribe to the AMI ${MARKETPLACE_IMAGE}`,
      ),
    )
    assert.equal(live(e, 'many').length + live(e, 'market').length, 0)
  })

  it('Unsupported and VPCIdNotSpecified from the wire are explained', async (t) => {
    const bare = await endpoint({ defaultVpc: false })
    const sdk = client(bare)
    t.after(() => sdk.destroy())
    const site = { provider: 'aws', group: 'web', action: 'Launch', region: 'us-east-1' }
    const noVpc = await sdk
      .send(
        new RunInstancesCommand({
          ImageId: 'ami-0de12a00000000002',
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
        }),
      )
      .catch((error: unknown) => explainAwsError(error, site))
    assert.match(
      String((noVpc as Error).message),
      /^group web \(provider aws\): region us-east-1 has no default VPC \(VPCIdNotSpecified\): set the provider setting `subnet`/,
    )
    const unsupported = await sdk
      .send(
        new RunInstancesCommand({
          ImageId: 'ami-0de12a00000000002',
          InstanceType: 't3a.micro',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: SECOND_SUBNET,
        }),
      )
      .catch((error: unknown) => explainAwsError(error, site))
    assert.match(
      String((unsupported as Error).message),
      /EC2 does not support this launch in region us-east-1 \(Unsupported: Your requested instance type \(t3a\.micro\) is not supported/,
    )
    assert.equal(bare.instances().length, 0)
  })

  it('follows DescribeImages pages to the newest image', async () => {
    const sdk = client(e)
    try {
      const found = await resolveImage(sdk, { os: 'debian', version: '12' }, 'x86_64', {
        group: 'web',
        region: 'us-east-1',
      })
      assert.equal(found.imageId, 'ami-0de12a00000000002')
      const pages = e.calls.filter(
        (c) => c.action === 'DescribeImages' && c.params.get('Owner.1') === '136693071363',
      )
      assert.ok(pages.length > 1, 'more than one page')
    } finally {
      sdk.destroy()
    }
  })

  it('a project name with wildcards lists its own nodes only; one EC2 cannot take is one line', async (t) => {
    if (!requireRootfs(t)) return
    const sdk = client(e)
    t.after(() => sdk.destroy())
    await sdk.send(
      new RunInstancesCommand({
        ImageId: 'ami-0de12a00000000002',
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'forklift:project', Value: 'shopping' },
              { Key: 'forklift:group', Value: 'web' },
            ],
          },
        ],
      }),
    )
    const starred = await open(e, {}, { project: 'shop*' })
    assert.deepEqual(await starred.provider.listNodes({ group: 'web' }), [])
    const marked = await open(e, {}, { project: 'sh?pping' })
    assert.deepEqual(await marked.provider.listNodes({}), [])
    // Longer than a tag value may be: one line naming `name`, before EC2 is asked to make anything.
    const long = await open(e, {}, { project: 'p'.repeat(300) })
    const before = e.calls.length
    const tooLong = await rejection(
      long.provider.createNodes!(groupSpec('web', { login: login() }), 1, signal()),
    )
    assert.match(
      tooLong.message,
      /\(forklift.yaml `name`\) is longer than the 256 characters of an EC2 tag value/,
    )
    assert.equal(e.calls.length, before)
    const accented = await open(e, {}, { project: 'café' })
    const error = await rejection(
      accented.provider.createNodes!(groupSpec('web', { login: login() }), 1, signal()),
    )
    assert.match(
      error.message,
      /^group web \(provider aws\): the project name "café" \(forklift.yaml `name`\) cannot be part of the security group name/,
    )
  })
})
