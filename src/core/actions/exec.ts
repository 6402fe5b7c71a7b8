import { posix } from 'node:path'
import { type ActionDefinition, assign } from './definition.js'
import { shq } from './quote.js'
import type { ExecAction } from './types.js'

/**
 * A script run by `sh` in its own process (env vars exported to it, in `cwd` when given). The script
 * and its guards reach that process through a 0600 file in the phase's private folder, removed after
 * use, never as an argument: a node's `ps` shows no secret they hold.
 * Guards: `creates` (a path), `unless` and `onlyIf` (commands) make it `ok` without running.
 */
export const exec: ActionDefinition<ExecAction> = {
  describe(action) {
    // Whole: output is redacted before renderers shorten it, so a cut never shows part of a secret.
    return `exec ${action.script.trim().split('\n')[0] ?? ''}`
  },
  compile(action) {
    const setup: string[] = []
    if (action.cwd) setup.push(`cd ${shq(action.cwd, 'cwd')} || exit 1`)
    const env = Object.entries(action.env ?? {})
    if (env.length) setup.push(`export ${env.map(([k, v]) => `${k}=${shq(v, `env.${k}`)}`).join(' ')}`)
    const run = setup.length ? `( ${setup.join('; ')}; exec sh "$T/x" )` : 'sh "$T/x"'
    const creates = action.creates && action.cwd ? posix.resolve(action.cwd, action.creates) : action.creates
    const vars = assign({ EC: creates, EU: action.unless, EO: action.onlyIf, ES: action.script })
    return {
      body: `e(){ _es "$1" || return; ${run}; _r=$?; rm -f "$T/x"; return "$_r"; }\n${vars}\n_ex`,
      helpers: ['ex'],
    }
  },
}
