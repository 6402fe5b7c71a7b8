import { describeInstanceTypeOfferings, describeInstanceTypes } from './catalog.js'
import {
  deleteKeyPair,
  deleteSecurityGroup,
  describeVpcs,
  revokeSecurityGroupIngress,
  validateTags,
} from './network-actions.js'
import {
  filtersOf,
  passes,
  QueryError,
  type QueryFilter,
  type QueryParams,
  tagField,
  taggedFor,
} from './query.js'
import { describeSubnets } from './subnets.js'
import {
  ACCOUNT_ID,
  DEFAULT_SUBNET,
  DEFAULT_VPC,
  type InstanceRecord,
  type InstanceStateName,
  importedKeyFingerprint,
  type RuleRecord,
  resourceId,
  type SecurityGroupRecord,
  STATE_CODES,
  type World,
} from './world.js'
import type { XmlNode, XmlValue } from './xml.js'

/** What an action handler may consult besides its parameters. */
export interface ActionContext {
  world: World
  region: string
  /** Most instances one DescribeInstances page holds, whatever MaxResults asks (EC2 may return fewer). */
  pageLimit: number
  /** Pending + running instances the account may have. */
  instanceLimit: number
  /** Whether GetConsoleOutput accepts Latest=true (Nitro instance types do, older ones do not). */
  latestConsole: boolean
  /** Most images one DescribeImages page holds (EC2 pages when asked to, and may return fewer). */
  imagePageLimit: number
  /** Most instance types one DescribeInstanceTypes page holds (EC2: 100). */
  typePageLimit: number
  /** vCPUs of pending + running instances the account may have (its On-Demand quota). */
  vcpuLimit: number
}

export type Handler = (params: QueryParams, ctx: ActionContext) => XmlNode

const notFound = (code: string, message: string) => new QueryError(400, code, message)
const invalid = (message: string, code = 'InvalidParameterValue') => new QueryError(400, code, message)

const tagSet = (tags: Record<string, string>): XmlValue[] =>
  Object.entries(tags).map(([key, value]) => ({ key, value }))

const stateXml = (state: InstanceStateName): XmlNode => ({ code: STATE_CODES[state], name: state })

function instanceXml(i: InstanceRecord, ctx: ActionContext): XmlNode {
  return {
    instanceId: i.id,
    imageId: i.imageId,
    instanceState: stateXml(i.state),
    privateDnsName: `ip-${i.privateIp.replaceAll('.', '-')}.${ctx.region}.compute.internal`,
    dnsName:
      i.publicIp && i.state === 'running' ? `ec2-${i.publicIp.replaceAll('.', '-')}.compute.local` : '',
    reason: i.transitionReason,
    keyName: i.keyName,
    amiLaunchIndex: i.launchIndex,
    productCodes: [],
    instanceType: i.instanceType,
    launchTime: i.launchTime,
    placement: { availabilityZone: `${ctx.region}a`, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: i.state === 'terminated' ? undefined : i.subnetId,
    vpcId: i.state === 'terminated' ? undefined : i.vpcId,
    privateIpAddress: i.state === 'terminated' || !i.privateIp ? undefined : i.privateIp,
    ipAddress: i.state === 'running' || i.state === 'shutting-down' ? i.publicIp : undefined,
    ipv6Address: i.state === 'running' ? i.ipv6Ip : undefined,
    sourceDestCheck: true,
    groupSet: i.securityGroups.map((g) => ({ groupId: g.id, groupName: g.name })),
    stateReason: i.stateReason,
    architecture: ctx.world.images.find((image) => image.id === i.imageId)?.architecture ?? 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    blockDeviceMapping: [],
    virtualizationType: 'hvm',
    clientToken: i.clientToken ?? '',
    tagSet: Object.keys(i.tags).length ? tagSet(i.tags) : undefined,
    hypervisor: 'xen',
    ebsOptimized: false,
    enaSupport: true,
  }
}

function instanceField(i: InstanceRecord, name: string): string[] | undefined {
  switch (name) {
    case 'instance-id':
      return [i.id]
    case 'instance-state-name':
      return [i.state]
    case 'instance-state-code':
      return [String(STATE_CODES[i.state])]
    case 'image-id':
      return [i.imageId]
    case 'instance-type':
      return [i.instanceType]
    case 'key-name':
      return i.keyName ? [i.keyName] : []
    case 'client-token':
      return i.clientToken ? [i.clientToken] : []
    case 'reservation-id':
      return [i.reservationId]
    case 'vpc-id':
      return [i.vpcId]
    case 'subnet-id':
      return [i.subnetId]
    case 'ip-address':
      return i.publicIp ? [i.publicIp] : []
    case 'private-ip-address':
      return [i.privateIp]
    case 'instance.group-id':
      return i.securityGroups.map((g) => g.id)
    default:
      return tagField(name, i.tags)
  }
}

function instanceById(ctx: ActionContext, id: string, visibleOnly = true): InstanceRecord {
  if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw notFound('InvalidInstanceID.Malformed', `Invalid id: "${id}"`)
  const instance = ctx.world.instances.get(id)
  if (
    !instance ||
    (visibleOnly && !ctx.world.visibleInstances().includes(instance)) ||
    ctx.world.unseen(id)
  ) {
    throw notFound('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`)
  }
  return instance
}

/** Group instances (kept in order) into reservations as EC2 returns them. */
function reservationsXml(instances: InstanceRecord[], ctx: ActionContext): XmlValue[] {
  const out: { id: string; list: InstanceRecord[] }[] = []
  for (const i of instances) {
    const last = out.at(-1)
    if (last?.id === i.reservationId) last.list.push(i)
    else out.push({ id: i.reservationId, list: [i] })
  }
  return out.map((r) => ({
    reservationId: r.id,
    ownerId: ACCOUNT_ID,
    groupSet: [],
    instancesSet: r.list.map((i) => instanceXml(i, ctx)),
  }))
}

function encodeToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ offset, query })).toString('base64')
}

