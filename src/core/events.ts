import { createRedactor, type Redactor } from './config/secrets.js'
import type { Node } from './model/node.js'
import type { ActionResult, NodePhaseResult, RunResult } from './model/results.js'

/** Everything the engine tells renderers; core code never prints. */
export type ForkliftEvent =
  | { type: 'run:start'; command: 'lift' | 'converge'; groups: string[]; dryRun: boolean }
  | { type: 'group:start'; group: string; provider: string }
  | {
      type: 'group:nodes'
      group: string
      existing: number
      desired?: number
      create: number
      destroy: number
    }
  | { type: 'group:error'; group: string; message: string }
  | { type: 'node:created'; group: string; node: Node }
  | { type: 'node:destroyed'; group: string; node: Node }
  | { type: 'phase:start'; group: string; phase: string; nodes: string[] }
  | { type: 'node:phase:start'; group: string; phase: string; node: string }
  | { type: 'node:action'; group: string; phase: string; node: string; result: ActionResult }
  /** A long phase on one node: how many of its actions have ended (at most one a second). */
  | { type: 'node:phase:progress'; group: string; phase: string; node: string; done: number; total: number }
  | { type: 'node:phase:end'; result: NodePhaseResult }
  | { type: 'phase:end'; group: string; phase: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string; group?: string; node?: string }
  /** An interrupt (`signal`: SIGINT, SIGTERM or SIGHUP); the second one aborts. */
  | { type: 'interrupt'; second: boolean; signal?: string }
  | { type: 'run:end'; result: RunResult }

export type EventListener = (event: ForkliftEvent) => void

/** A tiny typed emitter: the engine emits, renderers listen. */
export interface EventSink {
  emit(event: ForkliftEvent): void
}

/**
 * The keys of events and results whose strings are Forklift's own labels and names (event types,
 * statuses, group, node and phase names, timestamps): redaction leaves them alone, so a secret that
 * matches one of Forklift's words never breaks a renderer or the JSON report.
 */
export const EVENT_LABELS = [
  'type',
  'command',
  'groups',
  'group',
  'provider',
  'phase',
  'phases',
  'nodes',
  'node',
  'name',
  'status',
  'level',
  'reason',
  'stopped',
  'failedPhase',
  'created',
  'destroyed',
  'startedAt',
  'id',
] as const

/** What a diff holding a secret becomes in every output: that the file changed, not how. */
export const SECRET_DIFF = '(the file holds a secret: its diff is not shown)\n'

/** The redactor of everything a run prints: events, the JSON report, and errors. */
export function eventRedactor(secrets: readonly string[]): Redactor {
  return createRedactor(secrets, { labels: EVENT_LABELS, opaque: { diff: SECRET_DIFF } })
}

/** Fan events out to listeners, each given the event after redaction. */
export function createEventBus(redact: <T>(value: T) => T = (v) => v): EventSink & {
  on(listener: EventListener): () => void
} {
  const listeners = new Set<EventListener>()
  return {
    emit(event) {
      const safe = redact(event)
      for (const listener of listeners) listener(safe)
    },
    on(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
