import { setTimeout as sleep } from 'node:timers/promises'
import type { EC2Client } from '@aws-sdk/client-ec2'
import { awsErrorCode, isThrottling } from './errors.js'

// How calls to EC2 are made to behave: every failure names its own action, and the NotFound answers
// EC2 gives right after something was made are waited out, a bounded number of times.

/** Mark every failure of the client's calls with the EC2 action that failed (EC2's errors do not name it). */
export function labelFailures(client: EC2Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args)
      } catch (error) {
        if (error instanceof Error && !('$action' in error)) {
          Object.defineProperty(error, '$action', {
            value: String(context.commandName ?? '').replace(/Command$/, ''),
            enumerable: false,
          })
        }
        throw error
      }
    },
    { step: 'initialize', name: 'forkliftActionLabel' },
  )
}

/** How long to keep trying a resource EC2 does not see yet: tries, first wait, and the interruption. */
export interface Patience {
  attempts: number
  firstDelayMs: number
  signal?: AbortSignal
}

/**
 * Run `call`, trying again with a doubling wait while EC2 answers one of `codes` (a resource just
 * made and not yet seen everywhere, as botocore's SecurityGroupExists and KeyPairExists waiters wait
 * out): at most `attempts` tries, then the last answer stands. Any other failure stands at once.
 */
export async function untilSeen<T>(codes: string[], patience: Patience, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (!codes.includes(awsErrorCode(error) ?? '') || attempt >= patience.attempts) throw error
      await sleep(
        patience.firstDelayMs * 2 ** (attempt - 1),
        undefined,
        patience.signal ? { signal: patience.signal } : {},
      )
    }
  }
}

/** Whether a polling loop may ask again after this failure: EC2 not seeing new ids yet, or throttling. */
export function worthAskingAgain(error: unknown): boolean {
  const code = awsErrorCode(error)
  return code === 'InvalidInstanceID.NotFound' || isThrottling(code)
}
