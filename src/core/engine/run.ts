import pLimit from 'p-limit'
import { errorMessage } from '../errors.js'
import type { GroupSpec } from '../model/group.js'
import type { Node } from '../model/node.js'
import type {
  GroupResult,
  NodePhaseResult,
  NodeReport,
  NodeSkip,
  NodeStatus,
  RunResult,
  StopReason,
} from '../model/results.js'
import { localPath } from '../paths.js'
import type { NodesPartlyCreatedError } from '../providers/types.js'
import { forgetHostKeys } from '../transport/known-hosts.js'
import { splitBatches } from './batches.js'
import { adminPublicKey } from './bootstrap.js'
import { planCount } from './counts.js'
import type { EngineOptions } from './options.js'
import { type RunShared, runNodePhase } from './phase.js'
import { planPhases } from './phases.js'
import { type NodeSession, openSession, switchToAdmin } from './session.js'

interface GroupState {
  spec: GroupSpec
  result: GroupResult
  sessions: NodeSession[]
  /** Only the settings phase runs (consider). */
  considerOnly: boolean
  /** The group's error came from creating some of its nodes: the nodes it has run all the same. */
  partial?: boolean
}

/** `lift`: run phases on the nodes that exist; nothing is created or destroyed. */
export function runLift(options: EngineOptions): Promise<RunResult> {
  return run('lift', options)
}

/** `converge`: adjust counts, bootstrap new nodes, then run settings, configure and extra phases on all. */
export function runConverge(options: EngineOptions): Promise<RunResult> {
  return run('converge', options)
}

