import { type ActionDefinition, assign, PRESENCE } from './definition.js'
import type { SymlinkAction } from './types.js'

/** A symlink to `target`; a wrong link is replaced, a file or directory in its place is left alone (failed). */
export const symlink: ActionDefinition<SymlinkAction> = {
  fields: ['path', 'target', 'state'],
  validate(action, check) {
    check.path('path')
    check.oneOf('state', PRESENCE)
    const target = check.str('target')
    if (action.state !== 'absent' && target === undefined)
      check.fail('target', 'is required for a symlink that is present')
  },
  describe: (action) => `symlink ${action.path}`,
  compile(action) {
    const vars = assign({ P: action.path, TG: action.target, LS: action.state ?? 'present' })
    return { body: `${vars}\n_ln`, helpers: ['ln'] }
  },
}
