// Messages between Forklift and a pod's host, sent over the IPC channel with structured clone.
import type { CrateContextData, PhaseOutput } from '../crates/types.js'
import type { RemoteErrorData } from './errors.js'

/** A folder the pod may read, as the host sees it (`view`, a link) and as it really is (`real`). */
export interface PodLink {
  real: string
  view: string
}

/** What the host is told at start (as its one command-line argument, JSON). */
export interface HostConfig {
  /** Links to the pod's paths, in the order given; module targets relative to a path are looked up here. */
  links: PodLink[]
  /** file: URL of the crate-context module, loaded when a crate runs. */
  context: string
  /** The largest reply Forklift takes, in bytes: a larger value fails in the pod with a clear error. */
  replyBytes: number
  /** Remove PWD, which bubblewrap sets, so the pod's environment is exactly the one it was given. */
  clearPwd: boolean
}

export type HostRequest =
  | { op: 'eval'; code: string; bindings: Record<string, unknown> }
  | { op: 'call'; module: string; export: string; args: unknown[] }
  | { op: 'require'; module: string }
  | { op: 'crate-phases'; crate: string; entry: string }
  | { op: 'crate-run'; crate: string; entry: string; data: CrateContextData }

export type HostMessage =
  | { type: 'ready' }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: RemoteErrorData }

export type CrateRunReply = PhaseOutput
