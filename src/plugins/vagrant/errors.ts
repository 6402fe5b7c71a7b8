import { ProviderError } from '../../core/errors.js'

// A provider failure shown to the user as one line: Forklift's own ProviderError.
export { ProviderError }

/** A `vagrant` command that failed for one machine, with its exit status and Vagrant's own message. */
export class VagrantCommandError extends ProviderError {
  constructor(
    readonly command: string,
    readonly machine: string,
    /** The command's exit status, or null when a signal ended it. */
    readonly status: number | null,
    readonly signal: string | null,
    readonly detail: string,
  ) {
    const how = status !== null ? `exit ${status}` : `signal ${signal ?? 'unknown'}`
    super(`vagrant ${command} ${machine} failed (${how})${detail ? `: ${detail}` : ''}`)
  }
}

/** Collapse a multi-line message into one line. */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ')
}
