import { readFileSync } from 'node:fs'
import { link, readFile, rm, writeFile } from 'node:fs/promises'
import { HailUsageError } from './errors.js'

/** Raised when another live process holds the lock; names its pid. */
export class LockHeldError extends HailUsageError {
  constructor(
    message: string,
    readonly pid: number,
  ) {
    super(message)
  }
}

/** A process's start time in clock ticks since boot (Linux), to tell a live holder from a reused pid. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function alive(pid: number, start: string | undefined): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const now = startTime(pid)
  return !(start && now && now !== start)
}

/** The pid of the live process holding a pid lock file, if any. */
export async function lockHolder(path: string): Promise<number | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return undefined
  }
  const [pidText, start] = text.trim().split(/\s+/)
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  return alive(pid, start) ? pid : undefined
}

/**
 * Take a pid lock: the file is created whole with link(2), which fails if it exists, so two
 * starters cannot both win. A file left by a dead process (or a reused pid) is stale and replaced.
 * While a live process holds it, wait up to `waitMs` (0: refuse at once with `refusal(pid)`).
 */
export async function acquirePidLock(
  path: string,
  refusal: (pid: number) => string,
  waitMs = 0,
): Promise<{ release(): Promise<void> }> {
  const content = `${process.pid} ${startTime(process.pid) ?? ''}\n`
  const temp = `${path}.${process.pid}.tmp`
  const deadline = Date.now() + waitMs
  await writeFile(temp, content)
  try {
    for (let stale = 0; stale < 5; ) {
      try {
        await link(temp, path)
        return {
          async release() {
            const now = await readFile(path, 'utf8').catch(() => '')
            if (now === content) await rm(path, { force: true })
          },
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const holder = await lockHolder(path)
      if (holder === undefined) {
        await rm(path, { force: true })
        stale++
        continue
      }
      if (Date.now() >= deadline) throw new LockHeldError(refusal(holder), holder)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new HailUsageError(`${path}: could not take the lock`)
  } finally {
    await rm(temp, { force: true })
  }
}
