import { spawn } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'

/** One measured run of a contender's command. */
export interface Sample {
  wallMs: number
  /** user + sys of the whole waited-for child tree. */
  cpuMs: number
  /** The largest resident set of any one process in the tree (getrusage's ru_maxrss). */
  maxRssKb: number
  code: number | null
  output: string
}

/**
 * Run `argv` under /usr/bin/time, which reports the child tree's rusage (processes that detach, like
 * ssh's ControlPersist masters, are not counted). Wall time is taken here, around the spawn.
 */
export function measure(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeFile: string },
): Promise<Sample> {
  const args = ['-f', '%e %U %S %M', '-o', options.timeFile, '--', ...argv]
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn('/usr/bin/time', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    })
    const out: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => out.push(c))
    child.on('error', reject)
    child.on('close', async (code) => {
      const wallMs = performance.now() - started
      try {
        const text = await readFile(options.timeFile, 'utf8')
        await rm(options.timeFile, { force: true })
        // A failing command makes time print "Command exited with non-zero status N" first.
        const fields = text.trim().split('\n').at(-1)!.split(' ').map(Number)
        const [, user, sys, rss] = fields as [number, number, number, number]
        resolve({
          wallMs,
          cpuMs: (user + sys) * 1000,
          maxRssKb: rss,
          code,
          output: Buffer.concat(out).toString('utf8'),
        })
      } catch (error) {
        reject(error)
      }
    })
  })
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Spread as (max − min) / median, a share. */
export function spread(values: number[]): number {
  const m = median(values)
  return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / m
}
