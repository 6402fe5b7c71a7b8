import { createHash } from 'node:crypto'
import type { Instance, Tag } from '@aws-sdk/client-ec2'
import type { Node } from '../../core/model/node.js'

/** Tags that make an instance a member of a group: the provider's whole state lives in them. */
export const TAG = {
  group: 'forklift:group',
  project: 'forklift:project',
  /** The login user the instance's image comes with, for nodes never bootstrapped. */
  loginUser: 'forklift:login-user',
  /** An SSH port other than 22 (set by images or endpoints that listen elsewhere). */
  sshPort: 'forklift:ssh-port',
  /**
   * The host key fingerprints cloud-init printed at first boot, kept with the instance so every later
   * run can vouch for them too (a tag value holds up to 256 characters: five fingerprints).
   */
  hostKeys: 'forklift:host-keys',
  name: 'Name',
} as const

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/

/** The tag value that records host key fingerprints (as many as fit in 256 characters). */
export function hostKeysTagValue(fingerprints: string[]): string {
  let value = ''
  for (const f of fingerprints) {
    const next = value ? `${value},${f}` : f
    if (next.length > 256) break
    value = next
  }
  return value
}

/** The host-keys tag value when the console showed none: looked for, so later runs need not look again. */
export const NO_HOST_KEYS = 'none'

/**
 * The host-keys tag value when cloud-init printed no keys in time and the run trusted the key on
 * first use (--accept-new-host-keys): later runs check it against the known_hosts it went to.
 */
export const UNVERIFIED_HOST_KEYS = 'unverified'

/**
 * Whether an interrupted create left a member unfinished: still pending, without its Name, or its
 * host keys never looked for (the last step of a create).
 */
export function isUnfinished(instance: Instance): boolean {
  const tags = tagRecord(instance.Tags)
  return instance.State?.Name === 'pending' || !tags[TAG.name] || tags[TAG.hostKeys] === undefined
}

/** Names for a group's members that have none: the lowest free numbers, oldest launch first. */
export function missingNames(group: string, members: Instance[]): [id: string, name: string][] {
  const nameOf = (i: Instance) => tagRecord(i.Tags)[TAG.name]
  const unnamed = members
    .filter((i) => !nameOf(i))
    .sort(
      (a, b) =>
        (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0) ||
        (a.AmiLaunchIndex ?? 0) - (b.AmiLaunchIndex ?? 0) ||
        a.InstanceId!.localeCompare(b.InstanceId!),
    )
  const taken = members.map(nameOf).filter((n): n is string => !!n)
  const names = freeNames(group, taken, unnamed.length)
  return unnamed.map((i, k) => [i.InstanceId!, names[k]!])
}

/** States of instances that count as members of a group. */
export const LIVE_STATES = ['pending', 'running']

/**
 * The RunInstances idempotency token for one launch: the same run, project, group and count always
 * give the same token, so a retried call returns the first call's instances instead of new ones.
 */
export function clientToken(runId: string, project: string, group: string, count: number): string {
  const digest = createHash('sha256')
    .update([runId, project, group, String(count)].join('\0'))
    .digest('hex')
  return `forklift-${digest.slice(0, 40)}`
}

/** Tags as a plain record. */
export function tagRecord(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const tag of tags ?? []) if (tag.Key) out[tag.Key] = tag.Value ?? ''
  return out
}

/** Tags as EC2 wants them. */
export function tagList(record: Record<string, string>): Tag[] {
  return Object.entries(record).map(([Key, Value]) => ({ Key, Value }))
}

/** `count` node names `GROUP-N`, the lowest numbers not taken. */
export function freeNames(group: string, taken: Iterable<string>, count: number): string[] {
  const used = new Set(taken)
  const names: string[] = []
  for (let i = 1; names.length < count; i++) {
    const name = `${group}-${i}`
    if (!used.has(name)) names.push(name)
  }
  return names
}

/** A filter value that matches itself alone: EC2 filters read `*` and `?` as wildcards, `\` as escape. */
export function literalFilter(value: string): string {
  return value.replace(/[\\*?]/g, '\\$&')
}

/** Which of an instance's addresses Forklift reaches it at (the `address` setting). */
export type AddressChoice = 'public' | 'private'

/**
 * The address to reach an instance at: the one `choice` names, else the public one when it has one,
 * else the private one (reached from inside the VPC or through a jump host). Undefined when it has
 * no such IPv4 address.
 */
export function instanceAddress(instance: Instance, choice?: AddressChoice): string | undefined {
  const pub = instance.PublicIpAddress || undefined
  const priv = instance.PrivateIpAddress || undefined
  if (choice === 'public') return pub
  if (choice === 'private') return priv
  return pub ?? priv
}

/** An instance as a Forklift node. */
export function instanceNode(
  instance: Instance,
  provider: string,
  extra: Partial<Node> = {},
  choice?: AddressChoice,
): Node {
  const tags = tagRecord(instance.Tags)
  const port = Number(tags[TAG.sshPort])
  const user = tags[TAG.loginUser]
  const fingerprints = (tags[TAG.hostKeys] ?? '').split(/[\s,]+/).filter((f) => FINGERPRINT.test(f))
  return {
    id: instance.InstanceId!,
    name: tags[TAG.name] || instance.InstanceId!,
    group: tags[TAG.group] ?? '',
    provider,
    transport: 'ssh',
    address: instanceAddress(instance, choice) ?? '',
    port: Number.isInteger(port) && port > 0 ? port : 22,
    ...(user ? { user } : {}),
    ...(fingerprints.length ? { hostKeyFingerprints: fingerprints } : {}),
    tags,
    ...(instance.State?.Name ? { state: instance.State.Name } : {}),
    ...(instance.LaunchTime ? { createdAt: instance.LaunchTime.toISOString() } : {}),
    ...extra,
  }
}

/** Newest first (LaunchTime), ties broken by name so the order is stable. */
export function newestFirst(nodes: Node[]): Node[] {
  return [...nodes].sort(
    (a, b) =>
      (b.createdAt ?? '').localeCompare(a.createdAt ?? '') ||
      b.name.localeCompare(a.name, 'en', { numeric: true }),
  )
}
