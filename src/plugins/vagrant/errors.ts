/**
 * A provider failure shown to the user as one line. The name matches what the CLI treats as a
 * user-facing error (no stack trace).
 */
export class ProviderError extends Error {
  override name = 'ProviderError'
}

/** A `vagrant` command that failed for one machine, with its exit status and Vagrant's own message. */
export class VagrantCommandError extends ProviderError {
  constructor(
    readonly command: string,
    readonly machine: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly detail: string,
  ) {
    const status = exitCode !== null ? `exit ${exitCode}` : `signal ${signal ?? 'unknown'}`
    super(`vagrant ${command} ${machine} failed (${status})${detail ? `: ${detail}` : ''}`)
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
