import { randomBytes } from 'node:crypto'
import { confineToFolder } from '../actions/confine.js'
import { actionClock, readScriptOutput } from '../actions/protocol.js'
import { compilePhaseScript, describeAction, parsePhaseOutput, prepareActions } from '../actions/script.js'
import type { Action } from '../actions/types.js'
import type { CrateContextData, PublishedData } from '../crates/types.js'
import { EXIT, errorMessage, ForkliftError, type ForkliftErrorOptions } from '../errors.js'
import type { ActionResult, NodePhaseResult, NodeStatus } from '../model/results.js'
import { isPlainObject, oneLine } from '../text/values.js'
import { TransportError } from '../transport/types.js'
import { bootstrapEpilogue, bootstrapPrologue } from './bootstrap.js'
import type { EngineOptions } from './options.js'
import { type NodeSession, needsSudo, switchesToAdmin } from './session.js'

/** Shared by every node of a run: what the settings phase published, and who is in the run. */
export interface RunShared {
  published: PublishedData
  nodes: CrateContextData['nodes']
  /** Admin public keys per group, read once. */
  adminKeys: Map<string, string | undefined>
}

/** Least time between two progress events of one node's phase. */
export const PROGRESS_INTERVAL_MS = 1000

/** A failure before any action ran (planning, connection), reported on the node. */
export class PhaseError extends ForkliftError {
  override name = 'PhaseError'
  /** A crate's own frames where its code threw (see NodePhaseResult's error.stack). */
  readonly crateStack?: string
  constructor(message: string, options: ForkliftErrorOptions & { crateStack?: string | undefined } = {}) {
    const { crateStack, ...rest } = options
    super(message, { ...rest, code: 'PHASE', exitCode: EXIT.failed })
    if (crateStack) this.crateStack = crateStack
  }
}

/** The crate frames a runner's error carries, if any. */
const crateStackOf = (error: unknown): string | undefined => {
  const stack = (error as { crateStack?: unknown } | undefined)?.crateStack
  return typeof stack === 'string' && stack ? stack : undefined
}

/** Actions from one source (a crate, the group's own list, bootstrap), named in their errors. */
type Batch = {
  source: string
  actions: Action[]
  templateData: Record<string, unknown>
  /** Folders a crate's `localFile` must lie in (by real path); none for the user's own actions. */
  localRoots?: string[]
}

