import type { CrateRunner, ResolvedCrate } from '../crates/types.js'
import type { EventSink } from '../events.js'
import type { GroupSpec } from '../model/group.js'
import type { Provider } from '../providers/types.js'
import type { ConnectOptions } from '../transport/index.js'

/** How many nodes of a phase run at once, as a count or a share of the nodes. */
export type BatchSize = { count: number } | { percent: number }

/** Everything lift and converge need; built by the command from config, flags and plugins. */
export interface EngineOptions {
  projectDir: string
  /** Groups to work on. */
  groups: GroupSpec[]
  /** Groups whose settings phase alone runs, so their data can be read (Pallet's consider-groups). */
  consider?: GroupSpec[]
  /** Provider instances by name. */
  providers: Map<string, Provider>
  crates: Map<string, ResolvedCrate>
  runner: CrateRunner
  /** The `--phase` values; the run's phases come from them by planPhases. */
  phases: string[]
  dryRun: boolean
  concurrency: number
  batch?: BatchSize
  /** Stop once more than this share of the nodes failed. */
  maxFailPercent?: number
  /** converge --count overrides, group → count. */
  counts?: Record<string, number>
  transport: ConnectOptions
  events: EventSink
  /** First Ctrl-C: start nothing new. */
  stop: AbortSignal
  /** Second Ctrl-C: abort what runs. */
  abort: AbortSignal
}
