import type { Clock } from '../../src/core/hail/clock.js'

/** A clock whose waits take no real time: each sleep moves `now` forward and records its length. */
export function fakeClock(start = new Date('2026-01-01T00:00:00Z')): Clock & { slept: number[] } {
  let now = start.getTime()
  const slept: number[] = []
  return {
    slept,
    now: () => new Date(now),
    async sleep(ms, signal) {
      if (signal.aborted) return
      slept.push(ms)
      now += ms
      // Yield once, so a loop of sleeps still lets other work (and aborts) run.
      await new Promise((resolve) => setImmediate(resolve))
    },
  }
}
