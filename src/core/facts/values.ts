import { EXIT, ForkliftError, type ForkliftErrorOptions } from '../errors.js'
/** key=value lines a facts script printed. */
export type FactValues = Map<string, string>

/** A clear error about the node's fact output. */
export class FactsError extends ForkliftError {
  override name = 'FactsError'
  constructor(message: string, options: ForkliftErrorOptions = {}) {
    super(message, { ...options, code: 'FACTS', exitCode: EXIT.failed })
  }
}

export function required(values: FactValues, key: string): string {
  const value = values.get(key)
  if (value === undefined || value === '') throw new FactsError(`facts: the node did not report ${key}`)
  return value
}

export function oneOf<T extends string>(values: FactValues, key: string, allowed: readonly T[]): T {
  const value = required(values, key)
  if (!allowed.includes(value as T)) {
    throw new FactsError(`facts: ${key} is ${JSON.stringify(value)}, expected one of ${allowed.join(', ')}`)
  }
  return value as T
}
