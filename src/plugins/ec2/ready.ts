import { setTimeout as sleep } from 'node:timers/promises'
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  type EC2Client,
  GetConsoleOutputCommand,
  type Instance,
} from '@aws-sdk/client-ec2'
import type { Node } from '../../core/model/node.js'
import { type Patience, untilSeen, worthAskingAgain } from './calls.js'
import { awsErrorCode, failedAction, ProviderError } from './errors.js'
import { cloudInitFinished, consoleHostKeyFingerprints } from './host-keys.js'
import {
  type AddressChoice,
  hostKeysTagValue,
  instanceAddress,
  instanceNode,
  isUnfinished,
  missingNames,
  NO_HOST_KEYS,
  TAG,
  UNVERIFIED_HOST_KEYS,
} from './instances.js'
import { waitForSsh } from './ssh-ready.js'

// Instances made ready for use: running, answering on SSH, named, their host keys known. A create
// ends with it, and a listing for use does it for whatever an interrupted create left.

/** How long instances may take to reach `running`, and to leave it when terminated. */
export const STATE_TIMEOUT_S = 600

/** What readiness needs of its provider. */
export interface Readiness {
  client: EC2Client
  /** Provider instance name, for nodes and messages. */
  provider: string
  log: (message: string) => void
  /** Seconds between polls (the `waiter-delay` setting). */
  delayS: number
  sshTimeoutMs: number
  /** How long to read the console for cloud-init's host keys (the `host-key-timeout` setting). */
  hostKeyTimeoutMs: number
  /** The run trusts host keys on first use (--accept-new-host-keys): no keys on the console is a warning, not a failure. */
  acceptNewHostKeys: boolean
  /** Warnings for the renderers. */
  warn: (message: string) => void
  /** Which address nodes are reached at (the `address` setting; default public, else private). */
  address?: AddressChoice
  /** How long calls wait out EC2 not seeing what was just made. */
  patience: Patience
  /** A dry run: wait and read, but write no tags (say what would be written). */
  readOnly?: boolean
}

/** Tag each instance with its Name: one call per instance, as the values differ. */
export async function nameInstances(
  r: Readiness,
  names: [id: string, name: string][],
  signal?: AbortSignal,
): Promise<void> {
  for (const [id, name] of names) {
    const tag = new CreateTagsCommand({ Resources: [id], Tags: [{ Key: TAG.name, Value: name }] })
    // EC2 is eventually consistent: right after RunInstances the new id may be unknown to CreateTags
    // for a while. Wait and try again, doubling the wait, before giving up.
    await untilSeen(['InvalidInstanceID.NotFound'], { ...r.patience, ...(signal ? { signal } : {}) }, () =>
      r.client.send(tag, { abortSignal: signal }),
    )
  }
}

/** The instances with these ids, in that order. */
export async function describeIds(
  client: EC2Client,
  ids: string[],
  signal?: AbortSignal,
): Promise<Instance[]> {
  const out = await client.send(new DescribeInstancesCommand({ InstanceIds: ids }), { abortSignal: signal })
  const byId = new Map(
    (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId!, i] as const),
  )
  return ids.map((id) => {
    const instance = byId.get(id)
    if (!instance) throw new UnseenError(`${id} is missing from DescribeInstances`)
    return instance
  })
}

/** An instance id DescribeInstances left out of its answer: EC2 has not caught up with it yet. */
class UnseenError extends Error {}

/** A state an instance on its way to `running` does not come back from. */
const GONE = new Set(['shutting-down', 'terminated', 'stopping', 'stopped'])

/** An instance's StateReason as one short phrase: `Server.InternalError: Internal error on launch`. */
function stateReason(i: Instance): string {
  const reason = i.StateReason?.Message || i.StateReason?.Code || i.StateTransitionReason
  return reason ? ` (${reason})` : ''
}

/**
 * Poll DescribeInstances every `delayS` until every instance is in one of `states`. Only EC2 not
 * seeing the new ids yet and throttling are asked again; any other failure stands at once, as EC2
 * said it. Waiting for `running`, an instance that went away fails at once with its StateReason.
 */
