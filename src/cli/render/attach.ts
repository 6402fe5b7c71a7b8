import type { EventListener, ForkliftEvent } from '../../core/events.js'
import type { GroupSpec } from '../../core/model/group.js'
import { interruptNotice } from './format.js'
import { listrRenderer } from './listr.js'
import { plainRenderer } from './plain.js'

export interface RenderOptions {
  json: boolean
  verbose: boolean
  command: 'lift' | 'converge'
  groups: GroupSpec[]
  /** Every phase of the run, in order (planPhases). */
  phases: string[]
}

/** Whether the terminal gets live tasks rather than plain lines. */
export function interactive(): boolean {
  // A terminal that reports no width (a bare pty) cannot hold live tasks: plain lines read better there.
  return (
    Boolean(process.stdout.isTTY) &&
    (process.stdout.columns ?? 0) > 0 &&
    !process.env.NO_COLOR &&
    !process.env.CI
  )
}

/** Subscribe the right renderer: one JSON document, listr2 tasks on a terminal, or plain lines. */
export function attachRenderer(
  bus: { on(listener: EventListener): () => void },
  options: RenderOptions,
): { done(): Promise<void> } {
  if (options.json) {
    bus.on((event: ForkliftEvent) => {
      if (event.type === 'run:end') process.stdout.write(`${JSON.stringify(event.result, null, 2)}\n`)
      // Said at once, as on a terminal; stdout holds the one JSON document.
      if (event.type === 'interrupt') process.stderr.write(`${interruptNotice(event.second, event.signal)}\n`)
    })
    return { done: async () => {} }
  }
  if (interactive()) {
    const renderer = listrRenderer(options)
    bus.on(renderer.listener)
    return { done: renderer.done }
  }
  bus.on(plainRenderer((line) => process.stdout.write(`${line}\n`), options.verbose))
  return { done: async () => {} }
}
