import type { z } from 'zod'
import { closest } from './closest.js'
import { describeValue, formatPath, isPlainObject, type KeyPath } from './values.js'

// Zod's issues as plain sentences (`expected X, got Y`, missing keys, unknown keys with a hint).

/** The fields of zod's issues this module reads (raw issues in the error map, final ones after). */
interface Issue {
  code?: string
  path: PropertyKey[]
  message: string
  input?: unknown
  inst?: unknown
  expected?: string
  origin?: string
  minimum?: number | bigint
  maximum?: number | bigint
  inclusive?: boolean
  exact?: boolean
  format?: string
  pattern?: string
  prefix?: string
  suffix?: string
  includes?: string
  divisor?: number
  values?: readonly unknown[]
  options?: readonly unknown[]
  discriminator?: string
  errors?: Issue[][]
  /** The schema that owns the issue (raw issues only). */
  schema?: unknown
  keys?: string[]
  issues?: Issue[]
  key?: unknown
}
type RawIssue = Omit<Issue, 'path' | 'message'> & { path?: PropertyKey[]; message?: string }

const TYPE_PHRASES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a map',
  record: 'a map',
  map: 'a map',
  array: 'a list',
  tuple: 'a list',
  set: 'a list',
  null: 'an empty value',
  date: 'a date',
  bigint: 'a whole number',
}

/** `a string`, `a map`… for zod's expected type names. */
export function typePhrase(expected: string): string {
  return TYPE_PHRASES[expected] ?? expected
}

function comparison(inclusive: boolean | undefined, small: boolean): string {
  if (small) return inclusive === false ? '>' : '≥'
  return inclusive === false ? '<' : '≤'
}

function sizePhrase(issue: RawIssue, bound: number | bigint | undefined, small: boolean) {
  const n = Number(bound)
  switch (issue.origin) {
    case 'string':
      if (issue.exact) return `a string of ${n} characters`
      if (small && n === 1) return 'a non-empty string'
      return `a string of ${small ? 'at least' : 'at most'} ${n} characters`
    case 'array':
    case 'set':
      if (issue.exact) return `a list of ${n} items`
      if (small && n === 1) return 'a non-empty list'
      return `a list of ${small ? 'at least' : 'at most'} ${n} items`
    case 'int':
    case 'bigint':
      return `a whole number ${comparison(issue.inclusive, small)} ${n}`
    case 'number':
      if (isIntegerSchema(issue.schema)) return `a whole number ${comparison(issue.inclusive, small)} ${n}`
      return `a number ${comparison(issue.inclusive, small)} ${n}`
    default:
      return `a number ${comparison(issue.inclusive, small)} ${n}`
  }
}

const INTEGER_FORMATS = ['safeint', 'int32', 'uint32', 'int64', 'uint64']

/** Whether a number schema only takes whole numbers (`z.int()`, `z.number().int()`). */
function isIntegerSchema(schema: unknown): boolean {
  type Def = { format?: string; checks?: { _zod?: { def?: Def } }[] }
  const def = (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def
  if (!def) return false
  if (def.format && INTEGER_FORMATS.includes(def.format)) return true
  return (def.checks ?? []).some((check) => INTEGER_FORMATS.includes(check._zod?.def?.format ?? ''))
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ')
}

function didYouMean(input: unknown, candidates: readonly unknown[]): string {
  if (typeof input !== 'string') return ''
  const match = closest(
    input,
    candidates.filter((c): c is string => typeof c === 'string'),
  )
  return match ? ` (did you mean ${JSON.stringify(match)}?)` : ''
}

/** Known keys of the object schema that raised an unrecognized-keys issue. */
function shapeKeys(inst: unknown): string[] {
  const def = (inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def
  return def?.shape ? Object.keys(def.shape) : []
}

/** What was expected, as a phrase, for an issue zod raised (without what was found). */
function expectedPhrase(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return typePhrase(issue.expected ?? 'a valid value')
    case 'too_small':
      return sizePhrase(issue, issue.minimum, true)
    case 'too_big':
      return sizePhrase(issue, issue.maximum, false)
    case 'invalid_format':
      if (issue.format === 'regex' && issue.pattern) return `a string matching ${issue.pattern}`
      if (issue.format === 'starts_with') return `a string starting with ${JSON.stringify(issue.prefix)}`
      if (issue.format === 'ends_with') return `a string ending with ${JSON.stringify(issue.suffix)}`
      if (issue.format === 'includes') return `a string containing ${JSON.stringify(issue.includes)}`
      return `a valid ${issue.format}`
    case 'not_multiple_of':
      return `a multiple of ${issue.divisor}`
    case 'invalid_value':
      if (!issue.values) return 'a valid value'
      return issue.values.length === 1 ? quoteList(issue.values) : `one of ${quoteList(issue.values)}`
    case 'invalid_union':
      if (issue.options?.length) return `one of ${quoteList(issue.options)}`
      return unionAlternatives(issue.errors ?? [])
    default:
      return 'a valid value'
  }
}

function unionAlternatives(branches: Issue[][]): string {
  const phrases = branches.flatMap((branch) =>
    branch
      .filter((i) => i.path.length === 0 && i.code === 'invalid_type')
      .map((i) => typePhrase(i.expected ?? 'a valid value')),
  )
  const unique = [...new Set(phrases)]
  if (unique.length === 0) return 'a valid value'
  return unique.length === 1 ? unique[0]! : `${unique.slice(0, -1).join(', ')} or ${unique.at(-1)}`
}

/**
 * Zod error map giving `expected X, got Y` messages. Unknown-key issues get one line per key
 * holding only the "did you mean" hint (the converter below adds key names and paths).
 */
export const errorMap: z.core.$ZodErrorMap = (raw) => {
  const issue = raw as unknown as RawIssue
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = shapeKeys(issue.inst)
      return (issue.keys ?? [])
        .map((key) => {
          const match = closest(key, known)
          return match ? ` (did you mean \`${match}\`?)` : ''
        })
        .join('\n')
    }
    case 'invalid_key':
      return `invalid key ${JSON.stringify(issue.input)}: ${issue.issues?.[0]?.message ?? 'not allowed'}`
    case 'invalid_element':
      return `invalid entry ${JSON.stringify(issue.key)}: ${issue.issues?.[0]?.message ?? 'not allowed'}`
    case 'custom':
      return issue.message ?? 'invalid value'
    case 'invalid_union':
      if (issue.discriminator && issue.options) {
        const found = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator]
        return `expected one of ${quoteList(issue.options)}, got ${describeValue(found)}${didYouMean(found, issue.options)}`
      }
      return `expected ${expectedPhrase(issue)}, got ${describeValue(issue.input)}`
    case 'invalid_value':
      return `expected ${expectedPhrase(issue)}, got ${describeValue(issue.input)}${didYouMean(issue.input, issue.values ?? [])}`
    default:
      return `expected ${expectedPhrase(issue)}, got ${describeValue(issue.input)}`
  }
}

