// Ctrl-C (SIGINT), SIGTERM and SIGHUP take one path: the first stops new work, the second aborts what
// runs. The entry holds them from its first moment, so one that comes while the CLI is still loading
// is kept for the run (which then reports it) instead of ending the process silently.

/** The signals that interrupt a run. */
export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number]

/** Told of every interrupt, with how many came so far (1: stop, 2: abort). */
export type InterruptListener = (signal: InterruptSignal, count: number) => void

const received: InterruptSignal[] = []
let listener: InterruptListener | undefined
let holding = false

const exitCodes: Record<InterruptSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 }

function onSignal(signal: NodeJS.Signals): void {
  const sig = signal as InterruptSignal
  received.push(sig)
  // The terminal may be gone (a hang-up): output that cannot be written is dropped, not fatal.
  if (sig === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
  if (listener) {
    // Past the abort, the run is cleaning up; one more signal means "now": exit handlers still run.
    if (received.length > 2) process.exit(exitCodes[sig])
    listener(sig, received.length)
  } else if (received.length > 2) process.exit(exitCodes[sig])
}

/** From the entry on, interrupts are kept for the run instead of ending the process. */
export function holdInterrupts(): void {
  if (holding) return
  holding = true
  for (const signal of INTERRUPT_SIGNALS) process.on(signal, onSignal)
}

/**
 * Take the interrupts: `handle` hears those already received (in order) at once, then each new one.
 * Returns the release, after which the signals end the process again as Node's default would.
 */
export function takeInterrupts(handle: InterruptListener): () => void {
  holdInterrupts()
  listener = handle
  for (const [index, signal] of received.entries()) handle(signal, index + 1)
  return () => {
    if (listener !== handle) return
    listener = undefined
    holding = false
    for (const signal of INTERRUPT_SIGNALS) process.off(signal, onSignal)
  }
}
