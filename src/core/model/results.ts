/**
 * `after` is a dry run's: the action's check failed, but an earlier action of the phase would change
 * the node first (named by `after`), so the real run would check another node. It counts as changed.
 */
export type ActionStatus = 'ok' | 'changed' | 'after' | 'failed' | 'skipped'

/** What one action did on one node. */
export interface ActionResult {
  index: number
  /** The action's id when it has one. */
  id?: string
  type: string
  /** Short human description, e.g. `file /etc/motd`. */
  summary: string
  status: ActionStatus
  message: string
  /** Exit status of the failing command, when there was one. */
  exitCode?: number
  /** Output the action printed (exec output, error text). */
  output?: string
  /** Status `after`: the index of the first action of the phase that would change. */
  after?: number
  /** Unified diff of what changed or would change (file contents). */
  diff?: string
  /** How long the action took on the node; a run's report has it on every action (0: never began). */
  durationMs?: number
}

export type NodeStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'interrupted'

/** One node's outcome for one phase. */
export interface NodePhaseResult {
  node: string
  group: string
  phase: string
  status: NodeStatus
  actions: ActionResult[]
  counts: { ok: number; changed: number; failed: number; skipped: number }
  durationMs: number
  error?: {
    message: string
    action?: number
    exitCode?: number
    stderr?: string
    /** Where a crate's code threw: the frames of the crate's own files, one per line (`at fn (file:///…)`). */
    stack?: string
  }
}

/** The whole run, as the JSON report prints it. */
export interface RunResult {
  command: 'lift' | 'converge'
  dryRun: boolean
  startedAt: string
  durationMs: number
  groups: GroupResult[]
  ok: boolean
  interrupted: boolean
  /** Why the run stopped starting new work and left some undone, when it did. */
  stopped?: StopReason
}

/** What made a run start nothing new: Ctrl-C, or more failed nodes than `--max-fail` allows. */
export type StopReason = 'interrupted' | 'max-fail'

/** Why a node left work undone though it did not fail, and which phases it did not run. */
export interface NodeSkip {
  reason: StopReason | 'group-error'
  /** In run order; `connect` when the node was never reached. */
  phases: string[]
}

/** One node's outcome over the whole run. */
export interface NodeReport {
  name: string
  address: string
  status: NodeStatus
  failedPhase?: string
  /** Present when status is `skipped`. */
  skipped?: NodeSkip
  /** Time spent on the node: connecting and its phases, not waiting for other nodes or batches. */
  durationMs: number
}

export interface GroupResult {
  name: string
  provider: string
  created: string[]
  destroyed: string[]
  error?: string
  nodes: NodeReport[]
  phases: NodePhaseResult[]
}
