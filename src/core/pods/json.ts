/**
 * A pod value as JSON can hold it: Date → ISO string, BigInt → decimal string, Set → array,
 * Map → object (or [key, value] pairs when a key is not a string), Uint8Array → base64, undefined → null.
 */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined) return null
  if (typeof value === 'bigint') return value.toString()
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
  if (Array.isArray(value)) return value.map(toJsonValue)
  if (value instanceof Set) return [...value].map(toJsonValue)
  if (value instanceof Map) {
    const entries = [...value.entries()]
    if (entries.every(([key]) => typeof key === 'string')) {
      return Object.fromEntries(entries.map(([key, item]) => [key, toJsonValue(item)]))
    }
    return entries.map(([key, item]) => [toJsonValue(key), toJsonValue(item)])
  }
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => [key, toJsonValue(item)]),
  )
}