/** Ask each crate of the group for its actions in this phase, then add the group's own. */
async function planNode(session: NodeSession, phase: string, options: EngineOptions, shared: RunShared) {
  const { node, group } = session
  const batches: Batch[] = []
  const nodeData = {
    name: node.name,
    id: node.id,
    group: node.group,
    address: node.address,
    provider: node.provider,
    ...(node.root !== undefined ? { root: node.root } : {}),
    ...(node.tags ? { tags: node.tags } : {}),
    facts: session.facts!,
  }
  const baseTemplate = { env: group.environment, node: nodeData }
  if (phase === 'bootstrap') {
    batches.push({
      source: 'bootstrap',
      actions: bootstrapPrologue(group, node, shared.adminKeys.get(group.name), session.facts!),
      templateData: baseTemplate,
    })
  }
  for (const use of group.crates) {
    const crate = options.crates.get(use.name)
    if (!crate) throw new PhaseError(`crate "${use.name}" was not resolved`)
    let defined: boolean
    try {
      defined = await options.runner.hasPhase(crate, phase)
    } catch (error) {
      // Loading the crate failed: its message names the crate and the key at fault.
      throw new PhaseError(oneLine(errorMessage(error)), { crateStack: crateStackOf(error) })
    }
    if (!defined) continue
    const data: CrateContextData = {
      crate: use.name,
      phase,
      node: nodeData,
      group: {
        name: group.name,
        // Without a count the group is the nodes its provider lists.
        count: group.count ?? shared.nodes.filter((n) => n.group === group.name).length,
        provider: group.provider,
      },
      settings: use.settings,
      environment: group.environment,
      published: shared.published,
      nodes: shared.nodes,
    }
    let output: Awaited<ReturnType<typeof options.runner.runPhase>>
    try {
      output = await options.runner.runPhase(crate, data)
    } catch (error) {
      const where = `crate "${use.name}", phase ${phase}, node ${node.name}`
      // One line: the pod runner names crate, phase and node itself (say them once); Forklift's own stack
      // is no help to the crate's author, its own frames travel beside the message.
      const said = oneLine(errorMessage(error))
      throw new PhaseError(said.startsWith(where) ? said : `${where}: ${said}`, {
        crateStack: crateStackOf(error),
      })
    }
    if (Object.keys(output.published).length > 0) {
      // A node listed in several groups publishes for each of them, whichever group's run it is.
      const groups = new Set([
        group.name,
        ...shared.nodes.filter((n) => n.name === node.name).map((n) => n.group),
      ])
      // Facility names are the crate's: no key of theirs may reach a prototype.
      const entry = shared.published[node.name] ?? {
        groups: [],
        facilities: Object.create(null) as Record<string, unknown>,
      }
      entry.groups = [...new Set([...entry.groups, ...groups])]
      for (const facility of Object.keys(output.published))
        Object.defineProperty(entry.facilities, facility, {
          value: output.published[facility],
          enumerable: true,
          writable: true,
          configurable: true,
        })
      shared.published[node.name] = entry
    }
    // Templates see the settings the phase function saw: the crate's defaults under the group's.
    const defaults = isPlainObject(output.defaults) ? output.defaults : {}
    batches.push({
      source: `crate "${use.name}"`,
      actions: output.actions,
      templateData: { ...baseTemplate, settings: { ...defaults, ...use.settings } },
      localRoots: [crate.dir, options.projectDir],
    })
  }
  const own = group.phases[phase]
  if (own?.length)
    batches.push({ source: `groups.${group.name}.phases.${phase}`, actions: own, templateData: baseTemplate })
  // The marker is written here only when no admin login is to be proven first (see switchToAdmin).
  if (phase === 'bootstrap' && !switchesToAdmin(session))
    batches.push({ source: 'bootstrap', actions: bootstrapEpilogue(node), templateData: baseTemplate })

  const prepared: Action[] = []
  for (const batch of batches) {
    if (batch.actions.length === 0) continue
    try {
      const actions = await prepareActions(batch.actions, {
        baseDir: options.projectDir,
        templateData: batch.templateData,
        ...(batch.localRoots ? { localRoots: batch.localRoots } : {}),
      })
      // A folder node's actions stay in its folder, whatever their paths say.
      prepared.push(...confineToFolder(actions, node))
    } catch (error) {
      throw new PhaseError(`${batch.source}: ${errorMessage(error)}`)
    }
  }
  return prepared
}

function countResults(results: ActionResult[]): NodePhaseResult['counts'] {
  const counts = { ok: 0, changed: 0, failed: 0, skipped: 0 }
  // A dry run's `after` would change too.
  for (const r of results) counts[r.status === 'after' ? 'changed' : r.status]++
  return counts
}

