import { oneLine } from '../text/values.js'

/** What an error thrown inside a pod looks like once it has crossed the boundary as data. */
export interface RemoteErrorData {
  name: string
  message: string
  stack?: string
  code?: string
}

/** Code running in a pod threw: carries the pod-side name, message and stack. */
export class PodError extends Error {
  override name = 'PodError'
  /** Name of the error inside the pod (TypeError, CrateError …). */
  readonly remoteName: string
  readonly code?: string
  /** The stack as the pod saw it. */
  readonly podStack: string

  constructor(remote: RemoteErrorData) {
    super(remote.message)
    this.remoteName = remote.name
    if (remote.code) this.code = remote.code
    this.podStack = remote.stack ?? `${remote.name}: ${remote.message}`
    // The useful frames are the pod's: show them instead of the host's IPC plumbing.
    this.stack = this.podStack
  }
}

/**
 * What code in a pod threw, on one line: `TypeError: …`, a plain Error's message alone (no doubled
 * `Error: Error:` once a caller adds its own prefix), then its code and where it was thrown, if known.
 */
export function remoteSummary(error: PodError, where?: string): string {
  const name = error.remoteName === 'Error' ? '' : `${oneLine(error.remoteName)}: `
  const message = oneLine(error.message)
  const notes = [
    error.code && !message.includes(error.code) ? error.code : undefined,
    where ? `at ${where}` : undefined,
  ].filter(Boolean)
  return `${name}${message}${notes.length ? ` (${notes.join(', ')})` : ''}`
}

/** A call ran past the pod's wall-clock limit; the pod was stopped. */
export class PodTimeoutError extends Error {
  override name = 'PodTimeoutError'
  /** The limit the call ran past. */
  readonly timeoutMs: number
  constructor(message: string, timeoutMs: number) {
    super(message)
    this.timeoutMs = timeoutMs
  }
}

/** The pod's process ended (heap limit, crash, killed) while calls were waiting on it. */
export class PodExitError extends Error {
  override name = 'PodExitError'
  /** Why it ended: 'heap' when the heap limit was reached. */
  readonly reason: 'heap' | 'timeout' | 'crash' | 'destroyed'
  constructor(message: string, reason: PodExitError['reason']) {
    super(message)
    this.reason = reason
  }
}

/** A value that is not plain data was about to cross the pod boundary. */
export class PodValueError extends Error {
  override name = 'PodValueError'
}

/** A dependency set could not be resolved or installed (the message holds npm's own error). */
export class PodInstallError extends Error {
  override name = 'PodInstallError'
  /** Everything npm printed, for a closer look. */
  readonly npmOutput: string
  constructor(message: string, npmOutput = '') {
    super(message)
    this.npmOutput = npmOutput
  }
}

/** A bad argument to the pod API: a malformed dependency, binding name or module target. */
export class PodUsageError extends Error {
  override name = 'PodUsageError'
}
