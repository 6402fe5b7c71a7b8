import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { defaultInstanceTypes, defaultOfferings, type InstanceTypeRecord } from './catalog.js'
import { bootLog, type ConsoleMode } from './console.js'
import type { InstanceLauncher, LaunchedNode } from './launcher.js'

export const ACCOUNT_ID = '123456789012'
export const DEFAULT_VPC = 'vpc-0a1b2c3d4e5f60718'
export const DEFAULT_SUBNET = 'subnet-0a1b2c3d4e5f60718'
/** A VPC of the account besides the default one, with one subnet: launching there needs groups of that VPC. */
export const SECOND_VPC = 'vpc-0f9e8d7c6b5a43210'
export const SECOND_SUBNET = 'subnet-0f9e8d7c6b5a43210'
/** A private subnet of the second VPC: instances get no public address there (reached through a jump host). */
export const PRIVATE_SUBNET = 'subnet-0c0ffee0000000001'
/** An IPv6-only subnet of the second VPC: instances get neither a public nor a private IPv4 address. */
export const IPV6_SUBNET = 'subnet-0c0ffee0000000006'
/** An image of the AWS Marketplace whose terms the account has not accepted. */
export const MARKETPLACE_IMAGE = 'ami-0feed000000000001'

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated'
export const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
}

export interface ImageRecord {
  id: string
  name: string
  ownerId: string
  ownerAlias?: string
  creationDate: string
  architecture: 'x86_64' | 'arm64'
  state: 'available' | 'pending'
  description: string
  /** cloud-init's default user on this image. */
  loginUser: string
  /** A Marketplace product the account has not subscribed to: RunInstances answers OptInRequired. */
  optIn?: boolean
}

export interface InstanceRecord {
  id: string
  reservationId: string
  imageId: string
  instanceType: string
  keyName?: string
  securityGroups: { id: string; name: string }[]
  subnetId: string
  vpcId: string
  clientToken?: string
  launchIndex: number
  launchTime: Date
  privateIp: string
  publicIp?: string
  /** An IPv6-only instance has no IPv4 address at all. */
  ipv6Ip?: string
  tags: Record<string, string>
  state: InstanceStateName
  stateReason?: { code: string; message: string }
  transitionReason: string
  /** The real node, once launched. */
  node?: LaunchedNode
  terminatedAt?: number
  consoleOutput: string
  /** GetConsoleOutput calls answered so far (cloud-init's keys may come late). */
  consoleReads: number
  /** What the console shows while cloud-init still runs. */
  consoleEarly?: string
  /** Settles when launching is over (successfully or not). */
  launched: Promise<void>
  /** Settles when the node is stopped (after a terminate). */
  stopped?: Promise<void>
}

export interface ReservationRecord {
  id: string
  instanceIds: string[]
  /** The RunInstances parameters that matter for idempotency. */
  signature: string
}

export interface KeyPairRecord {
  id: string
  name: string
  publicKey: string
  fingerprint: string
  createTime: Date
  tags: Record<string, string>
}

export interface RuleRecord {
  id: string
  protocol: string
  fromPort: number
  toPort: number
  cidr: string
  description?: string
}

export interface SecurityGroupRecord {
  id: string
  name: string
  description: string
  vpcId: string
  tags: Record<string, string>
  ingress: RuleRecord[]
}

export interface VpcRecord {
  id: string
  cidr: string
  isDefault: boolean
}

export interface SubnetRecord {
  id: string
  vpcId: string
  /** A /16 or /24 block: instances get addresses from it. */
  cidr: string
  /** Zone letter after the region name (`a` for us-east-1a). */
  zone: string
  defaultForAz: boolean
  mapPublicIpOnLaunch: boolean
  /** IPv6-only: no IPv4 addresses for its instances. */
  ipv6Native?: boolean
  tags: Record<string, string>
}

/**
 * The default VPC with its default subnet, and a second VPC with a public, a private and an IPv6-only
 * subnet; without the default VPC (`defaultVpc: false`), as accounts that deleted it or never had one.
 */
