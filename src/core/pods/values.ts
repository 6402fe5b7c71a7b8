// Import-free at run time: pods load this same file inside their sandbox to check what they send back.

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

const describeKey = (key: string) => (IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`)

function describeMapKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key)
  if (typeof key === 'number' || typeof key === 'boolean' || key === null || key === undefined)
    return String(key)
  if (typeof key === 'bigint') return `${key}n`
  return '…'
}

function kindOf(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor
  const name =
    typeof ctor?.name === 'string' && ctor.name
      ? ctor.name
      : Object.prototype.toString.call(value).slice(8, -1)
  return `an instance of ${name}`
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  if (proto === null || proto === Object.prototype) return true
  // An object from another realm (vm context) is still plain when its prototype is that realm's Object.prototype.
  return Object.getPrototypeOf(proto) === null && Object.prototype.toString.call(value) === '[object Object]'
}

// Deeper values are refused before anything recursive (this check, JSON, display) runs out of stack.
const MAX_DEPTH = 1000

const TAIL =
  'only data crosses a pod boundary (plain objects and arrays, strings, numbers, booleans, null, Date, Map, Set, BigInt, Uint8Array)'

/**
 * Why a value cannot cross a pod boundary, naming the path inside it (`value.a.b[2] is a function; …`),
 * or undefined when it is plain data. Shared objects are fine; cycles are not.
 */
export function unsendableReason(value: unknown, root = 'value'): string | undefined {
  const ancestors = new Map<object, string>()

  function visit(v: unknown, path: string): string | undefined {
    switch (typeof v) {
      case 'string':
      case 'number':
      case 'boolean':
      case 'bigint':
      case 'undefined':
        return undefined
      case 'function':
        return `${path} is a function; ${TAIL}`
      case 'symbol':
        return `${path} is a symbol; ${TAIL}`
    }
    if (v === null) return undefined
    const object = v as object
    if (object instanceof Date)
      return Number.isNaN(object.getTime()) ? `${path} is an invalid Date; ${TAIL}` : undefined
    if (object instanceof Uint8Array) return undefined
    if (ancestors.size >= MAX_DEPTH) return `${path} is nested deeper than ${MAX_DEPTH} levels; ${TAIL}`
    const seenAt = ancestors.get(object)
    if (seenAt !== undefined) return `${path} refers back to ${seenAt} (a cycle); ${TAIL}`
    ancestors.set(object, path)
    try {
      if (Array.isArray(object)) {
        for (let i = 0; i < object.length; i++) {
          const reason = visit(object[i], `${path}[${i}]`)
          if (reason) return reason
        }
        return undefined
      }
      if (object instanceof Map) {
        let i = 0
        for (const [key, item] of object) {
          const reason =
            visit(key, `${path}.keys()[${i}]`) ?? visit(item, `${path}.get(${describeMapKey(key)})`)
          if (reason) return reason
          i++
        }
        return undefined
      }
      if (object instanceof Set) {
        let i = 0
        for (const item of object) {
          const reason = visit(item, `${path}.values()[${i}]`)
          if (reason) return reason
          i++
        }
        return undefined
      }
      if (!isPlainObject(object)) return `${path} is ${kindOf(object)}; ${TAIL}`
      for (const key of Object.keys(object)) {
        const reason = visit((object as Record<string, unknown>)[key], path + describeKey(key))
        if (reason) return reason
      }
      return undefined
    } finally {
      ancestors.delete(object)
    }
  }

  return visit(value, root)
}

/**
 * A deep copy of data whose plain objects have no prototype, so that keys such as `__proto__` that
 * came from a pod are keys like any other wherever the copy is assigned or merged.
 */
export function withoutPrototypes<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(withoutPrototypes) as T
  if (value instanceof Map)
    return new Map([...value].map(([k, v]) => [withoutPrototypes(k), withoutPrototypes(v)])) as T
  if (value instanceof Set) return new Set([...value].map(withoutPrototypes)) as T
  if (value instanceof Date || value instanceof Uint8Array) return value
  const out = Object.create(null) as Record<string, unknown>
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, key, {
      value: withoutPrototypes((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out as T
}
