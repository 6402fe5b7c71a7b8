import { EXIT, ForkliftError } from '../errors.js'

/** What a transport returns for one script. */
export interface ExecResult {
  stdout: string
  stderr: string
  /** Exit status, or null when the command ended by a signal. */
  code: number | null
  /** The signal that ended the command, in Node's form (`SIGKILL`). */
  signal?: string
}

export interface RunOptions {
  /** Run the script as root through `sudo -n` when the login is not root. */
  sudo?: boolean
  signal?: AbortSignal
  /** Called with stdout chunks as they arrive (for streaming progress). */
  onStdout?: (chunk: string) => void
}

/** How long an aborted script has, after SIGTERM, to end (its trap removes its temp folder) before SIGKILL. */
export const ABORT_GRACE_MS = 2000

/** A live connection to one node: scripts go in on stdin of `sh -s`. */
export interface Connection {
  run(script: string, options?: RunOptions): Promise<ExecResult>
  /** How many exec channels were opened on this connection (for the benchmark). */
  readonly channels: number
  close(): Promise<void>
}

export type TransportErrorKind =
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'auth'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-revoked'
  | 'dropped'
  | 'sudo'
  | 'aborted'
  | 'other'

/** What a script had printed when its connection dropped. */
export interface PartialOutput {
  stdout: string
  stderr: string
}

/** Errors a transport raises, each a clear line for the node (which then failed: exit status 1). */
export class TransportError extends ForkliftError {
  override name = 'TransportError'
  constructor(
    message: string,
    readonly kind: TransportErrorKind,
    /** For a connection dropped mid-script: what the script had printed by then. */
    readonly output?: PartialOutput,
  ) {
    super(message, { code: 'TRANSPORT', exitCode: EXIT.failed })
  }
}