function decodeToken(token: string, query: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      offset: number
      query: string
    }
    if (parsed.query === query && Number.isInteger(parsed.offset) && parsed.offset >= 0) return parsed.offset
  } catch {
    // Falls through to the error below.
  }
  throw invalid(`Invalid value '${token}' for nextToken`)
}

const describeInstances: Handler = (params, ctx) => {
  const ids = params.list('InstanceId')
  const filters = filtersOf(params)
  const maxResults = params.int('MaxResults')
  if (maxResults !== undefined && ids.length > 0) {
    throw new QueryError(
      400,
      'InvalidParameterCombination',
      'The parameter instancesSet cannot be used with the parameter maxResults',
    )
  }
  if (maxResults !== undefined && (maxResults < 5 || maxResults > 1000)) {
    throw invalid(
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
    )
  }
  for (const id of ids) instanceById(ctx, id)
  const matching = ctx.world
    .visibleInstances()
    .filter(
      (i) => (ids.length === 0 || ids.includes(i.id)) && passes(filters, (name) => instanceField(i, name)),
    )
  const query = JSON.stringify([ids, filters])
  const token = params.get('NextToken')
  const offset = token ? decodeToken(token, query) : 0
  const size = Math.min(maxResults ?? Number.POSITIVE_INFINITY, ctx.pageLimit)
  const page = matching.slice(offset, offset + size)
  const next = offset + page.length < matching.length ? encodeToken(offset + page.length, query) : undefined
  return { reservationSet: reservationsXml(page, ctx), nextToken: next }
}

function imageXml(image: World['images'][number]): XmlNode {
  return {
    imageId: image.id,
    imageLocation: `${image.ownerAlias ?? image.ownerId}/${image.name}`,
    imageState: image.state,
    imageOwnerId: image.ownerId,
    creationDate: image.creationDate,
    isPublic: true,
    architecture: image.architecture,
    imageType: 'machine',
    imageOwnerAlias: image.ownerAlias,
    name: image.name,
    description: image.description,
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    virtualizationType: 'hvm',
    hypervisor: 'xen',
    enaSupport: true,
    bootMode: 'uefi-preferred',
  }
}