export async function waitForStates(
  r: Pick<Readiness, 'client' | 'delayS'>,
  ids: string[],
  states: string[],
  signal?: AbortSignal,
): Promise<Instance[]> {
  const deadline = Date.now() + STATE_TIMEOUT_S * 1000
  let seen: Instance[] = []
  for (;;) {
    try {
      seen = await describeIds(r.client, ids, signal)
      if (seen.every((i) => states.includes(i.State?.Name ?? ''))) return seen
      if (states.includes('running')) {
        const gone = seen.filter((i) => GONE.has(i.State?.Name ?? ''))
        if (gone.length > 0) {
          throw new ProviderError(
            `${gone.map((i) => `${i.InstanceId} went ${i.State?.Name}${stateReason(i)}`).join(', ')} instead of running`,
          )
        }
      }
    } catch (error) {
      if (!worthAskingAgain(error) && !(error instanceof UnseenError)) throw error
    }
    if (Date.now() > deadline) {
      const now = seen.map((i) => `${i.InstanceId} ${i.State?.Name ?? 'unknown'}`).join(', ')
      throw new ProviderError(
        `they did not reach ${states.join(' or ')} within ${STATE_TIMEOUT_S} s${now ? ` (last seen: ${now})` : ''}`,
      )
    }
    await sleep(r.delayS * 1000, undefined, signal ? { signal } : {})
  }
}

/**
 * Wait until the instances run and answer on SSH, then attach their host keys. A node reached at
 * its private address (no public one, or the `address` setting) is not dialled from here: it may be
 * reachable only through a jump host; cloud-init printing its host keys tells that sshd is up.
 * Returns their nodes sorted by name, and when each wait ended.
 */
export async function makeReady(
  r: Readiness,
  ids: string[],
  extra: Partial<Node>,
  signal?: AbortSignal,
): Promise<{ nodes: Node[]; runningAt: number; sshAt: number }> {
  const running = await waitForStates(r, ids, ['running'], signal)
  const runningAt = Date.now()
  const nodes = running.map((i) => {
    const node = instanceNode(i, r.provider, extra, r.address)
    if (!instanceAddress(i, r.address)) {
      const which = r.address ?? 'IPv4'
      throw new ProviderError(
        `${node.name} (${node.id}) has no ${which} address${i.Ipv6Address ? ` (only IPv6 ${i.Ipv6Address})` : ''}: ${
          r.address === 'public'
            ? 'launch into a subnet that gives public addresses, or set the provider setting `address: private` and reach it through a jump host'
            : 'launch into a subnet with IPv4 addresses (provider setting `subnet`)'
        }`,
      )
    }
    return node
  })
  await Promise.all(
    nodes.map((node, k) => {
      const instance = running[k]!
      if (node.address !== instance.PublicIpAddress) {
        r.log(
          `${node.name} (${node.id}): reached at its private address ${node.address}, from inside the VPC or through a jump host (ProxyJump in ~/.ssh/config)`,
        )
        return undefined
      }
      return waitForSsh(node.address, node.port ?? 22, {
        timeoutMs: r.sshTimeoutMs,
        intervalMs: Math.min(r.delayS * 1000, 2000),
        ...(signal ? { signal } : {}),
      }).catch((error: Error) => {
        throw new Error(`${node.name} (${node.id}): ${error.message}`)
      })
    }),
  )
  const sshAt = Date.now()
  await Promise.all(nodes.map((node) => attachHostKeys(r, node, signal)))
  return { nodes: nodes.sort(byName), runningAt, sshAt }
}

/**
 * A group's members, ready for use: those an interrupted create left unfinished (pending, without
 * Name, host keys never looked for) are named and made ready; a failure names them.
 */
export async function takeUp(
  r: Readiness,
  group: string,
  members: Instance[],
  signal?: AbortSignal,
): Promise<Node[]> {
  const left = members.filter(isUnfinished)
  if (left.length === 0) return members.map((i) => instanceNode(i, r.provider, {}, r.address))
  const ids = left.map((i) => i.InstanceId!)
  r.log(`group ${group}: taking up ${ids.join(', ')}, left unfinished by an earlier run`)
  try {
    const names = missingNames(group, members)
    if (r.readOnly) for (const [id, name] of names) r.log(`would name ${id} ${name}`)
    else await nameInstances(r, names, signal)
    const ready = new Map((await makeReady(r, ids, {}, signal)).nodes.map((n) => [n.id, n]))
    // Named only in memory on a dry run: the run reports them as the real one would.
    const named = new Map(names)
    return members.map((i) => {
      const node = ready.get(i.InstanceId!) ?? instanceNode(i, r.provider, {}, r.address)
      const name = named.get(node.id)
      return name && node.name === node.id ? { ...node, name } : node
    })
  } catch (error) {
    const reason = signal?.aborted ? 'the run was interrupted before they were ready' : failureReason(error)
    throw new ProviderError(
      `group ${group} (provider ${r.provider}): found ${ids.join(', ')} unfinished by an earlier run but ${reason}; run again, or terminate them`,
    )
  }
}

