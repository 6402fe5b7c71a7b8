import { createHash } from 'node:crypto'
import type { Facts } from '../model/node.js'
import type { HelperName } from './prelude.js'
import { printfBytes, shq, toBytes } from './quote.js'
import type { Action } from './types.js'
import { type Check, describe } from './validate.js'

/** What compiling one action needs besides the action. */
export interface CompileContext {
  facts: Facts
  /** Indexes of the earlier actions with these ids; throws naming an id that is not there. */
  earlier(ids: string[], field: string): number[]
}

/** One action's shell: lines run inside its block, and the prelude helpers they call. */
export interface Fragment {
  body: string
  helpers: HelperName[]
}

/** Everything one action type brings: its fields, checks, summary and shell. */
export interface ActionDefinition<A extends Action> {
  /** Fields besides `type` and `id`. */
  fields: readonly string[]
  validate(action: A, check: Check): void
  describe(action: A): string
  compile(action: A, context: CompileContext): Fragment
  /** Path and bytes the action's file should hold, so a changed file gets a diff. */
  desired?(action: A): { path: string; content: Uint8Array } | undefined
}

type Value = string | number | boolean | undefined

/** Shell variable assignments on one line; every name listed is assigned (empty when undefined or false). */
export function assign(vars: Record<string, Value>): string {
  return Object.entries(vars)
    .map(([name, value]) => {
      if (value === undefined || value === false || value === '') return `${name}=`
      if (value === true) return `${name}=1`
      return `${name}=${shq(String(value), name)}`
    })
    .join(' ')
}

/** Octal mode as `stat -c %a` prints it ("0644" → "644"). */
export function normalMode(mode: string | undefined): string | undefined {
  return mode === undefined ? undefined : Number.parseInt(mode, 8).toString(8)
}

/** Define c() to print the content, and H to its sha256. */
export function contentFunction(content: string | Uint8Array): string {
  const bytes = toBytes(content)
  const hash = createHash('sha256').update(bytes).digest('hex')
  return `H=${hash} HC=1\nc(){\n${printfBytes(bytes)}\n}`
}

/** File content: a string (written as UTF-8) or bytes. */
export function checkContent(check: Check, value: unknown): void {
  if (value !== undefined && typeof value !== 'string' && !(value instanceof Uint8Array)) {
    check.fail('content', `must be a string or bytes, got ${describe(value)}`)
  }
}

export const PRESENCE = ['present', 'absent'] as const

/** A user or group name, or a numeric id. */
const OWNER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/

/** `mode`, `owner`, `group`: octal mode and names usable by chmod/chown. */
export function checkOwnership(check: Check): void {
  check.mode()
  check.name('owner', check.str('owner'), OWNER)
  check.name('group', check.str('group'), OWNER)
}
