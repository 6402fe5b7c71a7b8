/** What a transport returns for one script. */
export interface ExecResult {
  stdout: string
  stderr: string
  /** Exit status, or null when the command ended by a signal or the connection dropped. */
  code: number | null
  signal?: string
}

export interface RunOptions {
  /** Run the script as root through `sudo -n` when the login is not root. */
  sudo?: boolean
  signal?: AbortSignal
  /** Called with stdout chunks as they arrive (for streaming progress). */
  onStdout?: (chunk: string) => void
}

/** A live connection to one node: scripts go in on stdin of `sh -s`. */
export interface Connection {
  run(script: string, options?: RunOptions): Promise<ExecResult>
  /** How many exec channels were opened on this connection (for the benchmark). */
  readonly channels: number
  close(): Promise<void>
}

/** Errors a transport raises, each a clear line for the node. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly kind: 'refused' | 'timeout' | 'auth' | 'host-key-unknown' | 'host-key-changed' | 'dropped' | 'other',
  ) {
    super(message)
    this.name = 'TransportError'
  }
}
