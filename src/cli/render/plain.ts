import type { ForkliftEvent } from '../../core/events.js'
import {
  type ActionView,
  crateFrames,
  formatAction,
  formatCounts,
  formatDuration,
  formatFailure,
  formatLog,
  indentBlock,
  interruptNotice,
  shownDiff,
  showsAction,
} from './format.js'
import { showable } from './showable.js'
import { summary } from './summary.js'

/** How often a long phase prints how far it is, per node. */
export const PLAIN_PROGRESS_MS = 10_000

/**
 * Timestamped lines, for pipes, CI and NO_COLOR terminals; what nodes sent is shown as text (showable).
 * A node's phase that runs long gets a progress line every `progressEveryMs`.
 */
export function plainRenderer(
  writeRaw: (line: string) => void,
  verbose: boolean,
  progressEveryMs = PLAIN_PROGRESS_MS,
) {
  const write = (text: string) => writeRaw(showable(text))
  const stamp = () => new Date().toISOString().slice(11, 19)
  const line = (who: string, text: string) => write(`${stamp()} ${who.padEnd(14)} ${text}`)
  const view: ActionView = { verbose, dryRun: false }
  // When each node's phase last said something: its start, then each progress line.
  const said = new Map<string, number>()
  const key = (e: { group: string; phase: string; node: string }) => `${e.group}\0${e.phase}\0${e.node}`
  return (event: ForkliftEvent) => {
    switch (event.type) {
      case 'run:start':
        view.dryRun = event.dryRun
        line(
          'forklift',
          `${event.command}${event.dryRun ? ' (dry run)' : ''}: ${event.groups.join(', ') || 'no groups'}`,
        )
        break
      case 'group:nodes':
        line(
          event.group,
          event.desired === undefined
            ? `${event.existing} node(s)`
            : `${event.existing} node(s), want ${event.desired}: create ${event.create}, destroy ${event.destroy}`,
        )
        break
      case 'group:error':
        line(event.group, `ERROR ${event.message}`)
        break
      case 'node:created':
        line(
          event.node.name,
          `created (${event.node.address}${event.node.port ? `:${event.node.port}` : ''})`,
        )
        break
      case 'node:destroyed':
        line(event.node.name, 'destroyed')
        break
      case 'phase:start':
        line(event.group, `${event.phase} on ${event.nodes.length} node(s)`)
        break
      case 'node:phase:start':
        said.set(key(event), performance.now())
        break
      case 'node:phase:progress': {
        const now = performance.now()
        if (now - (said.get(key(event)) ?? 0) < progressEveryMs) break
        said.set(key(event), now)
        line(event.node, `${event.phase}: ${event.done}/${event.total} actions done`)
        break
      }
      case 'node:action': {
        // A failed action always gets its line here: the phase's FAILED line follows it.
        if (!showsAction(event.result, view) && event.result.status !== 'failed') break
        line(event.node, `  ${formatAction(event.result)}`)
        const diff = shownDiff(event.result, view)
        if (diff) write(indentBlock(diff, 4))
        break
      }
      case 'node:phase:end': {
        const r = event.result
        said.delete(key(r))
        if (r.status === 'failed') {
          line(r.node, `${r.phase} FAILED: ${formatFailure(r)}`)
          const frames = crateFrames(r, verbose)
          if (frames) write(frames)
        } else
          line(r.node, `${r.phase} ${r.status} (${formatCounts(r.counts)}) ${formatDuration(r.durationMs)}`)
        break
      }
      case 'log':
        line(event.node ?? event.group ?? 'forklift', formatLog(event))
        break
      case 'interrupt':
        line('forklift', interruptNotice(event.second, event.signal))
        break
      case 'run:end':
        for (const text of summary(event.result)) write(text)
        break
      default:
        break
    }
  }
}
