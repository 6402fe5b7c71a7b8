import type { BatchSize } from './options.js'

/** Split items into rolling batches; one batch holding everything when no size is given. */
export function splitBatches<T>(items: T[], size?: BatchSize): T[][] {
  if (!size || items.length === 0) return [items]
  const per = 'count' in size ? size.count : Math.ceil((items.length * size.percent) / 100)
  const step = Math.max(1, per)
  const out: T[][] = []
  for (let i = 0; i < items.length; i += step) out.push(items.slice(i, i + step))
  return out
}

/** Parse `--batch` as `N` or `N%`; undefined for an invalid value. */
export function parseBatch(value: string): BatchSize | undefined {
  const match = /^(\d+)(%?)$/.exec(value.trim())
  if (!match) return undefined
  const n = Number(match[1])
  if (n <= 0 || (match[2] && n > 100)) return undefined
  return match[2] ? { percent: n } : { count: n }
}
