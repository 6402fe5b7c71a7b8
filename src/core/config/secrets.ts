import type { ScalarTag } from 'yaml'

/** A value the YAML file tagged `!secret`, until the loader records it and unwraps it. */
export class SecretValue {
  constructor(readonly value: string) {}
}

/** The `!secret` YAML tag: marks one scalar as a secret (kept for use, redacted in output). */
export const secretTag: ScalarTag = {
  tag: '!secret',
  identify: (value) => value instanceof SecretValue,
  resolve: (source) => new SecretValue(source),
  stringify: () => '"***"',
}

/** A `${env:NAME}` that could not be filled in, or a malformed one. */
export interface SecretProblem {
  path: (string | number)[]
  message: string
}

/** The result of unwrapping `!secret` values and filling in `${env:NAME}` references. */
export interface ResolvedSecrets {
  value: unknown
  secrets: string[]
  problems: SecretProblem[]
}

/** Why a secret is refused: one this short would be masked wherever its letters occur. */
function tooShort(what: string, value: string): string {
  return `${what} is ${value.length} character${value.length === 1 ? '' : 's'} long; secrets must have at least ${MIN_SECRET_LENGTH} to be redacted safely`
}

// `$${env:X}` stays literal as `${env:X}`; anything else between the braces must be a variable name.
const ENV_REFERENCE = /\$(\$?)\{env:([^}]*)\}/g
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Walk parsed YAML data: unwrap `!secret` values and replace `${env:NAME}` with the variable's
 * value, recording both as secrets. Missing variables are reported with the key path.
 */
export function resolveSecrets(data: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedSecrets {
  const secrets: string[] = []
  const problems: SecretProblem[] = []

  const fill = (text: string, path: (string | number)[]): string =>
    text.replace(ENV_REFERENCE, (whole, escaped: string, name: string) => {
      if (escaped) return whole.slice(1)
      if (!VARIABLE_NAME.test(name)) {
        problems.push({ path, message: `\${env:${name}} is not a valid environment variable reference` })
        return whole
      }
      const value = env[name]
      if (value === undefined) {
        problems.push({
          path,
          message: `environment variable ${name} is not set (referenced as \${env:${name}})`,
        })
        return whole
      }
      if (value.length < MIN_SECRET_LENGTH)
        problems.push({ path, message: tooShort(`\${env:${name}}`, value) })
      secrets.push(value)
      return value
    })

  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (value instanceof SecretValue) {
      const text = fill(value.value, path)
      if (text.length < MIN_SECRET_LENGTH) problems.push({ path, message: tooShort('!secret value', text) })
      secrets.push(text)
      return text
    }
    if (typeof value === 'string') return fill(value, path)
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]))
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) out[key] = walk(item, [...path, key])
      return out
    }
    return value
  }

  const value = walk(data, [])
  return { value, secrets: [...new Set(secrets.filter((s) => s.length > 0))], problems }
}

/** The shortest secret Forklift accepts: anything shorter cannot be told apart from ordinary text. */
export const MIN_SECRET_LENGTH = 4

/** The shortest part of a secret that may never be shown: any run this long of a secret is masked. */
export const SECRET_WINDOW = 6

/** What a redacted run of text becomes. */
export const MASK = '***'

/** How to redact structured data (events, reports, log records). */
export interface RedactorOptions {
  /**
   * Keys whose string values (or lists of strings) are Forklift's own labels (an event's type, a
   * status, node and phase names): never changed, so a secret that happens to match one cannot
   * break the output.
   */
  labels?: Iterable<string>
  /** Keys whose whole string is replaced by the given text when it holds any part of a secret (diffs). */
  opaque?: Readonly<Record<string, string>>
}

/** A deep-copying redactor; `text` redacts one string, `holdsSecret` tells whether one would change. */
export interface Redactor {
  <T>(value: T): T
  text(value: string): string
  holdsSecret(value: string): boolean
}

/** A secret's URL userinfo form (`new URL`'s own encoding of a password). */
function userinfoForm(secret: string): string {
  const url = new URL('http://host/')
  url.password = secret
  return url.password
}

/**
 * The forms a secret can take in output: as it is, and escaped for JSON (once and twice), for a
 * shell (single-quoted, backslash-escaped), and for URLs (component, URI, form and userinfo
 * encodings, hex digits in either case).
 */
export function secretForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1)
  const url = [
    encodeURIComponent(secret),
    encodeURI(secret),
    encodeURIComponent(secret).replaceAll('%20', '+'),
    userinfoForm(secret),
  ]
  const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())
  return [
    ...new Set([
      secret,
      json,
      JSON.stringify(json).slice(1, -1),
      `'${secret.replaceAll("'", `'\\''`)}'`,
      secret.replace(/["\\$`]/g, '\\$&'),
      secret.replace(/[^A-Za-z0-9_\-.,:/@%+=]/g, '\\$&'),
      ...url,
      ...url.map(lowerHex),
    ]),
  ]
}

/**
 * Text with the blanks that start each line dropped (after a line break, or after a `\n` escape),
 * and where each remaining character was: a secret is found even where lines were re-indented.
 */
function unindented(text: string): { text: string; offsets: number[] } {
  let out = ''
  const offsets: number[] = []
  for (let i = 0; i < text.length; i++) {
    out += text[i]
    offsets.push(i)
    const escaped = text[i] === 'n' && text[i - 1] === '\\'
    if (text[i] === '\n' || escaped) while (text[i + 1] === ' ' || text[i + 1] === '\t') i++
  }
  return { text: out, offsets }
}