/** Run one phase on one node: plan, one script over one channel, parse, report. */
export async function runNodePhase(
  session: NodeSession,
  phase: string,
  options: EngineOptions,
  shared: RunShared,
): Promise<NodePhaseResult> {
  const started = Date.now()
  const { node, group } = session
  const base = { node: node.name, group: group.name, phase }
  options.events.emit({ type: 'node:phase:start', group: group.name, phase, node: node.name })
  const finish = (
    status: NodeStatus,
    actions: ActionResult[],
    error?: NodePhaseResult['error'],
  ): NodePhaseResult => {
    const result: NodePhaseResult = {
      ...base,
      status,
      actions,
      counts: countResults(actions),
      durationMs: Date.now() - started,
      ...(error ? { error } : {}),
    }
    options.events.emit({ type: 'node:phase:end', result })
    return result
  }

  const emitActions = (results: ActionResult[]) => {
    for (const result of results) {
      options.events.emit({ type: 'node:action', group: group.name, phase, node: node.name, result })
    }
  }

  let actions: Action[]
  try {
    actions = await planNode(session, phase, options, shared)
  } catch (error) {
    const stack = crateStackOf(error)
    return finish('failed', [], { message: errorMessage(error), ...(stack ? { stack } : {}) })
  }
  if (actions.length === 0) return finish('ok', [])

  const nonce = randomBytes(8).toString('hex')
  const clock = actionClock(nonce)
  // Progress for renderers: how many actions have ended, at most once per PROGRESS_INTERVAL_MS.
  let lastProgress = performance.now()
  let lastDone = 0
  const onStdout = (chunk: string) => {
    clock.push(chunk)
    const done = clock.ended()
    const now = performance.now()
    if (done === lastDone || done >= actions.length || now - lastProgress < PROGRESS_INTERVAL_MS) return
    lastProgress = now
    lastDone = done
    options.events.emit({
      type: 'node:phase:progress',
      group: group.name,
      phase,
      node: node.name,
      done,
      total: actions.length,
    })
  }
  let results: ActionResult[]
  let scriptStdout = ''
  try {
    const script = compilePhaseScript(actions, { facts: session.facts!, dryRun: options.dryRun, nonce })
    const output = await session.connection!.run(script, {
      sudo: needsSudo(session),
      signal: options.abort,
      onStdout,
    })
    results = parsePhaseOutput(output.stdout, output.stderr, output.code, actions, nonce, clock.durations())
    scriptStdout = output.stdout
  } catch (error) {
    if (options.abort.aborted) {
      const skipped = actions.map((a, index) => skippedResult(a, index, 'interrupted'))
      return finish('interrupted', skipped, { message: 'interrupted' })
    }
    const message = errorMessage(error)
    const output = error instanceof TransportError ? error.output : undefined
    if (!output || clock.durations().size === 0) return finish('failed', [], { message })
    // The connection dropped mid-script: what came back still tells which actions ran.
    const partial = parsePhaseOutput(output.stdout, output.stderr, null, actions, nonce, clock.durations())
    emitActions(partial)
    const inFlight = partial.find((r) => r.status === 'failed')
    return finish('failed', partial, { message, ...(inFlight ? { action: inFlight.index } : {}) })
  }
  emitActions(results)
  const failed = results.find((r) => r.status === 'failed')
  if (failed) {
    return finish('failed', results, {
      message: `${failed.summary}: ${failed.message}`,
      action: failed.index,
      ...(failed.exitCode !== undefined ? { exitCode: failed.exitCode } : {}),
      ...failedStderr(scriptStdout, nonce, failed),
    })
  }
  return finish(
    results.some((r) => r.status === 'changed' || r.status === 'after') ? 'changed' : 'ok',
    results,
  )
}

/** The failed action's own stderr (the tail the node kept), for the phase's error: `output` has its stdout too. */
function failedStderr(stdout: string, nonce: string, failed: ActionResult): { stderr?: string } {
  const report = readScriptOutput(stdout, nonce)
  // A script that did not start printed only to its stderr, which is the action's output then.
  const lines = report.started
    ? (report.actions.get(failed.index)?.stderr ?? [])
    : failed.output
      ? [failed.output]
      : []
  return lines.length > 0 ? { stderr: lines.join('\n') } : {}
}

function skippedResult(action: Action, index: number, message: string): ActionResult {
  return {
    index,
    ...(action.id ? { id: action.id } : {}),
    type: action.type,
    summary: describeAction(action),
    status: 'skipped',
    message,
    durationMs: 0,
  }
}
