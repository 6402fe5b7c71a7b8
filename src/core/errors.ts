import { inspect } from 'node:util'

// Forklift's one error vocabulary. Every error Forklift raises on purpose is a ForkliftError: it carries
// the exit status of the command it ends, a stable code for programs reading `--json`, and optionally a
// hint saying what to do. The CLI maps them to output in one place (cli/command.ts) and never sorts them
// by name. Kept a leaf module: anything in core may import it.

/** Exit statuses of every command: success, a node failed or the run stopped, a usage or config mistake. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** One of the exit statuses of EXIT. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** What a ForkliftError may be given besides its message. */
export interface ForkliftErrorOptions extends ErrorOptions {
  /** What the user can do about it, shown after the message. */
  hint?: string
}

/** Marks Forklift's errors across module copies (a plugin's own copy of forklift, a bundled one). */
const BRAND = Symbol.for('forklift.error')

/** The base of Forklift's errors: a message for the user, the exit status, a stable code, a hint. */
export class ForkliftError extends Error {
  override name = 'ForkliftError'
  /** Stable identifier of the kind of failure (e.g. `CONFIG`), for programs reading `--json`. */
  readonly code: string
  /** Exit status of a command this error ends. */
  readonly exitCode: ExitCode
  /** What the user can do about it. */
  declare readonly hint?: string

  constructor(message: string, options: ForkliftErrorOptions & { code: string; exitCode: ExitCode }) {
    const { code, exitCode, hint, ...rest } = options
    super(message, rest)
    this.code = code
    this.exitCode = exitCode
    if (hint !== undefined) this.hint = hint
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/** Whether `value` is a ForkliftError, even one made by another copy of this module. */
export function isForkliftError(value: unknown): value is ForkliftError {
  return value instanceof ForkliftError || (value instanceof Error && BRAND in value)
}

/** A mistake in what the user typed (an unknown group, a malformed flag value): exit status 2. */
export class UsageError extends ForkliftError {
  override name = 'UsageError'
  constructor(message: string, options: ForkliftErrorOptions & { code?: string } = {}) {
    super(message, { code: 'USAGE', ...options, exitCode: EXIT.usage })
  }
}

/**
 * A provider cannot do what forklift.yaml asks (bad settings, no credentials, a refused call), in one
 * line the user can act on: exit status 2. Provider plugins throw it, imported from `forklift`.
 */
export class ProviderError extends ForkliftError {
  override name = 'ProviderError'
  constructor(message: string, options: ForkliftErrorOptions = {}) {
    super(message, { ...options, code: 'PROVIDER', exitCode: EXIT.usage })
  }
}

/**
 * A crate cannot be used: not found, malformed, or (with exit status 1) it failed on a node. Exit
 * status 2 unless given.
 */
export class CrateError extends ForkliftError {
  override name = 'CrateError'
  /** Where the crate's code threw: the frames of its own files, one per line, when it did. */
  declare crateStack?: string
  constructor(message: string, options: ForkliftErrorOptions & { exitCode?: ExitCode } = {}) {
    super(message, { exitCode: EXIT.usage, ...options, code: 'CRATE' })
  }
}

/** The one-line message of anything thrown: an Error's message, a string, or the value shown as Node shows it. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  if (typeof error === 'string') return error
  if (typeof error === 'object' && error !== null) {
    const message = (error as { message?: unknown }).message
    if (typeof message === 'string') return message
  }
  return inspect(error, { depth: 2, breakLength: Number.POSITIVE_INFINITY })
}
