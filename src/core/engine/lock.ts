import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { EXIT, errorMessage, ForkliftError, type ForkliftErrorOptions } from '../errors.js'
import type { EventSink } from '../events.js'

/** Another converge of the same project holds its lock. */
export class ProjectLockedError extends ForkliftError {
  override name = 'ProjectLockedError'
  constructor(message: string, options: ForkliftErrorOptions = {}) {
    super(message, { ...options, code: 'PROJECT_LOCKED', exitCode: EXIT.failed })
  }
}

/**
 * Hold the project's converge lock (`.forklift/converge.lock` beside forklift.yaml) until the returned
 * release is called: two converges at once would both count a group short and both create its nodes.
 * A lock left by a killed run goes stale after 10 s. A project folder that cannot be written is
 * converged without the lock, with a warning.
 */
export async function lockProject(projectDir: string, events: EventSink): Promise<() => Promise<void>> {
  const dir = join(projectDir, '.forklift')
  const target = join(dir, 'converge')
  const unlocked = async () => {}
  const warn = (message: string) => events.emit({ type: 'log', level: 'warn', message })
  try {
    await mkdir(dir, { recursive: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    warn(
      `cannot create ${dir} (${code}): converging without the project lock; make sure no other converge of this project runs`,
    )
    return unlocked
  }
  const { default: lockfile } = await import('proper-lockfile')
  try {
    const release = await lockfile.lock(target, {
      realpath: false,
      stale: 10_000,
      update: 2_000,
      retries: 0,
      onCompromised: (error) =>
        warn(`the project lock ${target}.lock was lost (${error.message}); another converge may start`),
    })
    // Already gone when the lock was lost: nothing to release then.
    return () => release().catch(() => {})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ELOCKED') {
      throw new ProjectLockedError(
        `another converge of this project is running (lock ${target}.lock); wait for it to finish (a lock left by a killed run goes stale after 10 s)`,
      )
    }
    warn(
      `cannot take the project lock ${target}.lock (${code ?? errorMessage(error)}): converging without it`,
    )
    return unlocked
  }
}
