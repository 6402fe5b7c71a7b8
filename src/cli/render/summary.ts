import type { NodeSkip, RunResult } from '../../core/model/results.js'
import { formatDuration, formatFailure } from './format.js'

const SKIP_REASONS: Record<NodeSkip['reason'], string> = {
  'max-fail': 'max-fail reached',
  interrupted: 'interrupted',
  'group-error': 'group error',
}

function outcome(result: RunResult): string {
  if (result.ok) return 'done'
  if (result.interrupted) return 'interrupted'
  return result.stopped === 'max-fail' ? 'stopped at --max-fail' : 'failed'
}

/** The closing summary: per group node counts, then every failure with its action, exit status and stderr. */
export function summary(result: RunResult): string[] {
  const out = [
    '',
    `${result.command}${result.dryRun ? ' (dry run)' : ''} ${outcome(result)} in ${formatDuration(result.durationMs)}`,
  ]
  for (const group of result.groups) {
    const by = (s: string) => group.nodes.filter((n) => n.status === s).length
    const parts = [`${group.nodes.length} node(s)`]
    for (const s of ['changed', 'ok', 'failed', 'interrupted']) if (by(s)) parts.push(`${by(s)} ${s}`)
    const reasons = [
      ...new Set(group.nodes.flatMap((n) => (n.skipped ? [SKIP_REASONS[n.skipped.reason]] : []))),
    ]
    if (by('skipped')) parts.push(`${by('skipped')} skipped (${reasons.join(', ')})`)
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
