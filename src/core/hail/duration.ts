import { UsageError } from '../errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }

/**
 * Parse a duration in milliseconds: `250ms`, `30s`, `5m`, `1h`, or a bare number in `bareUnit`
 * (hail's `--poll-period 5` means minutes).
 */
export function parseDuration(text: string, what: string, bareUnit: 'm' | 's' = 'm'): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|min|h)?\s*$/.exec(text)
  if (!match)
    throw new UsageError(
      `${what} "${text}": expected a duration like 5 (${unitName(bareUnit)}), 30s, 5m, 1h or 250ms`,
    )
  const value = Number(match[1]) * UNITS[match[2] ?? bareUnit]!
  if (!(value > 0)) throw new UsageError(`${what} "${text}": must be greater than zero`)
  return Math.round(value)
}

function unitName(unit: 'm' | 's'): string {
  return unit === 'm' ? 'minutes' : 'seconds'
}

/** A short human form of a duration: 250ms, 30s, 5m, 1h30m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  if (minutes < 60) return seconds ? `${minutes}m${seconds}s` : `${minutes}m`
  const hours = Math.floor(minutes / 60)
  return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`
}