export function defaultNetworks(defaultVpc = true): { vpcs: VpcRecord[]; subnets: SubnetRecord[] } {
  const all: { vpcs: VpcRecord[]; subnets: SubnetRecord[] } = {
    vpcs: [
      { id: DEFAULT_VPC, cidr: '172.31.0.0/16', isDefault: true },
      { id: SECOND_VPC, cidr: '10.0.0.0/16', isDefault: false },
    ],
    subnets: [
      {
        id: DEFAULT_SUBNET,
        vpcId: DEFAULT_VPC,
        cidr: '172.31.0.0/16',
        zone: 'a',
        defaultForAz: true,
        mapPublicIpOnLaunch: true,
        tags: {},
      },
      {
        id: SECOND_SUBNET,
        vpcId: SECOND_VPC,
        cidr: '10.0.1.0/24',
        zone: 'b',
        defaultForAz: false,
        mapPublicIpOnLaunch: true,
        tags: { Name: 'forklift-test-second' },
      },
      {
        id: PRIVATE_SUBNET,
        vpcId: SECOND_VPC,
        cidr: '10.0.2.0/24',
        zone: 'c',
        defaultForAz: false,
        mapPublicIpOnLaunch: false,
        tags: { Name: 'forklift-test-private' },
      },
      {
        id: IPV6_SUBNET,
        vpcId: SECOND_VPC,
        cidr: '10.0.3.0/24',
        zone: 'd',
        defaultForAz: false,
        mapPublicIpOnLaunch: false,
        ipv6Native: true,
        tags: { Name: 'forklift-test-ipv6' },
      },
    ],
  }
  if (defaultVpc) return all
  return {
    vpcs: all.vpcs.filter((v) => !v.isDefault),
    subnets: all.subnets.filter((s) => s.vpcId !== DEFAULT_VPC),
  }
}

export interface WorldOptions {
  launcher: InstanceLauncher
  /** Least time an instance stays pending (ms). */
  pendingMs: number
  /** Time in shutting-down before terminated (ms). */
  shuttingDownMs: number
  /** How long terminated instances stay visible (ms). */
  terminatedVisibleMs: number
  console: ConsoleMode
  /**
   * EC2's eventual consistency: a resource just made (instance, security group, key pair) stays
   * unknown to this many calls that name it, and a security group keeps a dependency this many
   * DeleteSecurityGroup calls after its last instance terminated (0: everything is seen at once).
   */
  consistencyCalls: number
  /** GetConsoleOutput calls that see cloud-init still running (no keys, no "finished" line) first. */
  consoleLateCalls: number
  /** Whether the account has a default VPC. */
  defaultVpc: boolean
}

