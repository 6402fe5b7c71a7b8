/** Time as the watcher sees it: real in use, simulated in tests so waits take no time. */
export interface Clock {
  /** The current time. */
  now(): Date
  /** Wait `ms`, or less when `signal` fires. */
  sleep(ms: number, signal: AbortSignal): Promise<void>
}

/** The machine's own clock and timers. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve()
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done, { once: true })
    }),
}
