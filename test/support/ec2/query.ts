// The EC2 Query protocol's request side: a flat form whose lists are `Name.N` and whose structures
// nest as `Name.N.Member`, numbered from 1.

/** A parsed request: its flat parameters and accessors for the list and structure forms. */
export class QueryParams {
  constructor(readonly flat: Map<string, string>) {}

  static parse(body: string): QueryParams {
    return new QueryParams(new Map(new URLSearchParams(body)))
  }

  get(name: string): string | undefined {
    return this.flat.get(name)
  }

  /** A required parameter: missing gives the MissingParameter error EC2 answers with. */
  need(name: string): string {
    const value = this.flat.get(name)
    if (value === undefined || value === '') {
      throw new QueryError(400, 'MissingParameter', `The request must contain the parameter ${name}`)
    }
    return value
  }

  int(name: string): number | undefined {
    const value = this.flat.get(name)
    if (value === undefined) return undefined
    const n = Number(value)
    if (!Number.isInteger(n))
      throw new QueryError(400, 'InvalidParameterValue', `Invalid value '${value}' for ${name}`)
    return n
  }

  bool(name: string): boolean {
    return this.flat.get(name) === 'true'
  }

  /** Values of `prefix.1`, `prefix.2`, … in index order. */
  list(prefix: string): string[] {
    return this.indexes(prefix, false).map((i) => this.flat.get(`${prefix}.${i}`)!)
  }

  /** Sub-requests for `prefix.N.*`, in index order. */
  structs(prefix: string): QueryParams[] {
    return this.indexes(prefix, true).map((i) => {
      const head = `${prefix}.${i}.`
      const sub = new Map<string, string>()
      for (const [key, value] of this.flat) if (key.startsWith(head)) sub.set(key.slice(head.length), value)
      return new QueryParams(sub)
    })
  }

  private indexes(prefix: string, nested: boolean): number[] {
    const pattern = new RegExp(`^${prefix.replaceAll('.', '\\.')}\\.(\\d+)${nested ? '\\.' : '$'}`)
    const found = new Set<number>()
    for (const key of this.flat.keys()) {
      const match = pattern.exec(key)
      if (match) found.add(Number(match[1]))
    }
    return [...found].sort((a, b) => a - b)
  }
}

/** An EC2 error reply: HTTP status, error code and message. */
export class QueryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Filters as `{ name, values }`. */
export interface QueryFilter {
  name: string
  values: string[]
}

export function filtersOf(params: QueryParams): QueryFilter[] {
  return params.structs('Filter').map((f) => ({ name: f.need('Name'), values: f.list('Value') }))
}

/** Tags of the `TagSpecification.N` entries for one resource type. */
export function taggedFor(params: QueryParams, resourceType: string): Record<string, string> {
  const tags: Record<string, string> = {}
  for (const spec of params.structs('TagSpecification')) {
    if (spec.get('ResourceType') !== resourceType) continue
    for (const tag of spec.structs('Tag')) tags[tag.need('Key')] = tag.get('Value') ?? ''
  }
  return tags
}

/** EC2's filter wildcards: `*` any run, `?` one character, `\` escapes. */
export function wildcardMatch(pattern: string, value: string): boolean {
  let re = '^'
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!)
    else if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else re += escapeRe(c)
  }
  return new RegExp(`${re}$`, 's').test(value)
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/**
 * Whether a resource passes every filter (AND across filters, OR within one). `field` gives the
 * resource's values for a filter name, or undefined for a filter name this resource does not know.
 */
export function passes(filters: QueryFilter[], field: (name: string) => string[] | undefined): boolean {
  return filters.every((filter) => {
    const values = field(filter.name)
    if (values === undefined) {
      throw new QueryError(400, 'InvalidParameterValue', `The filter '${filter.name}' is invalid`)
    }
    return filter.values.some((pattern) => values.some((value) => wildcardMatch(pattern, value)))
  })
}

/** Filter values for `tag:KEY`, `tag-key` and `tag-value` over a tag record. */
export function tagField(name: string, tags: Record<string, string>): string[] | undefined {
  if (name.startsWith('tag:')) {
    const key = name.slice(4)
    return key in tags ? [tags[key]!] : []
  }
  if (name === 'tag-key') return Object.keys(tags)
  if (name === 'tag-value') return Object.values(tags)
  return undefined
}
