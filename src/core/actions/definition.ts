import { createHash } from 'node:crypto'
import type { Facts } from '../model/node.js'
import type { HelperName } from './prelude.js'
import { printfBytes, shq, toBytes } from './quote.js'
import type { Action } from './types.js'

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

/** Everything one action type brings besides its schema (schema.ts): its summary and its shell. */
export interface ActionDefinition<A extends Action> {
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
