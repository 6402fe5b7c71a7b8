import type { ForkliftEvent } from '../../core/events.js'
import type { RunResult } from '../../core/model/results.js'
import { formatCounts, formatDuration, formatFailure } from './format.js'

/** Timestamped lines, for pipes, CI and NO_COLOR terminals. */
export function plainRenderer(write: (line: string) => void, verbose: boolean) {
  const stamp = () => new Date().toISOString().slice(11, 19)
  const line = (who: string, text: string) => write(`${stamp()} ${who.padEnd(14)} ${text}`)
  return (event: ForkliftEvent) => {
    switch (event.type) {
      case 'run:start':
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
      case 'node:action':
        if (verbose || event.result.status === 'failed') {
          line(
            event.node,
            `  ${event.result.status.padEnd(7)} ${event.result.summary}${event.result.message ? `: ${event.result.message}` : ''}`,
          )
          if (verbose && event.result.diff) write(indentBlock(event.result.diff))
        }
        break
      case 'node:phase:end': {
        const r = event.result
        if (r.status === 'failed') line(r.node, `${r.phase} FAILED: ${formatFailure(r)}`)
        else
          line(r.node, `${r.phase} ${r.status} (${formatCounts(r.counts)}) ${formatDuration(r.durationMs)}`)
        break
      }
      case 'log':
        line(
          event.node ?? event.group ?? 'forklift',
          `${event.level === 'warn' ? 'WARN ' : ''}${event.message}`,
        )
        break
      case 'interrupt':
        line(
          'forklift',
          event.second
            ? 'interrupted again: aborting running scripts'
            : 'interrupted: finishing running scripts, starting nothing new (Ctrl-C again to abort)',
        )
        break
      case 'run:end':
        for (const text of summary(event.result)) write(text)
        break
      default:
        break
    }
  }
}

const indentBlock = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')

/** The closing summary: per group node counts, then every failure. */
export function summary(result: RunResult): string[] {
  const out = [
    '',
    `${result.command} ${result.ok ? 'done' : result.interrupted ? 'interrupted' : 'failed'} in ${formatDuration(result.durationMs)}`,
  ]
  for (const group of result.groups) {
    const by = (s: string) => group.nodes.filter((n) => n.status === s).length
    const parts = [`${group.nodes.length} node(s)`]
    for (const s of ['changed', 'ok', 'failed', 'interrupted']) if (by(s)) parts.push(`${by(s)} ${s}`)
    if (group.created.length) parts.push(`created ${group.created.join(', ')}`)
    if (group.destroyed.length) parts.push(`destroyed ${group.destroyed.join(', ')}`)
    out.push(`  ${group.name}: ${group.error ? `ERROR ${group.error}` : parts.join(', ')}`)
    for (const phase of group.phases.filter((p) => p.status === 'failed')) {
      out.push(`    ${phase.node} failed in ${phase.phase}: ${formatFailure(phase)}`)
    }
  }
  return out
}
