export type ActionStatus = 'ok' | 'changed' | 'failed' | 'skipped'

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
  /** Unified diff of what changed or would change (file contents). */
  diff?: string
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
  error?: { message: string; action?: number; exitCode?: number; stderr?: string }
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
}

export interface GroupResult {
  name: string
  provider: string
  created: string[]
  destroyed: string[]
  error?: string
  nodes: { name: string; address: string; status: NodeStatus; failedPhase?: string }[]
  phases: NodePhaseResult[]
}
