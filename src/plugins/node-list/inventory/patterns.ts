const MAX_RANGE = 10000

function rangeSize(start: string, end: string): number {
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) return Number(end) - Number(start)
  return end.charCodeAt(0) - start.charCodeAt(0)
}

/** Expand `web[01:03].example.com` (and `[a:c]`, `[1:9:2]`) into host names. */
export function expandPattern(pattern: string, fail: (message: string) => never): string[] {
  const open = pattern.indexOf('[')
  if (open < 0) return [pattern]
  const close = pattern.indexOf(']', open)
  if (close < 0) fail(`host range in "${pattern}" has no closing ]`)
  const range = pattern.slice(open + 1, close)
  const parts = range.split(':')
  if (parts.length < 2 || parts.length > 3)
    fail(`bad host range [${range}] in "${pattern}": expected [START:END] or [START:END:STEP]`)
  const [start, end, stepText] = parts as [string, string, string?]
  const step = stepText === undefined ? 1 : Number(stepText)
  if (!Number.isInteger(step) || step < 1) fail(`bad step "${stepText}" in host range [${range}]`)
  if (Math.abs(rangeSize(start, end) / step) > MAX_RANGE)
    fail(`host range [${range}] holds more than ${MAX_RANGE} hosts`)
  const before = pattern.slice(0, open)
  const after = pattern.slice(close + 1)
  const values: string[] = []
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const from = Number(start)
    const to = Number(end)
    if (to < from) fail(`host range [${range}] ends before it starts`)
    // A leading zero fixes the width: [01:10] gives 01 … 10.
    const width = start.startsWith('0') && start.length > 1 ? start.length : 0
    for (let n = from; n <= to; n += step) values.push(String(n).padStart(width, '0'))
  } else if (/^[a-zA-Z]$/.test(start) && /^[a-zA-Z]$/.test(end)) {
    const from = start.charCodeAt(0)
    const to = end.charCodeAt(0)
    if (to < from) fail(`host range [${range}] ends before it starts`)
    for (let c = from; c <= to; c += step) values.push(String.fromCharCode(c))
  } else {
    fail(`bad host range [${range}] in "${pattern}": use numbers ([01:20]) or single letters ([a:f])`)
  }
  return values.flatMap((value) => expandPattern(`${before}${value}${after}`, fail))
}
