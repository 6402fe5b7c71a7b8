import { spawn } from 'node:child_process'

/** What running a command came to. */
export interface ProcessResult {
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  aborted: boolean
  /** The last lines of stdout and stderr together, for error messages. */
  tail: string[]
  durationMs: number
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  timeoutMs: number
  /** Stops the command early (SIGTERM, then SIGKILL): for steps that may be abandoned. */
  signal?: AbortSignal
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void
  /** Grace between SIGTERM and SIGKILL. */
  killGraceMs?: number
}

const TAIL = 20

/**
 * Run a command in its own process group, so a timeout ends it and everything it started.
 * Output is split into lines for `onLine`; the last lines are kept for the error message.
 */
export function runProcess(command: string, args: string[], options: RunOptions): Promise<ProcessResult> {
  const started = performance.now()
  return new Promise((resolve) => {
    const tail: string[] = []
    let timedOut = false
    let aborted = false
    const child = spawn(command, args, {
      cwd: options.cwd ?? '/',
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig)
      } catch {
        // already gone
      }
    }
    let killTimer: NodeJS.Timeout | undefined
    const stop = () => {
      kill('SIGTERM')
      killTimer ??= setTimeout(() => kill('SIGKILL'), options.killGraceMs ?? 5000)
    }
    const timer = setTimeout(() => {
      timedOut = true
      stop()
    }, options.timeoutMs)
    const onAbort = () => {
      aborted = true
      stop()
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    if (options.signal?.aborted) onAbort()
    for (const stream of ['stdout', 'stderr'] as const) {
      let rest = ''
      child[stream].setEncoding('utf8')
      child[stream].on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n')
        rest = lines.pop() ?? ''
        for (const line of lines) emitLine(line, stream)
      })
      child[stream].on('end', () => {
        if (rest) emitLine(rest, stream)
        rest = ''
      })
    }
    function emitLine(line: string, stream: 'stdout' | 'stderr') {
      tail.push(line)
      if (tail.length > TAIL) tail.shift()
      options.onLine?.(line, stream)
    }
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer)
      if (killTimer) clearTimeout(killTimer)
      options.signal?.removeEventListener('abort', onAbort)
      resolve({ code, signal, timedOut, aborted, tail, durationMs: Math.round(performance.now() - started) })
    }
    child.on('error', (error) => {
      tail.push(`${command}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)
      settle(127, null)
    })
    // A daemon started in the background may keep stdout open: the command is done when it exits;
    // output still in flight gets a moment, then the pipes are let go.
    let done = false
    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return
      done = true
      finish(code, signal)
    }
    child.on('exit', (code, signal) => {
      const drain = setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
        settle(code, signal)
      }, 200)
      child.once('close', () => {
        clearTimeout(drain)
        settle(code, signal)
      })
    })
  })
}

/** One line saying how a command ended, with its last output line. */
export function describeExit(what: string, result: ProcessResult, timeoutMs: number): string {
  const last = result.tail.filter((l) => l.trim()).at(-1)
  const how = result.timedOut
    ? `did not finish within ${timeoutMs} ms (killed)`
    : result.aborted
      ? 'was stopped'
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited with status ${result.code}`
  return `${what} ${how}${last ? `: ${last.trim()}` : ''}`
}

/** Whether a command ended well. */
export function succeeded(result: ProcessResult): boolean {
  return result.code === 0 && !result.timedOut && !result.aborted
}