async function run(command: 'lift' | 'converge', options: EngineOptions): Promise<RunResult> {
  const startedAt = new Date()
  const { events } = options
  events.emit({
    type: 'run:start',
    command,
    groups: options.groups.map((g) => g.name),
    dryRun: options.dryRun,
  })
  const states: GroupState[] = [
    ...options.groups.map((spec) => newState(spec, false)),
    ...(options.consider ?? [])
      .filter((c) => !options.groups.some((g) => g.name === c.name))
      .map((spec) => newState(spec, true)),
  ]
  const shared: RunShared = { published: {}, nodes: [], adminKeys: new Map() }
  warmCrates(states, options)

  // Inventory: every group's nodes, counts adjusted on converge (groups in parallel).
  await Promise.all(states.map((state) => inventory(state, command, options, shared)))
  const live = () => states.flatMap((s) => s.sessions).filter((s) => !s.failed)
  shared.nodes = live().map((s) => ({ name: s.node.name, group: s.node.group, address: s.node.address }))

  const limit = pLimit(Math.max(1, options.concurrency))
  const totalNodes = states.reduce((n, s) => n + s.sessions.length, 0)
  let failures = 0
  const overFailLimit = () =>
    options.maxFailPercent !== undefined &&
    totalNodes > 0 &&
    (failures * 100) / totalNodes > options.maxFailPercent
  // Why the run starts nothing new, once it does (it never takes that back).
  let halted: StopReason | undefined
  const stopped = () => {
    if (halted) return true
    if (options.stop.aborted || options.abort.aborted) halted = 'interrupted'
    else if (overFailLimit()) {
      halted = 'max-fail'
      events.emit({
        type: 'log',
        level: 'warn',
        message: `max-fail reached: ${failures} of ${totalNodes} node(s) failed, more than ${options.maxFailPercent}%; starting nothing new`,
      })
    }
    return halted !== undefined
  }

  // Connect every node once; facts and the bootstrap marker come back in the same round trip.
  await Promise.all(
    live().map((session) =>
      limit(async () => {
        if (stopped()) return notRun(session, 'connect')
        const started = Date.now()
        try {
          await openSession(session, options.transport)
          session.connectMs = Date.now() - started
        } catch (error) {
          failures++
          recordFailure(session, 'connect', errorMessage(error), Date.now() - started, options, states)
        }
      }),
    ),
  )

  // Bootstrap only where the node's marker is missing (a node never reached: when it is new);
  // considered groups run settings alone.
  const planned = planPhases(command, options.phases)
  const appliesTo = (phase: string, s: NodeSession) =>
    phase === 'settings' ||
    (!isConsider(s, states) && (phase !== 'bootstrap' || (s.facts ? !s.bootstrapped : s.isNew)))
  const phases = planned.map((name) => ({ name, sessions: () => live().filter((s) => appliesTo(name, s)) }))

  for (const phase of phases) {
    const sessions = phase.sessions()
    if (phase.name === 'bootstrap' && options.phases.includes('bootstrap')) {
      const done = live().filter((s) => !isConsider(s, states) && s.facts !== undefined && s.bootstrapped)
      announceBootstrapped(events, done, sessions)
    }
    if (sessions.length === 0) continue
    if (stopped()) {
      for (const session of sessions) notRun(session, phase.name)
      continue
    }
    const byGroup = new Map<string, NodeSession[]>()
    for (const s of sessions) byGroup.set(s.group.name, [...(byGroup.get(s.group.name) ?? []), s])
    for (const [group, members] of byGroup) {
      events.emit({ type: 'phase:start', group, phase: phase.name, nodes: members.map((m) => m.node.name) })
    }
    for (const batch of splitBatches(sessions, options.batch)) {
      if (stopped()) {
        for (const session of batch) notRun(session, phase.name)
        continue
      }
      await Promise.all(
        batch.map((session) =>
          limit(async () => {
            if (stopped()) return notRun(session, phase.name)
            const result = await runNodePhase(session, phase.name, options, shared)
            stateOf(session, states).result.phases.push(result)
            if (result.status === 'failed' || result.status === 'interrupted') {
              if (result.status === 'failed') failures++
              session.failed = true
              session.failedPhase = phase.name
              return
            }
            if (phase.name === 'bootstrap') {
              session.bootstrapped = !options.dryRun
              if (!options.dryRun) {
                const started = Date.now()
                await switchToAdmin(session, options.transport).then(
                  () => {
                    session.connectMs = (session.connectMs ?? 0) + Date.now() - started
                  },
                  (error: Error) => {
                    failures++
                    session.bootstrapped = false
                    const message = `${error.message}; bootstrap is not recorded on the node, so the next converge runs it again`
                    recordFailure(session, 'bootstrap', message, Date.now() - started, options, states)
                  },
                )
              }
            }
          }),
        ),
      )
    }
    for (const group of byGroup.keys()) events.emit({ type: 'phase:end', group, phase: phase.name })
  }

  await Promise.all(states.flatMap((s) => s.sessions).map((s) => s.connection?.close().catch(() => {})))
  // An interrupt that came when nothing was left to start (or before anything was) stopped the run too.
  if (!halted && (options.stop.aborted || options.abort.aborted)) halted = 'interrupted'

  for (const state of states) {
    // A failed group's nodes never started: they did none of what applied to them.
    const groupFailed = state.result.error !== undefined && !state.partial
    if (groupFailed) {
      for (const s of state.sessions) s.notRun = ['connect', ...planned.filter((p) => appliesTo(p, s))]
    }
    const reason: StopReason | 'group-error' | undefined = groupFailed ? 'group-error' : halted
    state.result.nodes = state.sessions.map((s) => nodeEntry(s, state.result.phases, reason))
  }
  const interrupted = options.stop.aborted || options.abort.aborted
  const groups = states.map((s) => s.result)
  const result: RunResult = {
    command,
    dryRun: options.dryRun,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    groups,
    ok:
      !interrupted && !halted && groups.every((g) => !g.error && g.nodes.every((n) => n.status !== 'failed')),
    interrupted,
    ...(halted ? { stopped: halted } : {}),
  }
  events.emit({ type: 'run:end', result })
  return result
}

/**
 * Start every crate's pod (loading the crate to learn its phases) now, so its start-up overlaps the
 * inventory and the SSH handshakes instead of following them. A failure is left for planning to report.
 */
function warmCrates(states: GroupState[], options: EngineOptions): void {
  for (const state of states) {
    for (const use of state.spec.crates) {
      const crate = options.crates.get(use.name)
      if (crate) options.runner.hasPhase(crate, 'settings').catch(() => {})
    }
  }
}

function newState(spec: GroupSpec, considerOnly: boolean): GroupState {
  return {
    spec,
    considerOnly,
    sessions: [],
    result: { name: spec.name, provider: spec.provider, created: [], destroyed: [], nodes: [], phases: [] },
  }
}

const stateOf = (session: NodeSession, states: GroupState[]) => states.find((s) => s.spec === session.group)!
const isConsider = (session: NodeSession, states: GroupState[]) => stateOf(session, states).considerOnly

function failGroup(state: GroupState, message: string, options: EngineOptions) {
  state.result.error = message
  for (const s of state.sessions) s.failed = true
  options.events.emit({ type: 'group:error', group: state.spec.name, message })
}

