import { Errors } from '@oclif/core'

/** Errors that come from what the user wrote or typed: shown as one line, exit status 2, no stack. */
const USER_ERRORS = new Set([
  'ConfigError',
  'UsageError',
  'CrateError',
  'RegistryError',
  'ProviderError',
  // Pods cannot be isolated here as asked: the user installs bubblewrap or opts down.
  'PodSandboxError',
])

/** Refusals that are no one's mistake (another run holds the project): one line, exit status 1. */
const REFUSALS = new Set(['ProjectLockedError'])

/** Turn a user mistake into oclif's clean exit-2 error; anything else stays a bug with its stack. */
export function reportError(error: unknown): never {
  if (error instanceof Error && USER_ERRORS.has(error.name)) {
    throw new Errors.CLIError(error.message, { exit: 2 })
  }
  if (error instanceof Error && REFUSALS.has(error.name)) {
    throw new Errors.CLIError(error.message, { exit: 1 })
  }
  throw error
}
