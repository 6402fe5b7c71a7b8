import { type ActionDefinition, assign } from './definition.js'
import { parseRegex } from './regex.js'
import type { LineAction } from './types.js'

/**
 * One line of a file: present (replacing the first line `match` selects, else appended) or absent
 * (every matching line removed). A missing file is created for a present line. Lines are compared
 * as bytes, never as numbers; `match` reaches awk in the portable form regex.ts gives it.
 */
export const line: ActionDefinition<LineAction> = {
  describe: (action) => `line ${action.path}`,
  compile(action) {
    const vars = assign({
      P: action.path,
      LN: action.line,
      LR: action.match === undefined ? undefined : parseRegex(action.match).awk,
      LS: action.state ?? 'present',
    })
    return { body: `${vars}\n_line`, helpers: ['line'] }
  },
}
