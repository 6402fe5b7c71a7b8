import { EXIT, errorMessage, isForkliftError } from '../core/errors.js'
import { showable } from './render/showable.js'
import { unknownFlagsMessage } from './usage.js'

/** What a command that failed tells the user, and exits with. */
export interface Failure {
  message: string
  /** Stable identifier of the kind of failure (a ForkliftError's code; USAGE for oclif's parse errors). */
  code: string
  exitCode: number
  hint?: string
}

/** The shape oclif gives its errors (`this.error`, `this.exit`, parse errors), whichever copy made them. */
interface OclifError extends Error {
  code?: string
  oclif: { exit?: number }
}

function isOclifError(error: unknown): error is OclifError {
  return error instanceof Error && typeof (error as Partial<OclifError>).oclif === 'object'
}

/**
 * How a command's error is reported: Forklift's errors carry their exit status, code and hint; oclif's
 * parse errors are usage errors (exit status 2); anything else is unexpected (exit status 1). Undefined
 * for `this.exit(n)`, whose command has already said what it had to.
 */
export function failureOf(error: unknown): Failure | undefined {
  if (isOclifError(error) && error.code === 'EEXIT') return undefined
  if (isForkliftError(error)) {
    return {
      message: error.message,
      code: error.code,
      exitCode: error.exitCode,
      ...(error.hint !== undefined ? { hint: error.hint } : {}),
    }
  }
  // Plugins written before ProviderError was exported were told to name a plain Error so.
  if (error instanceof Error && error.name === 'ProviderError') {
    return { message: error.message, code: 'PROVIDER', exitCode: EXIT.usage }
  }
  if (isOclifError(error)) {
    const exitCode = error.oclif.exit ?? EXIT.usage
    const message = unknownFlagsMessage(error) ?? error.message
    return { message, code: exitCode === EXIT.usage ? 'USAGE' : 'FAILED', exitCode }
  }
  const message = errorMessage(error) || (error instanceof Error ? error.name : '') || 'unexpected error'
  return { message, code: 'UNEXPECTED', exitCode: EXIT.failed }
}

/** The failure as `--json` prints it: one object under `error`, the hint only when there is one. */
export function failureJson(failure: Failure): { error: Failure } {
  const { message, code, exitCode, hint } = failure
  return { error: { message, code, exitCode, ...(hint !== undefined ? { hint } : {}) } }
}

/** The failure as a terminal shows it: `Error: MESSAGE`, then `Hint: HINT` when there is one. */
export function failureText(failure: Failure): string {
  const hint = failure.hint !== undefined ? `Hint: ${showable(failure.hint)}\n` : ''
  return `Error: ${showable(failure.message)}\n${hint}`
}
