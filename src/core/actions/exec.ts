import { posix } from 'node:path'
import { type ActionDefinition, assign } from './definition.js'
import { shq } from './quote.js'
import type { ExecAction } from './types.js'

/**
 * A script run by `sh -c` in its own process (env vars exported to it, in `cwd` when given).
 * Guards: `creates` (a path), `unless` and `onlyIf` (commands) make it `ok` without running.
 */
export const exec: ActionDefinition<ExecAction> = {
  describe(action) {
    const first = action.script.trim().split('\n')[0] ?? ''
    return `exec ${first.length > 48 ? `${first.slice(0, 47)}…` : first}`
  },
  compile(action) {
    const setup: string[] = []
    if (action.cwd) setup.push(`cd ${shq(action.cwd, 'cwd')} || exit 1`)
    const env = Object.entries(action.env ?? {})
    if (env.length) setup.push(`export ${env.map(([k, v]) => `${k}=${shq(v, `env.${k}`)}`).join(' ')}`)
    const run = setup.length ? `( ${setup.join('; ')}; exec sh -c "$1" forklift )` : 'sh -c "$1" forklift'
    const creates = action.creates && action.cwd ? posix.resolve(action.cwd, action.creates) : action.creates
    const vars = assign({ EC: creates, EU: action.unless, EO: action.onlyIf, ES: action.script })
    return { body: `e(){ ${run}; }\n${vars}\n_ex`, helpers: ['ex'] }
  },
}
