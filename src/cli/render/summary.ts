import type { RunResult } from '../../core/model/results.js'
import { formatDuration, formatFailure } from './format.js'

/** The closing summary: per group node counts, then every failure with its action, exit status and stderr. */
export function summary(result: RunResult): string[] {
  const outcome = result.ok ? 'done' : result.interrupted ? 'interrupted' : 'failed'
  const out = [
    '',
    `${result.command}${result.dryRun ? ' (dry run)' : ''} ${outcome} in ${formatDuration(result.durationMs)}`,
  ]
  for (const group of result.groups) {
    const by = (s: string) => group.nodes.filter((n) => n.status === s).length
    const parts = [`${group.nodes.length} node(s)`]
    for (const s of ['changed', 'ok', 'failed', 'interrupted']) if (by(s)) parts.push(`${by(s)} ${s}`)
    if (group.created.length) parts.push(`created ${group.created.join(', ')}`)
    if (group.destroyed.length) parts.push(`destroyed ${group.destroyed.join(', ')}`)
    out.push(`  ${group.name}: ${group.error ? `ERROR ${group.error}` : parts.join(', ')}`)
    for (const phase of group.phases.filter((p) => p.status === 'failed')) {
      // Stderr lines sit under their failure, not beside it.
      const [first, ...rest] = formatFailure(phase).split('\n')
      out.push(`    ${phase.node} failed in ${phase.phase}: ${first}`)
      for (const text of rest) out.push(`  ${text}`)
    }
  }
  return out
}
