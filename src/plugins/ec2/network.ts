import { DescribeSubnetsCommand, DescribeVpcsCommand, type EC2Client, type Subnet } from '@aws-sdk/client-ec2'
import { awsErrorCode, ProviderError } from './errors.js'

// Where a group's instances go: a VPC always (its security group is looked up in it), and the subnet
// when the settings name or imply one.

/** The VPC of a group's security group, and the subnet to launch into (EC2's default subnet when absent). */
export interface Network {
  vpc: string
  subnet?: string
}

/** A subnet's VPC (DescribeSubnets), or undefined when EC2 knows no such subnet. */
export async function subnetVpc(
  client: EC2Client,
  subnet: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  try {
    const out = await client.send(new DescribeSubnetsCommand({ SubnetIds: [subnet] }), {
      abortSignal: signal,
    })
    return out.Subnets?.find((s) => s.SubnetId === subnet)?.VpcId
  } catch (error) {
    if (/^InvalidSubnetID\.(NotFound|Malformed)$/.test(awsErrorCode(error) ?? '')) return undefined
    throw error
  }
}

/**
 * The subnet a VPC's instances go to when only `vpc` is set: its default subnet for a zone if it has
 * one, else one that gives public addresses, else the one with the most free addresses (then by id).
 */
export function pickSubnet(subnets: Subnet[]): Subnet | undefined {
  const score = (s: Subnet) => [s.DefaultForAz ? 0 : 1, s.MapPublicIpOnLaunch ? 0 : 1] as const
  return subnets
    .filter((s) => s.SubnetId && (s.State ?? 'available') === 'available')
    .sort((a, b) => {
      const [a1, a2] = score(a)
      const [b1, b2] = score(b)
      return (
        a1 - b1 ||
        a2 - b2 ||
        (b.AvailableIpAddressCount ?? 0) - (a.AvailableIpAddressCount ?? 0) ||
        a.SubnetId!.localeCompare(b.SubnetId!)
      )
    })[0]
}

/**
 * The network of a group from the settings: `subnet` (and its VPC, which `vpc` must match if set),
 * else a subnet of `vpc`, else the account's default VPC. Fails with one line naming the setting to
 * change when there is no such subnet, the VPC has none, or there is no default VPC.
 */
export async function resolveNetwork(
  client: EC2Client,
  settings: { subnet?: string; vpc?: string },
  where: { label: string; region: string; signal?: AbortSignal },
): Promise<Network> {
  const call = { abortSignal: where.signal }
  const { subnet, vpc } = settings
  if (subnet) {
    const found = await subnetVpc(client, subnet, where.signal)
    if (!found) {
      throw new ProviderError(
        `${where.label}: subnet ${subnet} does not exist in region ${where.region}: check the provider setting \`subnet\``,
      )
    }
    if (vpc && vpc !== found) {
      throw new ProviderError(
        `${where.label}: subnet ${subnet} (setting \`subnet\`) is in ${found}, not in ${vpc} (setting \`vpc\`): leave \`vpc\` out, or name a subnet of that VPC`,
      )
    }
    return { vpc: found, subnet }
  }
  if (vpc) {
    // Without a subnet EC2 would launch into the default VPC, where this VPC's group cannot go.
    const out = await client.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }),
      call,
    )
    const chosen = pickSubnet(out.Subnets ?? [])
    if (!chosen) {
      throw new ProviderError(
        `${where.label}: VPC ${vpc} (setting \`vpc\`) has no available subnet in region ${where.region}: set the provider setting \`subnet\` to a subnet of it`,
      )
    }
    return { vpc, subnet: chosen.SubnetId! }
  }
  const out = await client.send(
    new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }),
    call,
  )
  const fallback = out.Vpcs?.find((v) => v.IsDefault && v.VpcId)?.VpcId
  if (!fallback) {
    throw new ProviderError(
      `${where.label}: region ${where.region} has no default VPC: set the provider setting \`subnet\` to the subnet to launch into`,
    )
  }
  return { vpc: fallback }
}