const describeImages: Handler = (params, ctx) => {
  const ids = params.list('ImageId')
  const owners = params.list('Owner')
  const filters = filtersOf(params)
  for (const id of ids) {
    if (!/^ami-[0-9a-f]{8,17}$/.test(id))
      throw notFound('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`)
    if (!ctx.world.images.some((i) => i.id === id)) {
      throw notFound('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`)
    }
  }
  const images = ctx.world.images.filter(
    (image) =>
      (ids.length === 0 || ids.includes(image.id)) &&
      (owners.length === 0 ||
        owners.some(
          (o) =>
            o === image.ownerId || o === image.ownerAlias || (o === 'self' && image.ownerId === ACCOUNT_ID),
        )) &&
      passes(filters, (name) => {
        switch (name) {
          case 'name':
            return [image.name]
          case 'state':
            return [image.state]
          case 'architecture':
            return [image.architecture]
          case 'owner-id':
            return [image.ownerId]
          case 'owner-alias':
            return image.ownerAlias ? [image.ownerAlias] : []
          case 'image-id':
            return [image.id]
          case 'image-type':
            return ['machine']
          case 'is-public':
            return ['true']
          case 'root-device-type':
            return ['ebs']
          case 'virtualization-type':
            return ['hvm']
          default:
            return tagField(name, {})
        }
      }),
  )
  const max = params.int('MaxResults')
  if (max !== undefined && ids.length > 0) {
    throw new QueryError(
      400,
      'InvalidParameterCombination',
      'The parameter imagesSet cannot be used with the parameter maxResults',
    )
  }
  const query = JSON.stringify([ids, owners, filters])
  const token = params.get('NextToken')
  const offset = token ? decodeToken(token, query) : 0
  const size = Math.min(max ?? Number.POSITIVE_INFINITY, ctx.imagePageLimit)
  const page = images.slice(offset, offset + size)
  const next = offset + page.length < images.length ? encodeToken(offset + page.length, query) : undefined
  return { imagesSet: page.map(imageXml), nextToken: next }
}

export function securityGroupById(ctx: ActionContext, id: string): SecurityGroupRecord {
  const group = ctx.world.securityGroups.get(id)
  if (!group || ctx.world.unseen(id))
    throw notFound('InvalidGroup.NotFound', `The security group '${id}' does not exist`)
  return group
}

const runInstances: Handler = (params, ctx) => {
  const { world } = ctx
  const imageId = params.need('ImageId')
  const min = params.int('MinCount') ?? 1
  const max = params.int('MaxCount') ?? min
  const instanceType = params.get('InstanceType') ?? 'm1.small'
  const keyName = params.get('KeyName')
  const token = params.get('ClientToken')
  const subnetId = params.get('SubnetId') ?? (world.vpcs.has(DEFAULT_VPC) ? DEFAULT_SUBNET : undefined)
  const groupIds = params.list('SecurityGroupId')
  const groupNames = params.list('SecurityGroup')
  const tags = taggedFor(params, 'instance')
  for (const spec of params.structs('TagSpecification')) {
    validateTags(Object.fromEntries(spec.structs('Tag').map((t) => [t.need('Key'), t.get('Value') ?? ''])))
  }
  if (min < 1 || max < min)
    throw invalid(`Invalid value '${min}' for minCount. Must be between 1 and maxCount`)
  if (token !== undefined && token.length > 64)
    throw invalid('ClientToken must be at most 64 ASCII characters')
  const signature = JSON.stringify([
    imageId,
    min,
    max,
    instanceType,
    keyName,
    subnetId,
    groupIds,
    groupNames,
    tags,
  ])

  if (token) {
    const reservationId = world.tokens.get(token)
    if (reservationId) {
      // Same token: the first call's reservation again, nothing new launched.
      const reservation = world.reservations.get(reservationId)!
      if (reservation.signature !== signature) {
        throw new QueryError(
          400,
          'IdempotentParameterMismatch',
          `Arguments on this idempotent request are inconsistent with arguments used in previous request(s).`,
        )
      }
      return runReply(
        reservation.id,
        reservation.instanceIds.map((id) => world.instances.get(id)!),
        ctx,
      )
    }
  }

  if (!/^ami-[0-9a-f]{8,17}$/.test(imageId)) {
    throw notFound('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`)
  }
  const image = world.images.find((i) => i.id === imageId && i.state === 'available')
  if (!image) throw notFound('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`)
  const type = world.instanceTypes.find((t) => t.type === instanceType)
  if (!type) throw invalid(`Invalid value '${instanceType}' for InstanceType.`)
  if (!world.offerings.has(instanceType)) {
    throw new QueryError(
      400,
      'Unsupported',
      `Your requested instance type (${instanceType}) is not supported in your requested Availability Zone (${ctx.region}a). Please retry your request by not specifying an Availability Zone or choosing ${ctx.region}b, ${ctx.region}c.`,
    )
  }
  if (!type.architectures.includes(image.architecture)) {
    throw invalid(
      `The architecture '${type.architectures.join(', ')}' of the specified instance type does not match the architecture '${image.architecture}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.`,
    )
  }
  if (image.optIn) {
    throw new QueryError(
      401,
      'OptInRequired',
      'In order to use this AWS Marketplace product you need to accept terms and subscribe. To do so please visit https://aws.amazon.com/marketplace/pp?sku=0feed',
    )
  }
  const keyPair = keyName ? world.keyPairs.get(keyName) : undefined
  if (keyName && (!keyPair || world.unseen(keyName)))
    throw notFound('InvalidKeyPair.NotFound', `The key pair '${keyName}' does not exist`)
  if (!subnetId) {
    throw new QueryError(
      400,
      'VPCIdNotSpecified',
      'No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.',
    )
  }
  const subnet = world.subnets.get(subnetId)
  if (!subnet) throw notFound('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`)
  const groups = [
    ...groupIds.map((id) => securityGroupById(ctx, id)),
    ...groupNames.map((name) => {
      const found = [...world.securityGroups.values()].find((g) => g.name === name)
      if (!found)
        throw notFound('InvalidGroup.NotFound', `The security group '${name}' does not exist in default VPC`)
      return found
    }),
  ]
  // What a launch with a security group of the default VPC into another VPC's subnet gets.
  const foreign = groups.find((g) => g.vpcId !== subnet.vpcId)
  if (foreign) {
    throw invalid(
      `Security group ${foreign.id} and subnet ${subnet.id} belong to different networks.`,
      'InvalidParameter',
    )
  }
  const live = world.liveInstances().length
  if (live + min > ctx.instanceLimit) {
    throw new QueryError(
      400,
      'InstanceLimitExceeded',
      `You have requested more instances (${live + min}) than your current instance limit of ${ctx.instanceLimit} allows for the specified instance type. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.`,
    )
  }
  const vcpusInUse = world
    .liveInstances()
    .reduce((sum, i) => sum + (world.instanceTypes.find((t) => t.type === i.instanceType)?.vcpus ?? 1), 0)
  if (vcpusInUse + min * type.vcpus > ctx.vcpuLimit) {
    throw new QueryError(
      400,
      'VcpuLimitExceeded',
      `You have requested more vCPU capacity than your current vCPU limit of ${ctx.vcpuLimit} allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.`,
    )
  }
  const count = Math.min(max, ctx.instanceLimit - live)
  const reservationId = resourceId('r')
  const launchTime = new Date(Math.floor(Date.now() / 1000) * 1000)
  const launched: InstanceRecord[] = []
  for (let index = 0; index < count; index++) {
    const instance: InstanceRecord = {
      id: resourceId('i'),
      reservationId,
      imageId,
      instanceType,
      ...(keyName ? { keyName } : {}),
      securityGroups: groups.map((g) => ({ id: g.id, name: g.name })),
      subnetId,
      vpcId: subnet.vpcId,
      ...(token ? { clientToken: token } : {}),
      launchIndex: index,
      launchTime,
      privateIp: subnet.ipv6Native ? '' : world.allocatePrivateIp(subnet),
      tags: { ...tags },
      state: 'pending',
      transitionReason: '',
      consoleOutput: '',
      consoleReads: 0,
      launched: Promise.resolve(),
    }
    world.instances.set(instance.id, instance)
    world.made(instance.id)
    world.launch(instance, image.loginUser, keyPair?.publicKey)
    launched.push(instance)
  }
  world.reservations.set(reservationId, {
    id: reservationId,
    instanceIds: launched.map((i) => i.id),
    signature,
  })
  if (token) world.tokens.set(token, reservationId)
  return runReply(reservationId, launched, ctx)
}

function runReply(reservationId: string, instances: InstanceRecord[], ctx: ActionContext): XmlNode {
  const groups = instances[0]?.securityGroups ?? []
  return {
    reservationId,
    ownerId: ACCOUNT_ID,
    groupSet: groups.map((g) => ({ groupId: g.id, groupName: g.name })),
    instancesSet: instances.map((i) => instanceXml(i, ctx)),
  }
}

const terminateInstances: Handler = (params, ctx) => {
  const ids = params.list('InstanceId')
  if (ids.length === 0)
    throw new QueryError(400, 'MissingParameter', 'The request must contain the parameter InstanceId')
  const instances = ids.map((id) => instanceById(ctx, id))
  return {
    instancesSet: instances.map((i) => {
      const previous = ctx.world.terminate(i)
      return { instanceId: i.id, currentState: stateXml(i.state), previousState: stateXml(previous) }
    }),
  }
}

const createTags: Handler = (params, ctx) => {
  const resources = params.list('ResourceId')
  const tags = params.structs('Tag').map((t) => [t.need('Key'), t.get('Value') ?? ''] as const)
  validateTags(Object.fromEntries(tags))
  for (const id of resources) {
    if (id.startsWith('i-')) instanceById(ctx, id, false)
    else if (id.startsWith('sg-')) securityGroupById(ctx, id)
    else throw invalid(`Invalid id: "${id}"`)
  }
  for (const id of resources) {
    const target = id.startsWith('i-')
      ? ctx.world.instances.get(id)!.tags
      : ctx.world.securityGroups.get(id)!.tags
    for (const [key, value] of tags) target[key] = value
  }
  return { return: true }
}

const getConsoleOutput: Handler = (params, ctx) => {
  const instance = instanceById(ctx, params.need('InstanceId'))
  if (params.bool('Latest') && !ctx.latestConsole) {
    throw new QueryError(
      400,
      'UnsupportedOperation',
      'This instance type does not support retrieving the latest console output.',
    )
  }
  instance.consoleReads++
  // cloud-init prints the host keys in its last stage, a while after sshd answers.
  const text =
    instance.consoleReads <= ctx.world.options.consoleLateCalls
      ? instance.consoleEarly
      : instance.consoleOutput
  return {
    instanceId: instance.id,
    timestamp: new Date(),
    output: text ? Buffer.from(text).toString('base64') : undefined,
  }
}

const importKeyPair: Handler = (params, ctx) => {
  const name = params.need('KeyName')
  const material = Buffer.from(params.need('PublicKeyMaterial'), 'base64').toString('utf8').trim()
  if (name.length > 255 || !/^[\x20-\x7e]+$/.test(name)) {
    throw invalid(
      `Value (${name}) for parameter keyName is invalid. Key pair names are at most 255 ASCII characters.`,
    )
  }
  // ImportKeyPair takes RSA and ED25519 keys only: ECDSA and security keys (sk-) are refused.
  if (!/^(ssh-ed25519|ssh-rsa) [A-Za-z0-9+/]+=*( .*)?$/.test(material)) {
    throw invalid('Key is not in valid OpenSSH public key format', 'InvalidKey.Format')
  }
  validateTags(taggedFor(params, 'key-pair'))
  if (ctx.world.keyPairs.has(name)) {
    throw new QueryError(400, 'InvalidKeyPair.Duplicate', `The keypair already exists`)
  }
  const record = {
    id: resourceId('key'),
    name,
    publicKey: material,
    fingerprint: importedKeyFingerprint(material),
    createTime: new Date(),
    tags: taggedFor(params, 'key-pair'),
  }
  ctx.world.keyPairs.set(name, record)
  ctx.world.made(name)
  return {
    keyFingerprint: record.fingerprint,
    keyName: name,
    keyPairId: record.id,
    tagSet: Object.keys(record.tags).length ? tagSet(record.tags) : undefined,
  }
}

const describeKeyPairs: Handler = (params, ctx) => {
  const names = params.list('KeyName')
  const filters = filtersOf(params)
  for (const name of names) {
    if (!ctx.world.keyPairs.has(name) || ctx.world.unseen(name)) {
      throw notFound('InvalidKeyPair.NotFound', `The key pair '${name}' does not exist`)
    }
  }
  const pairs = [...ctx.world.keyPairs.values()].filter(
    (k) =>
      (names.length === 0 || names.includes(k.name)) &&
      passes(filters, (name) =>
        name === 'key-name' ? [k.name] : name === 'key-pair-id' ? [k.id] : tagField(name, k.tags),
      ),
  )
  return {
    keySet: pairs.map((k) => ({
      keyPairId: k.id,
      keyType: k.publicKey.startsWith('ssh-rsa') ? 'rsa' : 'ed25519',
      tagSet: Object.keys(k.tags).length ? tagSet(k.tags) : undefined,
      createTime: k.createTime,
      keyName: k.name,
      keyFingerprint: k.fingerprint,
      publicKey: params.bool('IncludePublicKey') ? k.publicKey : undefined,
    })),
  }
}

const createSecurityGroup: Handler = (params, ctx) => {
  const name = params.need('GroupName')
  const description = params.need('GroupDescription')
  const given = params.get('VpcId')
  if (!given && !ctx.world.vpcs.has(DEFAULT_VPC)) {
    throw new QueryError(400, 'VPCIdNotSpecified', 'No default VPC for this user')
  }
  const vpcId = given ?? DEFAULT_VPC
  if (name.length > 255 || !/^[\w .:/()#,@[\]+=&;{}!$*-]+$/.test(name)) {
    throw invalid(
      `Invalid value '${name}' for groupName. Group names may be up to 255 characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*`,
    )
  }
  if (name.toLowerCase().startsWith('sg-')) {
    throw invalid(`Group names may not be in the format sg-*.`)
  }
  validateTags(taggedFor(params, 'security-group'))
  if (!ctx.world.vpcs.has(vpcId))
    throw notFound('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`)
  if ([...ctx.world.securityGroups.values()].some((g) => g.name === name && g.vpcId === vpcId)) {
    throw new QueryError(
      400,
      'InvalidGroup.Duplicate',
      `The security group '${name}' already exists for VPC '${vpcId}'`,
    )
  }
  const group: SecurityGroupRecord = {
    id: resourceId('sg'),
    name,
    description,
    vpcId,
    tags: taggedFor(params, 'security-group'),
    ingress: [],
  }
  ctx.world.securityGroups.set(group.id, group)
  ctx.world.made(group.id)
  return {
    return: true,
    groupId: group.id,
    securityGroupArn: `arn:aws:ec2:${ctx.region}:${ACCOUNT_ID}:security-group/${group.id}`,
    tagSet: Object.keys(group.tags).length ? tagSet(group.tags) : undefined,
  }
}

function ruleXml(rule: RuleRecord): XmlNode {
  return {
    ipProtocol: rule.protocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort,
    groups: [],
    ipRanges: [{ cidrIp: rule.cidr, description: rule.description }],
    ipv6Ranges: [],
    prefixListIds: [],
  }
}

const authorizeSecurityGroupIngress: Handler = (params, ctx) => {
  const groupId = params.get('GroupId')
  const groupName = params.get('GroupName')
  const group = groupId
    ? securityGroupById(ctx, groupId)
    : [...ctx.world.securityGroups.values()].find((g) => g.name === groupName)
  if (!group)
    throw notFound('InvalidGroup.NotFound', `The security group '${groupName}' does not exist in default VPC`)
  const rules: RuleRecord[] = []
  for (const permission of params.structs('IpPermissions')) {
    const protocol = permission.need('IpProtocol')
    const fromPort = permission.int('FromPort') ?? -1
    const toPort = permission.int('ToPort') ?? -1
    for (const range of permission.structs('IpRanges')) {
      const description = range.get('Description')
      rules.push({
        id: resourceId('sgr'),
        protocol,
        fromPort,
        toPort,
        cidr: range.need('CidrIp'),
        ...(description ? { description } : {}),
      })
    }
  }
  for (const rule of rules) {
    const same = group.ingress.find(
      (r) =>
        r.protocol === rule.protocol &&
        r.fromPort === rule.fromPort &&
        r.toPort === rule.toPort &&
        r.cidr === rule.cidr,
    )
    if (same) {
      throw new QueryError(
        400,
        'InvalidPermission.Duplicate',
        `the specified rule "peer: ${rule.cidr}, ${rule.protocol.toUpperCase()}, from port: ${rule.fromPort}, to port: ${rule.toPort}, ALLOW" already exists`,
      )
    }
  }
  group.ingress.push(...rules)
  return {
    return: true,
    securityGroupRuleSet: rules.map((r) => ({
      securityGroupRuleId: r.id,
      groupId: group.id,
      groupOwnerId: ACCOUNT_ID,
      isEgress: false,
      ipProtocol: r.protocol,
      fromPort: r.fromPort,
      toPort: r.toPort,
      cidrIpv4: r.cidr,
      description: r.description,
    })),
  }
}

const describeSecurityGroups: Handler = (params, ctx) => {
  const ids = params.list('GroupId')
  const names = params.list('GroupName')
  const filters: QueryFilter[] = filtersOf(params)
  for (const id of ids) securityGroupById(ctx, id)
  const groups = [...ctx.world.securityGroups.values()].filter(
    (g) =>
      (ids.length === 0 || ids.includes(g.id)) &&
      (names.length === 0 || names.includes(g.name)) &&
      passes(filters, (name) => {
        switch (name) {
          case 'group-name':
            return [g.name]
          case 'group-id':
            return [g.id]
          case 'vpc-id':
            return [g.vpcId]
          case 'description':
            return [g.description]
          default:
            return tagField(name, g.tags)
        }
      }),
  )
  for (const name of names) {
    if (!groups.some((g) => g.name === name)) {
      throw notFound(
        'InvalidGroup.NotFound',
        `The security group '${name}' does not exist in default VPC '${ctx.world.vpcs.has(DEFAULT_VPC) ? DEFAULT_VPC : 'none'}'`,
      )
    }
  }
  return {
    securityGroupInfo: groups.map((g) => ({
      ownerId: ACCOUNT_ID,
      groupId: g.id,
      groupName: g.name,
      groupDescription: g.description,
      vpcId: g.vpcId,
      securityGroupArn: `arn:aws:ec2:${ctx.region}:${ACCOUNT_ID}:security-group/${g.id}`,
      ipPermissions: g.ingress.map(ruleXml),
      ipPermissionsEgress: [
        {
          ipProtocol: '-1',
          groups: [],
          ipRanges: [{ cidrIp: '0.0.0.0/0' }],
          ipv6Ranges: [],
          prefixListIds: [],
        },
      ],
      tagSet: Object.keys(g.tags).length ? tagSet(g.tags) : undefined,
    })),
  }
}

/** The actions the endpoint answers. */
export const HANDLERS: Record<string, Handler> = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  TerminateInstances: terminateInstances,
  DescribeImages: describeImages,
  ImportKeyPair: importKeyPair,
  DescribeKeyPairs: describeKeyPairs,
  CreateSecurityGroup: createSecurityGroup,
  AuthorizeSecurityGroupIngress: authorizeSecurityGroupIngress,
  DescribeSecurityGroups: describeSecurityGroups,
  CreateTags: createTags,
  GetConsoleOutput: getConsoleOutput,
  DescribeSubnets: describeSubnets,
  DescribeVpcs: describeVpcs,
  RevokeSecurityGroupIngress: revokeSecurityGroupIngress,
  DeleteSecurityGroup: deleteSecurityGroup,
  DeleteKeyPair: deleteKeyPair,
  DescribeInstanceTypes: describeInstanceTypes,
  DescribeInstanceTypeOfferings: describeInstanceTypeOfferings,
}
