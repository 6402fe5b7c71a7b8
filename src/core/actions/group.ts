import { type ActionDefinition, assign, PRESENCE } from './definition.js'
import type { GroupAction } from './types.js'
import { LOGIN } from './user.js'

/** A group, created with groupadd (busybox addgroup) or removed; a differing gid is changed with groupmod. */
export const group: ActionDefinition<GroupAction> = {
  fields: ['name', 'state', 'gid', 'system'],
  validate(action, check) {
    check.name('name', check.str('name', { required: true }), LOGIN)
    check.oneOf('state', PRESENCE)
    const gid = action.gid as unknown
    if (gid !== undefined && (typeof gid !== 'number' || !Number.isInteger(gid) || gid < 0)) {
      check.fail('gid', `must be a whole number of 0 or more, got ${JSON.stringify(gid)}`)
    }
    check.bool('system')
  },
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
