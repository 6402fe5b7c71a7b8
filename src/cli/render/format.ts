import type { ForkliftEvent } from '../../core/events.js'
import type { NodePhaseResult } from '../../core/model/results.js'

/** `3 changed, 10 ok` — the non-zero counts of a node's phase. */
export function formatCounts(counts: NodePhaseResult['counts']): string {
  const parts: string[] = []
  if (counts.changed) parts.push(`${counts.changed} changed`)
  if (counts.ok) parts.push(`${counts.ok} ok`)
  if (counts.failed) parts.push(`${counts.failed} failed`)
  if (counts.skipped) parts.push(`${counts.skipped} skipped`)
  return parts.join(', ') || 'nothing to do'
}

/** Milliseconds as a short human duration. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`
}

/** The failure of a node's phase in one line, then its stderr indented. */
export function formatFailure(result: NodePhaseResult): string {
  const error = result.error
  if (!error) return 'failed'
  let text = error.message
  if (error.exitCode !== undefined && !text.includes(`exit ${error.exitCode}`))
    text += ` (exit ${error.exitCode})`
  if (error.stderr?.trim()) {
    text += `\n${error.stderr
      .trimEnd()
      .split('\n')
      .slice(-10)
      .map((l) => `    | ${l}`)
      .join('\n')}`
  }
  return text
}

/** Rows as aligned columns, two spaces apart, with no trailing blanks. */
export function formatTable(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? []
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  )
}

/** A log event's text, `WARN ` first for a warning. */
export function formatLog(event: Extract<ForkliftEvent, { type: 'log' }>): string {
  return `${event.level === 'warn' ? 'WARN ' : ''}${event.message}`
}

/** What Ctrl-C does, said at once: the first stops new work, the second aborts running scripts. */
export function interruptNotice(second: boolean): string {
  return second
    ? 'interrupted again: aborting running scripts'
    : 'interrupted: finishing running scripts, starting nothing new (press Ctrl-C again to abort)'
}
