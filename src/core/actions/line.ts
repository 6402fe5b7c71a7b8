import { type ActionDefinition, assign } from './definition.js'
import type { LineAction } from './types.js'

/**
 * One line of a file: present (replacing the first line `match` selects, else appended) or absent
 * (every matching line removed). A missing file is created for a present line.
 */
export const line: ActionDefinition<LineAction> = {
  describe: (action) => `line ${action.path}`,
  compile(action) {
    const vars = assign({ P: action.path, LN: action.line, LR: action.match, LS: action.state ?? 'present' })
    return { body: `${vars}\n_line`, helpers: ['line'] }
  },
}