/** A schema-level error option: every issue of that schema reads `expected PHRASE, got VALUE`. */
export function expecting(phrase: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => `expected ${phrase}, got ${describeValue(issue.input)}` }
}

/** Whether the last key of a path is absent from a map that exists (a missing required key). */
function isMissingKey(data: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false
  let parent: unknown = data
  for (const segment of path.slice(0, -1)) {
    if (!isPlainObject(parent) && !Array.isArray(parent)) return false
    parent = (parent as Record<string, unknown>)[segment as string]
  }
  return isPlainObject(parent) && !Object.hasOwn(parent, path.at(-1) as string)
}

/** One problem a schema found, not yet located in a file. */
export interface ExplainedIssue {
  /** Key path of the value (or of the map missing a key), from the root of the checked data. */
  path: KeyPath
  /** The sentence, starting with the key path when there is one. */
  message: string
  /** The problem is the key itself (unknown or badly named), not its value. */
  atKey?: boolean
}

/**
 * Turn zod issues into one sentence each. `prefix` is where the validated value sits (`providers.aws.settings`
 * for a provider's settings); `data` is the value validated; `top` says where an unknown key at the root is.
 */
export function explainIssues(
  issues: readonly object[],
  data: unknown,
  options: { prefix?: KeyPath; top?: string } = {},
): ExplainedIssue[] {
  const prefix = options.prefix ?? []
  const top = options.top ?? 'at the top level'
  const out: ExplainedIssue[] = []
  const add = (path: KeyPath, message: string, atKey = false) =>
    out.push({ path, message, ...(atKey ? { atKey } : {}) })

  const visit = (issue: Issue, base: KeyPath) => {
    const local = issue.path as KeyPath
    const path = [...base, ...local]
    const full = [...prefix, ...path]

    if (issue.code === 'unrecognized_keys') {
      // Hints come from errorMap; a schema checked with another error map has none.
      const hints = issue.message
        .split('\n')
        .map((h) => (h === '' || h.startsWith(' (did you mean') ? h : ''))
      const where = full.length ? ` in ${formatPath(full)}` : top ? ` ${top}` : ''
      ;(issue.keys ?? []).forEach((key, i) => {
        add([...full, key], `unknown key \`${key}\`${where}${hints[i] ?? ''}`, true)
      })
      return
    }
    if (issue.code === 'invalid_key') {
      // The path ends with the bad key; the message names the map that holds it.
      const map = full.slice(0, -1)
      add(full, map.length ? `${formatPath(map)}: ${issue.message}` : issue.message, true)
      return
    }
    if (issue.code === 'invalid_union' && !issue.discriminator && issue.errors?.length) {
      // The branch whose type matched explains the problem better than "none of the branches".
      const matched = issue.errors
        .filter((branch) => !branch.some((i) => i.path.length === 0 && i.code === 'invalid_type'))
        .sort((a, b) => a.length - b.length)[0]
      if (matched) {
        for (const inner of matched) visit(inner, path)
        return
      }
    }
    if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && isMissingKey(data, path)) {
      const parent = full.slice(0, -1)
      const key = String(full.at(-1))
      const phrase =
        issue.code === 'invalid_type'
          ? typePhrase(issue.expected ?? 'a valid value')
          : issue.options?.length
            ? `one of ${quoteList([...issue.options].sort())}`
            : unionAlternatives(issue.errors ?? [])
      const parentName = parent.length ? `${formatPath(parent)}: ` : ''
      add(parent, `${parentName}missing required key \`${key}\` (expected ${phrase})`)
      return
    }
    add(full, full.length ? `${formatPath(full)}: ${issue.message}` : issue.message)
  }

  for (const issue of issues) visit(issue as Issue, [])
  return out
}
