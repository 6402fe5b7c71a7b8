import { readFileSync } from 'node:fs'
import { link, readFile, rm, writeFile } from 'node:fs/promises'
import { UsageError } from '../errors.js'

/** Raised when another live process holds the lock; names its pid. */
export class LockHeldError extends UsageError {
  constructor(
    message: string,
    readonly pid: number,
  ) {
    super(message, { code: 'HAIL_LOCKED' })
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

/** The live holder named by a lock file's text, if any. */
function holderOf(text: string): number | undefined {
  const [pidText, start] = text.trim().split(/\s+/)
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  return alive(pid, start) ? pid : undefined
}

/** The pid of the live process holding a pid lock file, if any. */
export async function lockHolder(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined)
  return text === undefined ? undefined : holderOf(text)
}

/**
 * Remove the stale lock whose text was `seen`. Two starters can both find it stale: only the one
 * holding `PATH.break` removes it, and only if it still reads `seen`, so neither removes the fresh
 * lock the other has just taken. False when another process was clearing it.
 */
async function clearStale(path: string, temp: string, seen: string): Promise<boolean> {
  const breaker = `${path}.break`
  try {
    await link(temp, breaker)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    // Someone else is clearing it; a breaker left by a dead process is cleared in turn.
    if ((await lockHolder(breaker)) === undefined) await rm(breaker, { force: true })
    await new Promise((resolve) => setTimeout(resolve, 20))
    return false
  }
  try {
    if ((await readFile(path, 'utf8').catch(() => undefined)) === seen) await rm(path, { force: true })
    return true
  } finally {
    await rm(breaker, { force: true })
  }
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
      const seen = await readFile(path, 'utf8').catch(() => undefined)
      if (seen === undefined) continue
      const holder = holderOf(seen)
      if (holder === undefined) {
        if (await clearStale(path, temp, seen)) stale++
        else if (Date.now() >= deadline + 5000) break
        continue
      }
      if (Date.now() >= deadline) throw new LockHeldError(refusal(holder), holder)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new UsageError(`${path}: could not take the lock`)
  } finally {
    await rm(temp, { force: true })
  }
}