/** The console text, newest output where the instance type supports it (Nitro), else what EC2 kept. */
async function consoleText(r: Readiness, id: string, signal?: AbortSignal): Promise<string> {
  const patience = { ...r.patience, ...(signal ? { signal } : {}) }
  const read = (latest: boolean) =>
    untilSeen(['InvalidInstanceID.NotFound'], patience, () =>
      r.client.send(new GetConsoleOutputCommand({ InstanceId: id, ...(latest ? { Latest: true } : {}) }), {
        abortSignal: signal,
      }),
    )
  let out: { Output?: string }
  try {
    out = await read(true)
  } catch (error) {
    if (!/^(UnsupportedOperation|InvalidParameter)/.test(awsErrorCode(error) ?? '')) throw error
    out = await read(false)
  }
  return Buffer.from(out.Output ?? '', 'base64').toString('utf8')
}

/**
 * Host key fingerprints from the console, kept in a tag for later runs. cloud-init prints them in
 * its last stage, minutes after sshd may answer: the console is read until they appear or cloud-init
 * says it finished, for `hostKeyTimeoutMs`. Finished without keys records `none` (never looked for
 * again). Still running when the time is up fails the node, unless the run trusts new host keys
 * (--accept-new-host-keys): then a warning says its key is trusted on first use, recorded `unverified`.
 */
async function attachHostKeys(r: Readiness, node: Node, signal?: AbortSignal): Promise<void> {
  const label = `${node.name} (${node.id})`
  const record = async (value: string) => {
    if (r.readOnly) return r.log(`${label}: would record ${TAG.hostKeys}=${value}`)
    await untilSeen(['InvalidInstanceID.NotFound'], { ...r.patience, ...(signal ? { signal } : {}) }, () =>
      r.client.send(
        new CreateTagsCommand({ Resources: [node.id], Tags: [{ Key: TAG.hostKeys, Value: value }] }),
        { abortSignal: signal },
      ),
    ).then(
      () => {
        node.tags = { ...node.tags, [TAG.hostKeys]: value }
      },
      (error: unknown) => {
        if (signal?.aborted) throw error
        const later = value === NO_HOST_KEYS ? '' : '; later runs will not vouch for them'
        r.warn(`${label}: cannot record its host keys in a tag (${failureReason(error)})${later}`)
      },
    )
  }
  const trustOrFail = async (why: string, recorded: boolean) => {
    if (!r.acceptNewHostKeys) {
      throw new Error(
        `${label}: ${why}; run again to keep waiting (the next run takes it up), raise the provider setting \`host-key-timeout\`, or run with --accept-new-host-keys to trust its host key on first use`,
      )
    }
    r.warn(
      `${label}: ${why}; its host key is trusted on first use (--accept-new-host-keys), without verification`,
    )
    // Later runs check the key against the known_hosts it was recorded in, without waiting again.
    if (recorded) await record(UNVERIFIED_HOST_KEYS)
  }
  const deadline = Date.now() + r.hostKeyTimeoutMs
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) await sleep(r.delayS * 1000, undefined, signal ? { signal } : {})
    let text: string
    try {
      text = await consoleText(r, node.id, signal)
    } catch (error) {
      if (signal?.aborted) throw error
      // Not recorded: a console that cannot be read now (a missing permission, say) is tried again next run.
      return trustOrFail(`its console output cannot be read (${failureReason(error)})`, false)
    }
    const fingerprints = consoleHostKeyFingerprints(text)
    if (fingerprints.length > 0) {
      node.hostKeyFingerprints = fingerprints
      return record(hostKeysTagValue(fingerprints))
    }
    if (cloudInitFinished(text)) {
      r.warn(
        `${label}: cloud-init finished without printing SSH host keys on the console; its host key can only be trusted on first use (--accept-new-host-keys)`,
      )
      return record(NO_HOST_KEYS)
    }
    if (Date.now() >= deadline) {
      return trustOrFail(
        `cloud-init printed no SSH host keys on its console within ${r.hostKeyTimeoutMs / 1000} s`,
        true,
      )
    }
  }
}

function byName(a: Node, b: Node): number {
  return a.name.localeCompare(b.name, 'en', { numeric: true })
}

/** A short reason from an SDK, waiter or network error. */
export function failureReason(error: unknown): string {
  if (error instanceof ProviderError) return error.message
  const err = error as Error & { Code?: string }
  const code = awsErrorCode(err) ?? err.Code ?? (err.name !== 'Error' ? err.name : undefined)
  const action = failedAction(err)
  const message = (err.message ?? String(error)).split('\n')[0]
  // EC2's own words stay, with the call they answer.
  return action && code ? `${action} failed (${code}): ${message}` : `${code ? `${code}: ` : ''}${message}`
}
