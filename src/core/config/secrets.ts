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
      secrets.push(value)
      return value
    })

  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (value instanceof SecretValue) {
      const text = fill(value.value, path)
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

/** The shortest line of a multi-line secret that is redacted on its own. */
const MIN_LINE = 3

/**
 * Build a function that deep-copies a value (objects, arrays, Maps, Sets, Errors) with every
 * occurrence of every secret, also inside longer strings, replaced by `***`.
 */
export function createRedactor(secrets: readonly string[]): <T>(value: T) => T {
  // Each line of a multi-line secret is one too: a diff shows a file line by line, each line
  // prefixed, so the whole never appears. Lines too short to tell anything are left alone.
  const lines = secrets.flatMap((s) =>
    s.includes('\n')
      ? s
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter((line) => line.length >= MIN_LINE)
      : [],
  )
  // Longest first, so a secret that contains another is replaced whole.
  const unique = [...new Set([...secrets, ...lines].filter((s) => s.length > 0))].sort(
    (a, b) => b.length - a.length,
  )
  const pattern = unique.length
    ? new RegExp(unique.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
    : undefined
  const redactString = (text: string): string => (pattern ? text.replace(pattern, '***') : text)

  return <T>(root: T): T => {
    const seen = new WeakMap<object, unknown>()
    const copy = (value: unknown): unknown => {
      if (typeof value === 'string') return redactString(value)
      if (value === null || typeof value !== 'object') return value
      if (seen.has(value)) return seen.get(value)
      if (Array.isArray(value)) {
        const out: unknown[] = []
        seen.set(value, out)
        for (const item of value) out.push(copy(item))
        return out
      }
      if (value instanceof Map) {
        const out = new Map()
        seen.set(value, out)
        for (const [k, v] of value) out.set(copy(k), copy(v))
        return out
      }
      if (value instanceof Set) {
        const out = new Set()
        seen.set(value, out)
        for (const v of value) out.add(copy(v))
        return out
      }
      if (value instanceof Date) return new Date(value.getTime())
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value
      // Plain objects, Errors and other instances keep their prototype; own properties are copied.
      const out = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>
      seen.set(value, out)
      const keys = value instanceof Error ? Object.getOwnPropertyNames(value) : Object.keys(value)
      for (const key of keys) {
        const descriptor = Object.getOwnPropertyDescriptor(value, key)!
        if ('value' in descriptor) {
          Object.defineProperty(out, key, { ...descriptor, value: copy(descriptor.value) })
        } else {
          Object.defineProperty(out, key, descriptor)
        }
      }
      return out
    }
    return copy(root) as T
  }
}