/**
 * Build the one redactor of every output: it deep-copies a value (objects, arrays, Maps, Sets,
 * Errors) with every secret masked in every string — whole, in any of its escaped forms
 * (secretForms), and any run of SECRET_WINDOW characters or more of those, so a secret cut short
 * before it got here is masked too. Redact first, cut after.
 */
export function createRedactor(secrets: readonly string[], options: RedactorOptions = {}): Redactor {
  const labels = new Set(options.labels ?? [])
  const opaque = options.opaque ?? {}
  // Every SECRET_WINDOW-long run of every form; forms shorter than that are matched whole.
  const windows = new Set<string>()
  const short = new Set<string>()
  // Shorter secrets are a config error (resolveSecrets): one let through would mask ordinary words.
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue
    for (const form of secretForms(secret)) {
      // Also as a message re-indented line by line would carry it (a stack, an indented block).
      for (const shape of new Set([form, unindented(form).text])) {
        if (shape.length < SECRET_WINDOW) short.add(shape)
        else
          for (let i = 0; i + SECRET_WINDOW <= shape.length; i++)
            windows.add(shape.slice(i, i + SECRET_WINDOW))
      }
    }
  }
  const empty = windows.size === 0 && short.size === 0

  /** Masked runs found in `text`, as offsets of `text` (via `at`, the offset of each of its characters). */
  const find = (text: string, at: (i: number) => number, marks: [number, number][]) => {
    if (windows.size)
      for (let i = 0; i + SECRET_WINDOW <= text.length; i++)
        if (windows.has(text.slice(i, i + SECRET_WINDOW))) marks.push([at(i), at(i + SECRET_WINDOW - 1) + 1])
    for (const form of short)
      for (let i = text.indexOf(form); i >= 0; i = text.indexOf(form, i + 1))
        marks.push([at(i), at(i + form.length - 1) + 1])
  }

  /** Start and end of every masked run, merged, sorted. */
  const ranges = (text: string): [number, number][] => {
    const marks: [number, number][] = []
    find(text, (i) => i, marks)
    const view = unindented(text)
    if (view.text !== text) find(view.text, (i) => view.offsets[i]!, marks)
    if (marks.length === 0) return marks
    marks.sort((a, b) => a[0] - b[0])
    const merged: [number, number][] = []
    for (const [from, to] of marks) {
      const last = merged.at(-1)
      if (last && from <= last[1]) last[1] = Math.max(last[1], to)
      else merged.push([from, to])
    }
    // Never leave half of a surrogate pair beside a mask.
    const low = (at: number) => /[\uDC00-\uDFFF]/.test(text[at] ?? '')
    for (const range of merged) {
      if (low(range[0])) range[0]--
      if (low(range[1])) range[1]++
    }
    return merged
  }

  const text = (value: string): string => {
    if (empty) return value
    const found = ranges(value)
    if (found.length === 0) return value
    let out = ''
    let at = 0
    for (const [from, to] of found) {
      // Line breaks stay, so a masked multi-line secret keeps the shape of a diff or a log around it.
      const masked = value
        .slice(from, to)
        .split('\n')
        .map((part) => (part ? MASK : part))
        .join('\n')
      out += value.slice(at, from) + masked
      at = to
    }
    return out + value.slice(at)
  }
  const holdsSecret = (value: string): boolean => !empty && ranges(value).length > 0

  const copy = (value: unknown, key: string | undefined, seen: WeakMap<object, unknown>): unknown => {
    if (typeof value === 'string') {
      if (key !== undefined && labels.has(key)) return value
      if (key !== undefined && key in opaque && holdsSecret(value)) return opaque[key]
      return text(value)
    }
    if (value === null || typeof value !== 'object') return value
    if (seen.has(value)) return seen.get(value)
    if (Array.isArray(value)) {
      const out: unknown[] = []
      seen.set(value, out)
      // A list under a label key (node names, phases) is labels too.
      for (const item of value)
        out.push(copy(item, key !== undefined && labels.has(key) ? key : undefined, seen))
      return out
    }
    if (value instanceof Map) {
      const out = new Map()
      seen.set(value, out)
      for (const [k, v] of value)
        out.set(copy(k, undefined, seen), copy(v, typeof k === 'string' ? k : undefined, seen))
      return out
    }
    if (value instanceof Set) {
      const out = new Set()
      seen.set(value, out)
      for (const v of value) out.add(copy(v, undefined, seen))
      return out
    }
    if (value instanceof Date) return new Date(value.getTime())
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value
    // Plain objects, Errors and other instances keep their prototype; own properties are copied.
    const out = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>
    seen.set(value, out)
    const keys = value instanceof Error ? Object.getOwnPropertyNames(value) : Object.keys(value)
    // A plain object's ordinary properties are assigned (defineProperty on each would give every
    // copy a shape of its own: hundreds of bytes each for a phase of 100,000 action results).
    const plain = Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null
    for (const name of keys) {
      const descriptor = Object.getOwnPropertyDescriptor(value, name)!
      if ('value' in descriptor) {
        const item = copy(descriptor.value, name, seen)
        if (
          plain &&
          name !== '__proto__' &&
          descriptor.writable &&
          descriptor.enumerable &&
          descriptor.configurable
        )
          out[name] = item
        else Object.defineProperty(out, name, { ...descriptor, value: item })
      } else {
        Object.defineProperty(out, name, descriptor)
      }
    }
    return out
  }

  const redact = (<T>(root: T): T => copy(root, undefined, new WeakMap()) as T) as Redactor
  redact.text = text
  redact.holdsSecret = holdsSecret
  return redact
}
