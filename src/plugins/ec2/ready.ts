import { setTimeout as sleep } from 'node:timers/promises'
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  type EC2Client,
  GetConsoleOutputCommand,
  type Instance,
  waitUntilInstanceRunning,
} from '@aws-sdk/client-ec2'
import type { Node } from '../../core/model/node.js'
import { awsErrorCode, ProviderError } from './errors.js'
import { consoleHostKeyFingerprints } from './host-keys.js'
import { hostKeysTagValue, instanceNode, isUnfinished, missingNames, NO_HOST_KEYS, TAG } from './instances.js'
import { waitForSsh } from './ssh-ready.js'

// Instances made ready for use: running, answering on SSH, named, their host keys known. A create
// ends with it, and a listing for use does it for whatever an interrupted create left.

/** How long instances may take to reach `running`, and to leave it when terminated. */
export const STATE_TIMEOUT_S = 600
/** Console polls for cloud-init's host key fingerprints (they print shortly after sshd starts). */
const CONSOLE_ATTEMPTS = 6

/** What readiness needs of its provider. */
export interface Readiness {
  client: EC2Client
  /** Provider instance name, for nodes and messages. */
  provider: string
  log: (message: string) => void
  /** Seconds between polls (the `waiter-delay` setting). */
  delayS: number
  sshTimeoutMs: number
  /** A dry run: wait and read, but write no tags (say what would be written). */
  readOnly?: boolean
}

/** Tries of a CreateTags that EC2 answers with InvalidInstanceID.NotFound, and the first wait (ms). */
const UNSEEN_ATTEMPTS = 6
const UNSEEN_DELAY_MS = 250

/** Tag each instance with its Name: one call per instance, as the values differ. */
export async function nameInstances(
  r: Readiness,
  names: [id: string, name: string][],
  signal?: AbortSignal,
): Promise<void> {
  for (const [id, name] of names) {
    const tag = new CreateTagsCommand({ Resources: [id], Tags: [{ Key: TAG.name, Value: name }] })
    // EC2 is eventually consistent: right after RunInstances the new id may be unknown to CreateTags
    // for a while. Wait and try again (250 ms, doubling, ~8 s in all) before giving up.
    for (let attempt = 1; ; attempt++) {
      try {
        await r.client.send(tag, { abortSignal: signal })
        break
      } catch (error) {
        if (awsErrorCode(error) !== 'InvalidInstanceID.NotFound' || attempt >= UNSEEN_ATTEMPTS) throw error
        await sleep(UNSEEN_DELAY_MS * 2 ** (attempt - 1), undefined, signal ? { signal } : {})
      }
    }
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
    if (!instance) throw new Error(`${id} is missing from DescribeInstances`)
    return instance
  })
}

/**
 * Wait until the instances run (the SDK's waiter) and answer on SSH, then attach their host keys.
 * Returns their nodes sorted by name, and when each wait ended.
 */
export async function makeReady(
  r: Readiness,
  ids: string[],
  extra: Partial<Node>,
  signal?: AbortSignal,
): Promise<{ nodes: Node[]; runningAt: number; sshAt: number }> {
  await waitUntilInstanceRunning(
    {
      client: r.client,
      maxWaitTime: STATE_TIMEOUT_S,
      minDelay: r.delayS,
      maxDelay: r.delayS,
      ...(signal ? { abortSignal: signal } : {}),
    },
    { InstanceIds: ids },
  )
  const runningAt = Date.now()
  const nodes = (await describeIds(r.client, ids, signal)).map((i) => instanceNode(i, r.provider, extra))
  await Promise.all(
    nodes.map((node) =>
      waitForSsh(node.address, node.port ?? 22, {
        timeoutMs: r.sshTimeoutMs,
        intervalMs: Math.min(r.delayS * 1000, 2000),
        ...(signal ? { signal } : {}),
      }).catch((error: Error) => {
        throw new Error(`${node.name} (${node.id}): ${error.message}`)
      }),
    ),
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
  if (left.length === 0) return members.map((i) => instanceNode(i, r.provider))
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
      const node = ready.get(i.InstanceId!) ?? instanceNode(i, r.provider)
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
async function consoleText(client: EC2Client, id: string, signal?: AbortSignal): Promise<string> {
  let out: { Output?: string }
  try {
    out = await client.send(new GetConsoleOutputCommand({ InstanceId: id, Latest: true }), {
      abortSignal: signal,
    })
  } catch (error) {
    if (!/^(UnsupportedOperation|InvalidParameter)/.test(awsErrorCode(error) ?? '')) throw error
    out = await client.send(new GetConsoleOutputCommand({ InstanceId: id }), { abortSignal: signal })
  }
  return Buffer.from(out.Output ?? '', 'base64').toString('utf8')
}

/**
 * Host key fingerprints from the console (cloud-init prints them), kept in a tag for later runs;
 * without them, say that first contact is trusted, and record that the console showed none.
 */
async function attachHostKeys(r: Readiness, node: Node, signal?: AbortSignal): Promise<void> {
  const label = `${node.name} (${node.id})`
  const record = async (value: string) => {
    if (r.readOnly) return r.log(`${label}: would record ${TAG.hostKeys}=${value}`)
    await r.client
      .send(new CreateTagsCommand({ Resources: [node.id], Tags: [{ Key: TAG.hostKeys, Value: value }] }), {
        abortSignal: signal,
      })
      .then(
        () => {
          node.tags = { ...node.tags, [TAG.hostKeys]: value }
        },
        (error: unknown) => {
          if (signal?.aborted) throw error
          const later = value === NO_HOST_KEYS ? '' : '; later runs will not vouch for them'
          r.log(`${label}: cannot record its host keys in a tag (${failureReason(error)})${later}`)
        },
      )
  }
  for (let attempt = 0; attempt < CONSOLE_ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(r.delayS * 1000, undefined, signal ? { signal } : {})
    let fingerprints: string[]
    try {
      fingerprints = consoleHostKeyFingerprints(await consoleText(r.client, node.id, signal))
    } catch (error) {
      if (signal?.aborted) throw error
      // Not recorded: a console that cannot be read now (a missing permission, say) is tried again next run.
      r.log(
        `${label}: its console output cannot be read (${failureReason(error)}); its host key will be trusted as first seen, without verification`,
      )
      return
    }
    if (fingerprints.length === 0) continue
    node.hostKeyFingerprints = fingerprints
    return record(hostKeysTagValue(fingerprints))
  }
  r.log(
    `${label}: its console output shows no SSH host key fingerprints; its host key will be trusted as first seen, without verification`,
  )
  await record(NO_HOST_KEYS)
}

function byName(a: Node, b: Node): number {
  return a.name.localeCompare(b.name, 'en', { numeric: true })
}

/** A short reason from an SDK, waiter or network error. */
export function failureReason(error: unknown): string {
  const err = error as Error & { Code?: string }
  if (err.name === 'TimeoutError' && /Waiter has timed out/.test(err.message)) {
    return `they did not reach running within ${STATE_TIMEOUT_S} s`
  }
  if (/^\{/.test(err.message)) {
    // Waiter failures carry the last DescribeInstances as JSON: name the states seen.
    const states = [
      ...err.message.matchAll(/"Name":"(pending|running|shutting-down|terminated|stopping|stopped)"/g),
    ].map((m) => m[1])
    return `they did not reach running (states seen: ${[...new Set(states)].join(', ') || 'unknown'})`
  }
  const code = err.Code ?? (err.name !== 'Error' ? err.name : undefined)
  return `${code ? `${code}: ` : ''}${(err.message ?? String(error)).split('\n')[0]}`
}