/** A random resource id in EC2's long form: `i-0123456789abcdef0`. */
export function resourceId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`
}

/** Images as their publishers name them: official Debian, Ubuntu and Amazon Linux, plus decoys. */
export function defaultImages(): ImageRecord[] {
  const image = (
    id: string,
    name: string,
    owner: string,
    creationDate: string,
    loginUser: string,
    extra: Partial<ImageRecord> = {},
  ): ImageRecord => ({
    id,
    name,
    ownerId: owner,
    creationDate,
    architecture: name.includes('arm64') ? 'arm64' : 'x86_64',
    state: 'available',
    description: name,
    loginUser,
    ...extra,
  })
  return [
    image(
      'ami-0de12a00000000001',
      'debian-12-amd64-20240102-1614',
      '136693071363',
      '2024-01-02T16:20:00.000Z',
      'admin',
    ),
    image(
      'ami-0de12a00000000002',
      'debian-12-amd64-20240717-1811',
      '136693071363',
      '2024-07-17T18:20:00.000Z',
      'admin',
    ),
    image(
      'ami-0de12a00000000003',
      'debian-12-arm64-20240717-1811',
      '136693071363',
      '2024-07-17T18:21:00.000Z',
      'admin',
    ),
    image(
      'ami-0de11a00000000004',
      'debian-11-amd64-20240717-1811',
      '136693071363',
      '2024-07-17T18:22:00.000Z',
      'admin',
    ),
    // Not yet available, though newest: a resolver must skip it.
    image(
      'ami-0de12a00000000005',
      'debian-12-amd64-20240901-0000',
      '136693071363',
      '2024-09-01T00:00:00.000Z',
      'admin',
      {
        state: 'pending',
      },
    ),
    // Same name pattern, another owner: a resolver must not pick it.
    image(
      'ami-0bad0000000000001',
      'debian-12-amd64-20250101-0000',
      '999988887777',
      '2025-01-01T00:00:00.000Z',
      'root',
    ),
    image(
      'ami-0cb24040000000001',
      'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240801',
      '099720109477',
      '2024-08-01T00:00:00.000Z',
      'ubuntu',
    ),
    image(
      'ami-0cb22040000000002',
      'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240801',
      '099720109477',
      '2024-08-01T00:00:00.000Z',
      'ubuntu',
    ),
    image(
      MARKETPLACE_IMAGE,
      'vendor-appliance-1.0-x86_64',
      '679593333241',
      '2024-06-01T00:00:00.000Z',
      'ec2-user',
      { optIn: true },
    ),
    image(
      'ami-0a120230000000001',
      'al2023-ami-2023.5.20240805.0-kernel-6.1-x86_64',
      '137112412989',
      '2024-08-05T00:00:00.000Z',
      'ec2-user',
      { ownerAlias: 'amazon' },
    ),
  ]
}

/** The endpoint's state: images, key pairs, security groups, reservations and instances with their lives. */
export class World {
  readonly images: ImageRecord[] = defaultImages()
  readonly vpcs: Map<string, VpcRecord>
  readonly subnets: Map<string, SubnetRecord>
  readonly instanceTypes: InstanceTypeRecord[] = defaultInstanceTypes()
  readonly offerings = defaultOfferings(this.instanceTypes)
  readonly keyPairs = new Map<string, KeyPairRecord>()
  readonly securityGroups = new Map<string, SecurityGroupRecord>()
  readonly reservations = new Map<string, ReservationRecord>()
  readonly instances = new Map<string, InstanceRecord>()
  readonly tokens = new Map<string, string>()
  /** State reasons for the next launched instances to end with, terminated while pending. */
  readonly launchFailures: { code: string; message: string }[] = []
  /** Launch failures, for tests to assert there were none. */
  readonly launchErrors: Error[] = []
  private nextPrivate = 10
  /** While set, instances launched stay pending until it settles (a fault switch). */
  private pendingGate?: { promise: Promise<void>; release: () => void }
  /** Calls that will still not see a resource just made, by id (or key pair name). */
  private readonly unseenLeft = new Map<string, number>()

  constructor(readonly options: WorldOptions) {
    const networks = defaultNetworks(options.defaultVpc)
    this.vpcs = new Map(networks.vpcs.map((v) => [v.id, v]))
    this.subnets = new Map(networks.subnets.map((s) => [s.id, s]))
  }

  /** A resource was just made: the next `consistencyCalls` calls naming it do not see it yet. */
  made(id: string): void {
    if (this.options.consistencyCalls > 0) this.unseenLeft.set(id, this.options.consistencyCalls)
  }

  /** Whether a security group whose instances are all terminated still has a dependency (counted down per call). */
  unseenDependency(groupId: string): boolean {
    const key = `dependency:${groupId}`
    if (!this.unseenLeft.has(key)) this.unseenLeft.set(key, this.options.consistencyCalls)
    return this.unseen(key)
  }

  /** Whether this call misses the resource (and counts the miss). */
  unseen(id: string): boolean {
    const left = this.unseenLeft.get(id) ?? 0
    if (left <= 0) return false
    this.unseenLeft.set(id, left - 1)
    return true
  }

  /** Keep instances launched from now on pending until releasePending. */
  holdPending(): void {
    if (this.pendingGate) return
    let release!: () => void
    const promise = new Promise<void>((resolve) => {
      release = resolve
    })
    this.pendingGate = { promise, release }
  }

  /** Let held instances (and later ones) turn running. */
  releasePending(): void {
    this.pendingGate?.release()
    this.pendingGate = undefined
  }

  /** Instances a Describe call can still see (terminated ones fade after a while). */
  visibleInstances(): InstanceRecord[] {
    const now = Date.now()
    return [...this.instances.values()].filter(
      (i) => i.terminatedAt === undefined || now - i.terminatedAt < this.options.terminatedVisibleMs,
    )
  }

  liveInstances(): InstanceRecord[] {
    return [...this.instances.values()].filter((i) => i.state === 'pending' || i.state === 'running')
  }

  /** The next free address of a subnet (EC2 keeps the first four of a block for itself). */
  allocatePrivateIp(subnet: SubnetRecord): string {
    const n = this.nextPrivate++
    const octets = subnet.cidr.split('/')[0]!.split('.')
    if (subnet.cidr.endsWith('/24')) return `${octets.slice(0, 3).join('.')}.${(n % 250) + 4}`
    return `${octets.slice(0, 2).join('.')}.${Math.floor(n / 250)}.${(n % 250) + 4}`
  }

  /** Start the real node behind an instance; pending turns running once it listens and pendingMs passed. */
  launch(instance: InstanceRecord, user: string, publicKey: string | undefined): void {
    const gate = this.pendingGate?.promise
    const failure = this.launchFailures.shift()
    if (failure) {
      // EC2 accepted the launch, then the instance went from pending to terminated on its own.
      instance.launched = sleep(this.options.pendingMs).then(() => {
        instance.state = 'terminated'
        instance.terminatedAt = Date.now()
        instance.stateReason = failure
        instance.transitionReason = `Server.InternalError`
      })
      return
    }
    instance.launched = (async () => {
      const [node] = await Promise.all([
        this.options.launcher.launch({ instanceId: instance.id, user, ...(publicKey ? { publicKey } : {}) }),
        sleep(this.options.pendingMs),
        gate,
      ])
      instance.node = node
      if (instance.state !== 'pending') return
      const subnet = this.subnets.get(instance.subnetId)
      if (subnet?.ipv6Native) instance.ipv6Ip = `2600:1f18:0:3::${instance.launchIndex + 10}`
      else if (subnet?.mapPublicIpOnLaunch !== false) instance.publicIp = node.address
      if (node.port !== 22) instance.tags['forklift:ssh-port'] = String(node.port)
      instance.consoleOutput = bootLog(instance, node.hostKeys, this.options.console)
      instance.consoleEarly = bootLog(instance, node.hostKeys, 'unfinished')
      instance.state = 'running'
    })().catch((error: Error) => {
      this.launchErrors.push(error)
      instance.state = 'terminated'
      instance.terminatedAt = Date.now()
      instance.stateReason = {
        code: 'Server.InternalError',
        message: 'Server.InternalError: Internal error on launch',
      }
    })
  }

  /** Begin terminating: shutting-down at once, terminated after the node stopped and shuttingDownMs passed. */
  terminate(instance: InstanceRecord): InstanceStateName {
    const previous = instance.state
    if (previous === 'shutting-down' || previous === 'terminated') return previous
    instance.state = 'shutting-down'
    instance.transitionReason = `User initiated (${new Date().toISOString().replace('T', ' ').slice(0, 19)} GMT)`
    instance.stateReason = {
      code: 'Client.UserInitiatedShutdown',
      message: 'Client.UserInitiatedShutdown: User initiated shutdown',
    }
    instance.stopped = (async () => {
      await instance.launched
      await Promise.all([instance.node?.stop(), sleep(this.options.shuttingDownMs)])
      instance.state = 'terminated'
      instance.terminatedAt = Date.now()
    })()
    return previous
  }

  /** Terminate everything and wait until every node stopped. */
  async shutdown(): Promise<void> {
    this.releasePending()
    for (const instance of this.instances.values()) this.terminate(instance)
    await Promise.all([...this.instances.values()].map((i) => i.launched.then(() => i.stopped)))
  }
}

/** The fingerprint EC2 shows for an imported key: SHA256 of the key blob, base64. */
export function importedKeyFingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64')
  return createHash('sha256').update(blob).digest('base64')
}
