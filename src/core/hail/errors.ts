/** A mistake in what the user typed or configured: shown as one line, exit status 2. */
export class HailUsageError extends Error {
  override name = 'UsageError'
}

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

/** A failure with the stage it happened in, so status and hooks can say where it broke. */
export class HailError extends Error {
  override name = 'HailError'
  constructor(
    readonly stage: HailStage,
    message: string,
  ) {
    super(message)
  }
}

/** The one-line message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
