import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  ImportKeyPairCommand,
  type IpPermission,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
  type Tag,
} from '@aws-sdk/client-ec2'
import { type Patience, untilSeen } from './calls.js'
import { awsErrorCode, ProviderError } from './errors.js'
import { literalFilter, TAG } from './instances.js'

/** The description that marks an ingress rule as Forklift's: only such rules are ever revoked. */
export const RULE_MARK = 'forklift'

/** One TCP port open to anywhere, as Forklift writes it. */
function portRule(port: number): IpPermission {
  return {
    IpProtocol: 'tcp',
    FromPort: port,
    ToPort: port,
    IpRanges: [{ CidrIp: '0.0.0.0/0', Description: RULE_MARK }],
  }
}

/** Whether a rule set already lets TCP `port` in from anywhere. */
function allows(permissions: IpPermission[], port: number): boolean {
  return permissions.some(
    (p) =>
      (p.IpProtocol === '-1' ||
        (p.IpProtocol === 'tcp' && (p.FromPort ?? 0) <= port && port <= (p.ToPort ?? 65535))) &&
      (p.IpRanges ?? []).some((r) => r.CidrIp === '0.0.0.0/0'),
  )
}

/** Forklift's own single-port rules (marked by their description) for ports no longer wanted. */
export function surplusRules(permissions: IpPermission[], ports: number[]): IpPermission[] {
  const wanted = new Set(ports)
  const out: IpPermission[] = []
  for (const p of permissions) {
    if (p.IpProtocol !== 'tcp' || p.FromPort === undefined || p.FromPort !== p.ToPort) continue
    if (wanted.has(p.FromPort)) continue
    for (const range of p.IpRanges ?? []) {
      if (range.Description !== RULE_MARK || !range.CidrIp) continue
      out.push({
        IpProtocol: 'tcp',
        FromPort: p.FromPort,
        ToPort: p.ToPort,
        IpRanges: [{ CidrIp: range.CidrIp }],
      })
    }
  }
  return out
}

/**
 * The group's security group in `vpc` (created when missing, looked up by name in that VPC alone)
 * with exactly Forklift's rules for `ports`: each missing port opened to TCP from anywhere, and each
 * rule Forklift made for a port no longer listed revoked. Rules others added are left alone.
 */
export async function ensureSecurityGroup(
  client: EC2Client,
  options: {
    name: string
    description: string
    vpc: string
    ports: number[]
    tags: Tag[]
    patience: Patience
    label: string
  },
): Promise<{ id: string; opened: number[]; closed: number[] }> {
  const call = { abortSignal: options.patience.signal }
  let groupId: string | undefined
  let permissions: IpPermission[] = []
  try {
    const created = await client.send(
      new CreateSecurityGroupCommand({
        GroupName: options.name,
        Description: options.description,
        VpcId: options.vpc,
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
          { Name: 'group-name', Values: [literalFilter(options.name)] },
          { Name: 'vpc-id', Values: [options.vpc] },
        ],
      }),
      call,
    )
    const group = found.SecurityGroups?.find((g) => g.GroupName === options.name && g.VpcId === options.vpc)
    if (!group?.GroupId) {
      throw new ProviderError(
        `${options.label}: security group ${options.name} exists in ${options.vpc} but DescribeSecurityGroups does not show it`,
      )
    }
    groupId = group.GroupId
    permissions = group.IpPermissions ?? []
  }
  return { id: groupId, ...(await syncRules(client, groupId, permissions, options.ports, options.patience)) }
}

/**
 * Bring a security group's rules in line with `ports`: open each missing one to TCP from anywhere,
 * revoke each rule Forklift made for a port no longer listed. Rules others added are left alone.
 */
export async function syncRules(
  client: EC2Client,
  id: string,
  permissions: IpPermission[],
  ports: number[],
  patience: Patience,
): Promise<{ opened: number[]; closed: number[] }> {
  const call = { abortSignal: patience.signal }
  const opened: number[] = []
  for (const port of [...new Set(ports)].sort((a, b) => a - b)) {
    if (allows(permissions, port)) continue
    try {
      // A group just made may be unknown to the next call for a while.
      await untilSeen(['InvalidGroup.NotFound'], patience, () =>
        client.send(
          new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [portRule(port)] }),
          call,
        ),
      )
      opened.push(port)
    } catch (error) {
      if (awsErrorCode(error) !== 'InvalidPermission.Duplicate') throw error
    }
  }
  const surplus = surplusRules(permissions, ports)
  for (const rule of surplus) {
    try {
      await client.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [rule] }), call)
    } catch (error) {
      if (awsErrorCode(error) !== 'InvalidPermission.NotFound') throw error
    }
  }
  return { opened, closed: surplus.map((r) => r.FromPort!) }
}

/** The security groups Forklift made for a group, found by their tags. */
export async function groupSecurityGroups(
  client: EC2Client,
  project: string,
  group: string,
  signal?: AbortSignal,
): Promise<SecurityGroup[]> {
  const out = await client.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: `tag:${TAG.project}`, Values: [literalFilter(project)] },
        { Name: `tag:${TAG.group}`, Values: [literalFilter(group)] },
      ],
    }),
    { abortSignal: signal },
  )
  return out.SecurityGroups ?? []
}

/** The type and key blob of an OpenSSH public key line: what makes two keys the same key. */
export function keyIdentity(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(' ')
}

/**
 * Make sure the key pair exists and holds `publicKey`: import it under `name` when missing. A key
 * pair of that name holding another key is an error naming it: new instances would get the old key.
 */
export async function ensureKeyPair(
  client: EC2Client,
  options: { name: string; publicKey?: string; tags: Tag[]; signal?: AbortSignal; label: string },
): Promise<'found' | 'imported'> {
  const call = { abortSignal: options.signal }
  try {
    const out = await client.send(
      new DescribeKeyPairsCommand({ KeyNames: [options.name], IncludePublicKey: true }),
      call,
    )
    const found = out.KeyPairs?.find((k) => k.KeyName === options.name)
    if (found) {
      if (
        options.publicKey &&
        found.PublicKey &&
        keyIdentity(found.PublicKey) !== keyIdentity(options.publicKey)
      ) {
        throw new ProviderError(
          `${options.label}: key pair ${options.name} holds another public key than the group's login key, so new instances would not let that key in: delete the key pair (aws ec2 delete-key-pair --key-name ${options.name}) to have Forklift import the new key, or set the provider setting \`key-name\` to a new name`,
        )
      }
      return 'found'
    }
  } catch (error) {
    if (awsErrorCode(error) !== 'InvalidKeyPair.NotFound') throw error
  }
  if (!options.publicKey) {
    throw Object.assign(
      new Error(`key pair "${options.name}" does not exist and no public key is known to import`),
      { Code: 'InvalidKeyPair.NotFound' },
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

/** The key types ImportKeyPair takes. */
const IMPORTABLE = /^(ssh-rsa|ssh-ed25519)\s+[A-Za-z0-9+/]+={0,2}(\s|$)/

/** Why a public key line cannot be imported as an EC2 key pair, or undefined when it can. */
export function unimportable(line: string): string | undefined {
  if (IMPORTABLE.test(line.trim())) return undefined
  const type = line.trim().split(/\s+/)[0] ?? ''
  if (/^(ecdsa-|sk-)/.test(type)) return `EC2 key pairs take RSA or ED25519 keys only, not ${type}`
  return 'it is not an OpenSSH public key line (ssh-ed25519 AAAA… or ssh-rsa AAAA…)'
}
