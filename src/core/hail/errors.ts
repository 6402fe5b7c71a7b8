import { EXIT, ForkliftError } from '../errors.js'

// A mistake in what the user typed or configured is core's UsageError (exit status 2).

/** Where a deployment or poll failed; carried in events, status.json and the on-failure hook. */
export type HailStage =
  | 'poll'
  | 'realise'
  | 'download'
  | 'verify'
  | 'unpack'
  | 'switch'
  | 'activate'
  | 'health-check'
  | 'rollback'

/** A failure with the stage it happened in, so status and hooks can say where it broke: exit status 1. */
export class HailError extends ForkliftError {
  override name = 'HailError'
  constructor(
    readonly stage: HailStage,
    message: string,
  ) {
    super(message, { code: 'HAIL', exitCode: EXIT.failed })
  }
}
