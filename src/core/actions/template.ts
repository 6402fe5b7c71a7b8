import Mustache from 'mustache'
import { errorMessage } from '../errors.js'

type Token = [string, string, number, number, ...unknown[]]

/**
 * Render a mustache template without HTML escaping (these are config files, not web pages).
 * A top-level `{{name}}` that the data does not hold is an error, not an empty string.
 */
export function renderTemplate(template: string, data: Record<string, unknown>): string {
  let tokens: Token[]
  try {
    tokens = Mustache.parse(template) as Token[]
  } catch (error) {
    throw new Error(errorMessage(error))
  }
  for (const [kind, name, start] of tokens) {
    if ((kind === 'name' || kind === '&') && name !== '.' && lookup(data, name) === undefined) {
      const line = template.slice(0, start).split('\n').length
      throw new Error(
        `line ${line}: {{${name}}} is not defined (the template sees ${Object.keys(data).join(', ')})`,
      )
    }
  }
  return Mustache.render(template, data, undefined, { escape: (value: unknown) => String(value) })
}

function lookup(data: unknown, path: string): unknown {
  let value = data
  for (const key of path.split('.')) {
    if (value === null || value === undefined) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}