function recordFailure(
  session: NodeSession,
  phase: string,
  message: string,
  durationMs: number,
  options: EngineOptions,
  states: GroupState[],
) {
  session.failed = true
  session.failedPhase = phase
  const result: NodePhaseResult = {
    node: session.node.name,
    group: session.group.name,
    phase,
    status: 'failed',
    actions: [],
    counts: { ok: 0, changed: 0, failed: 0, skipped: 0 },
    durationMs,
    error: { message },
  }
  options.events.emit({ type: 'node:phase:end', result })
  // Kept with the group's phases so the report shows why the node dropped out.
  stateOf(session, states).result.phases.push(result)
}

/** Note a phase the node did not run because the run stopped starting new work. */
function notRun(session: NodeSession, phase: string) {
  session.notRun = [...(session.notRun ?? []), phase]
}

/**
 * A node's line in the report. It failed or was interrupted when one of its phases was; else it is
 * skipped when a phase that applied to it never ran; else changed or ok.
 */
function nodeEntry(
  session: NodeSession,
  phases: NodePhaseResult[],
  reason: NodeSkip['reason'] | undefined,
): NodeReport {
  const mine = phases.filter((p) => p.node === session.node.name)
  const has = (status: NodeStatus) => mine.some((p) => p.status === status)
  const skipped = session.notRun?.length && reason ? { reason, phases: session.notRun } : undefined
  const order: [NodeStatus, boolean][] = [
    ['failed', has('failed')],
    ['interrupted', has('interrupted')],
    ['skipped', skipped !== undefined],
    ['changed', has('changed')],
  ]
  const status = order.find(([, applies]) => applies)?.[0] ?? 'ok'
  return {
    name: session.node.name,
    address: session.node.address,
    status,
    ...(session.failedPhase ? { failedPhase: session.failedPhase } : {}),
    ...(status === 'skipped' ? { skipped } : {}),
    durationMs: (session.connectMs ?? 0) + mine.reduce((sum, p) => sum + p.durationMs, 0),
  }
}

/** List a group's nodes; on converge, create the shortfall and destroy the surplus first. */
async function inventory(
  state: GroupState,
  command: 'lift' | 'converge',
  options: EngineOptions,
  shared: RunShared,
): Promise<void> {
  const { spec } = state
  const { events } = options
  events.emit({ type: 'group:start', group: spec.name, provider: spec.provider })
  const provider = options.providers.get(spec.provider)
  if (!provider) return failGroup(state, `provider "${spec.provider}" is not available`, options)
  let nodes: Node[]
  try {
    // Ready: the nodes are used next, so a provider finishes what an interrupted run left of them.
    nodes = await provider.listNodes({
      group: spec.name,
      ready: true,
      readOnly: options.dryRun,
      signal: options.abort,
      ...(command === 'converge' ? { spec } : {}),
    })
  } catch (error) {
    return failGroup(state, `listing nodes failed: ${errorMessage(error)}`, options)
  }
  // Read before any node is made or destroyed: new nodes would be left without their admin login.
  let keyError: string | undefined
  try {
    shared.adminKeys.set(spec.name, await adminPublicKey(spec, options.projectDir))
  } catch (error) {
    keyError = errorMessage(error)
  }
  const fresh = new Set<Node>()
  let createError: string | undefined
  const desired = options.counts?.[spec.name] ?? spec.count
  if (command === 'converge' && !state.considerOnly && desired !== undefined && !keyError) {
    const plan = planCount(nodes, desired)
    events.emit({
      type: 'group:nodes',
      group: spec.name,
      existing: nodes.length,
      desired,
      create: plan.create,
      destroy: plan.destroy.length,
    })
    if (plan.create > 0 || plan.destroy.length > 0) {
      // Checked before a dry run too, so that it reports what the real run would.
      const cannot = plan.create > 0 ? !provider.createNodes : !provider.destroyNodes
      if (cannot) {
        // The group's nodes are reported, skipped: none of them runs.
        useNodes(state, nodes, fresh, options)
        return failGroup(
          state,
          `count ${desired} cannot be met: provider "${spec.provider}" has ${nodes.length} node(s) for this group and cannot ${plan.create > 0 ? 'create' : 'destroy'} nodes (without \`count\`, the group is the nodes it lists)`,
          options,
        )
      }
      if (options.dryRun) {
        try {
          // What createNodes and destroyNodes would check before changing anything.
          await provider.preflight?.(
            { group: spec, create: plan.create, destroy: plan.destroy },
            options.abort,
          )
        } catch (error) {
          useNodes(state, nodes, fresh, options)
          return failGroup(state, errorMessage(error), options)
        }
        events.emit({
          type: 'log',
          level: 'info',
          group: spec.name,
          message: `would create ${plan.create} and destroy ${plan.destroy.length} node(s)`,
        })
      } else if (options.stop.aborted || options.abort.aborted) {
        // Interrupted before the count was adjusted (the CLI was still starting): start nothing new.
        events.emit({
          type: 'log',
          level: 'warn',
          group: spec.name,
          message: `interrupted before the count changed: ${plan.create} node(s) not created, ${plan.destroy.length} not destroyed`,
        })
      } else {
        const controller = new AbortController()
        const onAbort = () => controller.abort()
        options.abort.addEventListener('abort', onAbort, { once: true })
        try {
          if (plan.destroy.length > 0) {
            await provider.destroyNodes!(plan.destroy, controller.signal)
            for (const node of plan.destroy) {
              state.result.destroyed.push(node.name)
              events.emit({ type: 'node:destroyed', group: spec.name, node })
            }
            nodes = nodes.filter((n) => !plan.destroy.includes(n))
            await forgetDestroyedKeys(plan.destroy, options)
          }
          if (plan.create > 0) {
            let created: Node[]
            try {
              created = await provider.createNodes!(spec, plan.create, controller.signal)
            } catch (error) {
              // Nodes that did come up are the group's all the same: reported and configured.
              const partly = partlyCreated(error)
              if (!partly) throw error
              created = partly.created
              createError = partly.message
            }
            for (const node of created) {
              fresh.add(node)
              state.result.created.push(node.name)
              events.emit({ type: 'node:created', group: spec.name, node })
            }
            nodes = [...nodes, ...created]
          }
        } catch (error) {
          useNodes(state, nodes, fresh, options)
          return failGroup(state, errorMessage(error), options)
        } finally {
          options.abort.removeEventListener('abort', onAbort)
        }
      }
    }
  } else {
    events.emit({ type: 'group:nodes', group: spec.name, existing: nodes.length, create: 0, destroy: 0 })
  }
  useNodes(state, nodes, fresh, options)
  if (keyError) failGroup(state, keyError, options)
  else if (createError) {
    // The group failed, but only the nodes that never came up: those that did run their phases.
    state.result.error = createError
    events.emit({ type: 'group:error', group: spec.name, message: createError })
    state.partial = true
  }
}

