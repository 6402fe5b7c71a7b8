/** A bad action: the message names the action's index, type and field. */
export class ActionError extends Error {
  override name = 'ActionError'
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/** Reads one action's fields, throwing an ActionError that names the action and field on bad input. */
export class Check {
  constructor(
    private readonly action: Record<string, unknown>,
    /** How the action is named in errors, e.g. `action 3 (file /etc/motd)`. */
    readonly where: string,
    /** Path of a nested map's fields, e.g. `apt.`. */
    private readonly prefix = '',
  ) {}

  fail(field: string, problem: string): never {
    const name = field ? `${this.prefix}${field}` : this.prefix.slice(0, -1)
    throw new ActionError(`${this.where}: ${name ? `\`${name}\` ` : ''}${problem}`)
  }

  /** A map nested in the action (`apt: {…}`), checked with the same calls; undefined when absent. */
  nested(field: string): Check | undefined {
    const value = this.action[field]
    if (value === undefined) return undefined
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(field, `must be a map, got ${describe(value)}`)
    }
    return new Check(value as Record<string, unknown>, this.where, `${this.prefix}${field}.`)
  }

  /** Refuse fields the type does not know (a typo would otherwise be silently ignored). */
  known(fields: readonly string[]): void {
    for (const key of Object.keys(this.action)) {
      if (key === 'type' || key === 'id' || fields.includes(key)) continue
      const hint = closest(key, fields)
      const of = this.prefix ? `\`${this.prefix.slice(0, -1)}\`` : 'this action'
      this.fail(
        key,
        `is not a field of ${of}${hint ? ` (did you mean \`${hint}\`?)` : ''}; fields: ${fields.join(', ')}`,
      )
    }
  }

  str(
    field: string,
    options: { required?: boolean; empty?: boolean; line?: boolean } = {},
  ): string | undefined {
    const value = this.action[field]
    if (value === undefined) {
      if (options.required) this.fail(field, 'is required')
      return undefined
    }
    if (typeof value !== 'string') this.fail(field, `must be a string, got ${describe(value)}`)
    if (!options.empty && value === '') this.fail(field, 'must not be empty')
    if (value.includes('\0')) this.fail(field, 'contains a NUL byte, which a shell cannot pass')
    if (options.line && /[\r\n]/.test(value)) this.fail(field, 'must be a single line')
    return value
  }

  /** An absolute path (so no value can start with `-` and pass for an option). */
  path(field: string, required = true): string | undefined {
    const value = this.str(field, { required })
    if (value !== undefined && !value.startsWith('/'))
      this.fail(field, `must be an absolute path, got ${JSON.stringify(value)}`)
    return value
  }

  bool(field: string): boolean | undefined {
    const value = this.action[field]
    if (value !== undefined && typeof value !== 'boolean')
      this.fail(field, `must be true or false, got ${describe(value)}`)
    return value as boolean | undefined
  }

  oneOf<T extends string>(field: string, values: readonly T[]): T | undefined {
    const value = this.action[field]
    if (value === undefined) return undefined
    if (typeof value !== 'string' || !values.includes(value as T)) {
      this.fail(field, `must be one of ${values.join(', ')}, got ${describe(value)}`)
    }
    return value as T
  }

  strings(field: string, options: { required?: boolean; empty?: boolean } = {}): string[] | undefined {
    const value = this.action[field]
    if (value === undefined) {
      if (options.required) this.fail(field, 'is required')
      return undefined
    }
    if (!Array.isArray(value)) this.fail(field, `must be a list of strings, got ${describe(value)}`)
    if (!options.empty && value.length === 0) this.fail(field, 'must not be an empty list')
    value.forEach((item, i) => {
      if (typeof item !== 'string' || item === '')
        this.fail(`${field}[${i}]`, `must be a non-empty string, got ${describe(item)}`)
      if (item.includes('\0')) this.fail(`${field}[${i}]`, 'contains a NUL byte')
    })
    return value as string[]
  }

  /** Octal permission bits as a string ("0644"), so YAML cannot turn them into a decimal number. */
  mode(field = 'mode'): string | undefined {
    const value = this.action[field]
    if (value === undefined) return undefined
    if (typeof value !== 'string' || !/^[0-7]{3,4}$/.test(value)) {
      this.fail(
        field,
        `must be octal permission bits as a quoted string such as "0644", got ${describe(value)}`,
      )
    }
    return value
  }

  /** A login, group, package or service name: no spaces, quotes or leading dash. */
  name(field: string, value: string | undefined, pattern: RegExp = NAME): void {
    if (value !== undefined && !pattern.test(value))
      this.fail(field, `is not a valid name: ${JSON.stringify(value)}`)
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (value instanceof Uint8Array) return 'bytes'
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${JSON.stringify(value)}`
}

/** The candidate closest to a mistyped word, when one is close enough to be what was meant. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const scored = candidates.map((c) => ({
    c,
    d: c.toLowerCase() === word.toLowerCase() ? 0 : editDistance(c, word),
  }))
  const best = scored.sort((a, b) => a.d - b.d)[0]
  return best && best.d <= Math.max(word.length >= 4 ? 2 : 1, Math.floor(word.length / 3))
    ? best.c
    : undefined
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}
