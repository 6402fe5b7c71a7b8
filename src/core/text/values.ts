// How values and key paths read in messages. A leaf: imports nothing of Forklift's.

/** A path of keys and list indexes into parsed data. */
export type KeyPath = (string | number)[]

/** The longest quoted value a message shows whole. */
const SHOWN_VALUE = 40

/**
 * How a found value reads in a message: strings quoted (whole: the message is redacted first and
 * cut by cutQuotedValues after, so no cut ever shows part of a secret), collections named.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'an empty value'
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list'
  if (typeof value === 'object') return 'a map'
  return String(value)
}

/** A redacted message with each quoted value longer than SHOWN_VALUE cut to `"first…..."`. */
export function cutQuotedValues(message: string): string {
  return message.replace(/"(?:[^"\\]|\\.)*"/g, (literal) => {
    const value = JSON.parse(literal) as string
    return value.length > SHOWN_VALUE ? JSON.stringify(`${value.slice(0, SHOWN_VALUE - 3)}...`) : literal
  })
}

/** `groups.web.phases.configure[0].path` from `['groups','web','phases','configure',0,'path']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (/^[A-Za-z0-9_$-]+$/.test(String(segment))) out += out ? `.${String(segment)}` : String(segment)
    else out += `[${JSON.stringify(String(segment))}]`
  }
  return out
}

/** A map (not null, not a list). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Text on one line: line breaks and the blanks around them become one space. */
export const oneLine = (text: string) => text.trim().replace(/\s*[\r\n]+\s*/g, ' ')
