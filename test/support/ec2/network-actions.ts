import type { Handler } from './actions.js'
import { securityGroupById } from './actions.js'
import { filtersOf, passes, QueryError, tagField } from './query.js'
import { ACCOUNT_ID } from './world.js'

// The calls that take access away again (revoking rules, deleting security groups and key pairs),
// DescribeVpcs, and the limits EC2 puts on tags.

const invalid = (message: string, code = 'InvalidParameterValue') => new QueryError(400, code, message)

/** EC2's tag limits: keys of 1 to 128 characters not starting with `aws:`, values up to 256, 50 a resource. */
export function validateTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags)
  if (entries.length > 50) {
    throw new QueryError(400, 'TagLimitExceeded', 'The maximum number of tags per resource is 50')
  }
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > 128) {
      throw invalid(`Tag key exceeds the maximum length of 128 characters: ${key.slice(0, 40)}…`)
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw invalid("Tag keys starting with 'aws:' are reserved for internal use", 'InvalidParameterValue')
    }
    if (value.length > 256) {
      throw invalid(`Tag value exceeds the maximum length of 256 characters (key ${key})`)
    }
  }
}

export const describeVpcs: Handler = (params, ctx) => {
  const ids = params.list('VpcId')
  for (const id of ids) {
    if (!ctx.world.vpcs.has(id)) {
      throw new QueryError(400, 'InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`)
    }
  }
  const filters = filtersOf(params)
  const vpcs = [...ctx.world.vpcs.values()].filter(
    (v) =>
      (ids.length === 0 || ids.includes(v.id)) &&
      passes(filters, (name) => {
        switch (name) {
          case 'vpc-id':
            return [v.id]
          case 'is-default':
          case 'isDefault':
            return [String(v.isDefault)]
          case 'cidr':
          case 'cidr-block':
            return [v.cidr]
          case 'state':
            return ['available']
          default:
            return tagField(name, {})
        }
      }),
  )
  return {
    vpcSet: vpcs.map((v) => ({
      vpcId: v.id,
      ownerId: ACCOUNT_ID,
      state: 'available',
      cidrBlock: v.cidr,
      dhcpOptionsId: 'dopt-0123456789abcdef0',
      instanceTenancy: 'default',
      isDefault: v.isDefault,
    })),
  }
}

export const revokeSecurityGroupIngress: Handler = (params, ctx) => {
  const group = securityGroupById(ctx, params.need('GroupId'))
  const wanted: { protocol: string; from: number; to: number; cidr: string }[] = []
  for (const permission of params.structs('IpPermissions')) {
    for (const range of permission.structs('IpRanges')) {
      wanted.push({
        protocol: permission.need('IpProtocol'),
        from: permission.int('FromPort') ?? -1,
        to: permission.int('ToPort') ?? -1,
        cidr: range.need('CidrIp'),
      })
    }
  }
  const matches = wanted.map((w) =>
    group.ingress.find(
      (r) => r.protocol === w.protocol && r.fromPort === w.from && r.toPort === w.to && r.cidr === w.cidr,
    ),
  )
  if (matches.some((m) => !m)) {
    throw new QueryError(
      400,
      'InvalidPermission.NotFound',
      'The specified rule does not exist in this security group.',
    )
  }
  group.ingress = group.ingress.filter((r) => !matches.includes(r))
  return { return: true }
}

export const deleteSecurityGroup: Handler = (params, ctx) => {
  const group = securityGroupById(ctx, params.need('GroupId'))
  const users = [...ctx.world.instances.values()].filter(
    (i) => i.state !== 'terminated' && i.securityGroups.some((g) => g.id === group.id),
  )
  // Even once its instances are terminated, EC2 takes a while to release their interfaces.
  const lingering = users.length === 0 && ctx.world.unseenDependency(group.id)
  if (users.length > 0 || lingering) {
    throw new QueryError(400, 'DependencyViolation', `resource ${group.id} has a dependent object`)
  }
  ctx.world.securityGroups.delete(group.id)
  return { return: true, groupId: group.id }
}

export const deleteKeyPair: Handler = (params, ctx) => {
  const name = params.get('KeyName')
  const id = params.get('KeyPairId')
  const record = [...ctx.world.keyPairs.values()].find((k) => k.name === name || k.id === id)
  // EC2 answers success for a key pair that does not exist.
  if (record) ctx.world.keyPairs.delete(record.name)
  return { return: true, keyPairId: record?.id }
}
