import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  ImportKeyPairCommand,
  type IpPermission,
  type Tag,
} from '@aws-sdk/client-ec2'
import { awsErrorCode } from './errors.js'

/** Whether a rule set already lets TCP `port` in from anywhere. */
function allows(permissions: IpPermission[], port: number): boolean {
  return permissions.some(
    (p) =>
      (p.IpProtocol === '-1' ||
        (p.IpProtocol === 'tcp' && (p.FromPort ?? 0) <= port && port <= (p.ToPort ?? 65535))) &&
      (p.IpRanges ?? []).some((r) => r.CidrIp === '0.0.0.0/0'),
  )
}

/**
 * The group's security group (created when missing) with every port open to TCP from anywhere.
 * Safe to repeat: an existing group or rule ("Duplicate") counts as done.
 */
export async function ensureSecurityGroup(
  client: EC2Client,
  options: {
    name: string
    description: string
    vpc?: string
    ports: number[]
    tags: Tag[]
    signal?: AbortSignal
  },
): Promise<string> {
  const call = { abortSignal: options.signal }
  let groupId: string | undefined
  let permissions: IpPermission[] = []
  try {
    const created = await client.send(
      new CreateSecurityGroupCommand({
        GroupName: options.name,
        Description: options.description,
        ...(options.vpc ? { VpcId: options.vpc } : {}),
        TagSpecifications: [{ ResourceType: 'security-group', Tags: options.tags }],
      }),
      call,
    )
    groupId = created.GroupId
  } catch (error) {
    if (awsErrorCode(error) !== 'InvalidGroup.Duplicate') throw error
  }
  if (!groupId) {
    const found = await client.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'group-name', Values: [options.name] },
          ...(options.vpc ? [{ Name: 'vpc-id', Values: [options.vpc] }] : []),
        ],
      }),
      call,
    )
    const group = found.SecurityGroups?.[0]
    if (!group?.GroupId) throw new Error(`security group ${options.name} exists but cannot be described`)
    groupId = group.GroupId
    permissions = group.IpPermissions ?? []
  }
  for (const port of [...new Set(options.ports)].sort((a, b) => a - b)) {
    if (allows(permissions, port)) continue
    try {
      await client.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: port,
              ToPort: port,
              IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'forklift' }],
            },
          ],
        }),
        call,
      )
    } catch (error) {
      if (awsErrorCode(error) !== 'InvalidPermission.Duplicate') throw error
    }
  }
  return groupId
}

/** The VPC a subnet lies in (DescribeSubnets), or undefined when EC2 knows no such subnet. */
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

/** Make sure the key pair exists: import `publicKey` under `name` when it does not. Returns whether it imported. */
export async function ensureKeyPair(
  client: EC2Client,
  options: { name: string; publicKey?: string; tags: Tag[]; signal?: AbortSignal },
): Promise<'found' | 'imported'> {
  const call = { abortSignal: options.signal }
  try {
    const out = await client.send(new DescribeKeyPairsCommand({ KeyNames: [options.name] }), call)
    if (out.KeyPairs?.length) return 'found'
  } catch (error) {
    if (awsErrorCode(error) !== 'InvalidKeyPair.NotFound') throw error
  }
  if (!options.publicKey) {
    throw Object.assign(
      new Error(`key pair "${options.name}" does not exist and no public key is known to import`),
      {
        Code: 'InvalidKeyPair.NotFound',
      },
    )
  }
  try {
    await client.send(
      new ImportKeyPairCommand({
        KeyName: options.name,
        PublicKeyMaterial: new TextEncoder().encode(options.publicKey.trim()),
        TagSpecifications: [{ ResourceType: 'key-pair', Tags: options.tags }],
      }),
      call,
    )
  } catch (error) {
    if (awsErrorCode(error) !== 'InvalidKeyPair.Duplicate') throw error
  }
  return 'imported'
}