/** The group's nodes become its sessions (a failed group's are reported as skipped). */
function useNodes(state: GroupState, nodes: Node[], fresh: Set<Node>, options: EngineOptions): void {
  const { spec } = state
  // The group's login key serves every node the provider gave no key of its own.
  const identity = spec.node.login['identity-file']
  const withKey = (node: Node): Node =>
    node.identityFile || !identity ? node : { ...node, identityFile: localPath(options.projectDir, identity) }
  state.sessions = nodes.map((node) => ({
    node: withKey(node),
    group: spec,
    isNew: fresh.has(node),
    bootstrapped: false,
    failed: false,
  }))
}

/** The error's nodes that did come up, when it is a NodesPartlyCreatedError (by name: a plugin may have its own copy). */
function partlyCreated(error: unknown): NodesPartlyCreatedError | undefined {
  const e = error as NodesPartlyCreatedError
  return e?.name === 'NodesPartlyCreatedError' && Array.isArray(e.created) && e.created.length > 0
    ? e
    : undefined
}

/** Drop the known_hosts lines kept under the host key aliases of destroyed nodes: no machine has them again. */
async function forgetDestroyedKeys(destroyed: Node[], options: EngineOptions): Promise<void> {
  const aliases = destroyed.flatMap((node) => (node.hostKeyAlias ? [node.hostKeyAlias] : []))
  await forgetHostKeys(options.transport.forkliftKnownHosts, aliases).catch((error: Error) =>
    options.events.emit({
      type: 'log',
      level: 'warn',
      message: `cannot remove the host keys of destroyed nodes from ${options.transport.forkliftKnownHosts}: ${error.message}`,
    }),
  )
}

/** A `--phase bootstrap` that finds a group's nodes all bootstrapped says so instead of nothing. */
function announceBootstrapped(
  events: EngineOptions['events'],
  bootstrapped: NodeSession[],
  toRun: NodeSession[],
): void {
  const groups = new Map<string, NodeSession[]>()
  for (const s of bootstrapped) groups.set(s.group.name, [...(groups.get(s.group.name) ?? []), s])
  for (const [group, done] of groups) {
    if (toRun.some((s) => s.group.name === group)) continue
    const names = done.map((s) => s.node.name).join(', ')
    events.emit({
      type: 'log',
      level: 'info',
      group,
      message: `bootstrap: ${names} ${done.length === 1 ? 'is' : 'are'} bootstrapped already (the marker is on the node): nothing to run`,
    })
  }
}
