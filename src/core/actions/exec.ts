import { posix } from 'node:path'
import { type ActionDefinition, assign } from './definition.js'
import { shq } from './quote.js'
import type { ExecAction } from './types.js'
import { describe } from './validate.js'

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * A script run by `sh -c` in its own process (env vars exported to it, in `cwd` when given).
 * Guards: `creates` (a path), `unless` and `onlyIf` (commands) make it `ok` without running.
 */
export const exec: ActionDefinition<ExecAction> = {
  fields: ['script', 'creates', 'unless', 'onlyIf', 'env', 'cwd'],
  validate(action, check) {
    check.str('script', { required: true })
    check.str('creates')
    check.str('unless')
    check.str('onlyIf')
    check.path('cwd', false)
    const env = action.env as unknown
    if (env === undefined) return
    if (env === null || typeof env !== 'object' || Array.isArray(env)) {
      check.fail('env', `must be a map of names to strings, got ${describe(env)}`)
    }
    for (const [name, value] of Object.entries(env as Record<string, unknown>)) {
      if (!ENV_NAME.test(name)) check.fail(`env.${name}`, 'is not a valid environment variable name')
      if (typeof value !== 'string') check.fail(`env.${name}`, `must be a string, got ${describe(value)}`)
      else if (value.includes('\0')) check.fail(`env.${name}`, 'contains a NUL byte')
    }
  },
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
