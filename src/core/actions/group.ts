import { type ActionDefinition, assign } from './definition.js'
import type { GroupAction } from './types.js'

/** A group, created with groupadd (busybox addgroup) or removed; a differing gid is changed with groupmod. */
export const group: ActionDefinition<GroupAction> = {
  describe: (action) => `group ${action.name}`,
  compile(action) {
    const vars = assign({
      GN: action.name,
      GST: action.state ?? 'present',
      GID: action.gid,
      GSY: action.system,
    })
    return { body: `${vars}\n_grp`, helpers: ['group'] }
  },
}
