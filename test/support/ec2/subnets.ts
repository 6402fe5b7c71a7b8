import type { Handler } from './actions.js'
import { filtersOf, passes, QueryError, tagField } from './query.js'
import { ACCOUNT_ID, type SubnetRecord } from './world.js'
import type { XmlNode } from './xml.js'

// DescribeSubnets as EC2 answers it: `subnetSet` items, ids checked before any filter applies.

function subnetXml(subnet: SubnetRecord, region: string, free: number): XmlNode {
  return {
    subnetId: subnet.id,
    subnetArn: `arn:aws:ec2:${region}:${ACCOUNT_ID}:subnet/${subnet.id}`,
    state: 'available',
    ownerId: ACCOUNT_ID,
    vpcId: subnet.vpcId,
    cidrBlock: subnet.cidr,
    ipv6CidrBlockAssociationSet: [],
    availableIpAddressCount: free,
    availabilityZone: `${region}${subnet.zone}`,
    availabilityZoneId: `use1-az${subnet.zone.charCodeAt(0) - 96}`,
    defaultForAz: subnet.defaultForAz,
    mapPublicIpOnLaunch: subnet.mapPublicIpOnLaunch,
    assignIpv6AddressOnCreation: false,
    mapCustomerOwnedIpOnLaunch: false,
    enableDns64: false,
    ipv6Native: subnet.ipv6Native ?? false,
    privateDnsNameOptionsOnLaunch: {
      hostnameType: 'ip-name',
      enableResourceNameDnsARecord: false,
      enableResourceNameDnsAAAARecord: false,
    },
    tagSet: Object.keys(subnet.tags).length
      ? Object.entries(subnet.tags).map(([key, value]) => ({ key, value }))
      : undefined,
  }
}

function subnetField(subnet: SubnetRecord, region: string, name: string): string[] | undefined {
  switch (name) {
    case 'subnet-id':
      return [subnet.id]
    case 'vpc-id':
      return [subnet.vpcId]
    case 'cidr-block':
      return [subnet.cidr]
    case 'availability-zone':
      return [`${region}${subnet.zone}`]
    case 'default-for-az':
      return [String(subnet.defaultForAz)]
    case 'state':
      return ['available']
    case 'map-public-ip-on-launch':
      return [String(subnet.mapPublicIpOnLaunch)]
    case 'owner-id':
      return [ACCOUNT_ID]
    default:
      return tagField(name, subnet.tags)
  }
}

export const describeSubnets: Handler = (params, ctx) => {
  const ids = params.list('SubnetId')
  for (const id of ids) {
    if (!/^subnet-[0-9a-f]{8,17}$/.test(id))
      throw new QueryError(400, 'InvalidSubnetID.Malformed', `Invalid id: "${id}"`)
    if (!ctx.world.subnets.has(id))
      throw new QueryError(400, 'InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`)
  }
  const filters = filtersOf(params)
  const live = ctx.world.liveInstances()
  const subnets = [...ctx.world.subnets.values()].filter(
    (s) =>
      (ids.length === 0 || ids.includes(s.id)) && passes(filters, (name) => subnetField(s, ctx.region, name)),
  )
  return {
    subnetSet: subnets.map((s) => {
      const size = s.cidr.endsWith('/24') ? 256 : 65_536
      // Five addresses of every block are EC2's own.
      const free = size - 5 - live.filter((i) => i.subnetId === s.id).length
      return subnetXml(s, ctx.region, free)
    }),
  }
}
