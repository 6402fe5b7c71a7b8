import type { ForkliftEvent } from '../../core/events.js'
import type { ActionResult, NodePhaseResult } from '../../core/model/results.js'

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

/** The longest action summary a line shows. */
const SUMMARY_WIDTH = 60
/** The longest message line shown. */
const LINE_WIDTH = 300

/**
 * Text cut to `width` characters with `…`. Renderers cut only what the event bus has already
 * redacted, so a cut never shows part of a secret.
 */
export function cut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text
}

const cutLines = (text: string, width: number) =>
  text
    .split('\n')
    .map((l) => cut(l, width))
    .join('\n')

/** The failure of a node's phase in one line, then its stderr indented. */
export function formatFailure(result: NodePhaseResult): string {
  const error = result.error
  if (!error) return 'failed'
  let text = cutLines(error.message, LINE_WIDTH)
  if (error.exitCode !== undefined && !text.includes(`exit ${error.exitCode}`))
    text += ` (exit ${error.exitCode})`
  if (error.stderr?.trim()) {
    text += `\n${error.stderr
      .trimEnd()
      .split('\n')
      .slice(-10)
      .map((l) => `    | ${cut(l, LINE_WIDTH)}`)
      .join('\n')}`
  }
  return text
}

/** Under --verbose, the frames of a crate's own files where its code threw, indented under its failure. */
export function crateFrames(result: NodePhaseResult, verbose: boolean, width = 4): string | undefined {
  const stack = result.error?.stack
  return verbose && stack ? indentBlock(cutLines(stack, LINE_WIDTH), width) : undefined
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

/** What a run shows of its actions besides the counts. */
export interface ActionView {
  verbose: boolean
  dryRun: boolean
}

/**
 * Whether an action gets its own line: every one with --verbose, and in a dry run the ones that would
 * change (that is what a dry run is for). Failures are left to each renderer, which names them anyway.
 */
export function showsAction(result: ActionResult, view: ActionView): boolean {
  return view.verbose || (view.dryRun && (result.status === 'changed' || result.status === 'after'))
}

/** `changed file /etc/motd: would update content` — status, type, target, message. */
export function formatAction(result: ActionResult): string {
  const message = result.message ? `: ${cutLines(result.message, LINE_WIDTH)}` : ''
  return `${result.status.padEnd(7)} ${cut(result.summary, SUMMARY_WIDTH)}${message}`
}

/** The action's diff when the view shows diffs (always beside its action line), without trailing blanks. */
export function shownDiff(result: ActionResult, view: ActionView): string | undefined {
  return (view.verbose || view.dryRun) && result.diff?.trim() ? result.diff.trimEnd() : undefined
}

/** A log event's text, `WARN ` first for a warning. */
export function formatLog(event: Extract<ForkliftEvent, { type: 'log' }>): string {
  return `${event.level === 'warn' ? 'WARN ' : ''}${event.message}`
}

/**
 * What an interrupt does, said at once: the first stops new work, the second aborts running scripts.
 * Ctrl-C (SIGINT) is named as the key; SIGTERM and SIGHUP, which do the same, by their names.
 */
export function interruptNotice(second: boolean, signal = 'SIGINT'): string {
  const by = signal === 'SIGINT' ? '' : ` (${signal})`
  if (second) return `interrupted again${by}: aborting running scripts`
  const again =
    signal === 'SIGINT' ? 'press Ctrl-C again to abort' : 'another SIGTERM, SIGHUP or Ctrl-C aborts'
  return `interrupted${by}: finishing running scripts, starting nothing new (${again})`
}

/** Every line of a block indented by `width` spaces (blank lines stay empty). */
export function indentBlock(text: string, width: number): string {
  const pad = ' '.repeat(width)
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n')
}
