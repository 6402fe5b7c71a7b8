import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import pLimit from 'p-limit'

/** One queue per lock file: proper-lockfile refuses a second holder in the same process rather than waiting. */
const queues = new Map<string, ReturnType<typeof pLimit>>()

/**
 * Run `task` holding the project's address lock (`<root>/addresses.lock`): groups of one run and
 * converges of other processes read the machine markers and write their own one after another, so
 * no two machines are handed the same address or port. A lock left by a killed process goes stale after 10 s.
 */
export async function withAllocationLock<T>(root: string, task: () => Promise<T>): Promise<T> {
  const target = join(root, 'addresses')
  if (!queues.has(target)) queues.set(target, pLimit(1))
  return queues.get(target)!(async () => {
    await mkdir(root, { recursive: true })
    const { default: lockfile } = await import('proper-lockfile')
    const release = await lockfile.lock(target, {
      realpath: false,
      stale: 10_000,
      update: 2_000,
      // Another process allocates for a few seconds at most (vagrant is not run under the lock).
      retries: { retries: 120, minTimeout: 100, maxTimeout: 500 },
    })
    try {
      return await task()
    } finally {
      await release().catch(() => {})
    }
  })
}
