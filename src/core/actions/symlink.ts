import { type ActionDefinition, assign } from './definition.js'
import type { SymlinkAction } from './types.js'

/** A symlink to `target`; a wrong link is replaced, a file or directory in its place is left alone (failed). */
export const symlink: ActionDefinition<SymlinkAction> = {
  describe: (action) => `symlink ${action.path}`,
  compile(action) {
    const vars = assign({ P: action.path, TG: action.target, LS: action.state ?? 'present' })
    return { body: `${vars}\n_ln`, helpers: ['ln'] }
  },
}
