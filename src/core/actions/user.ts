import { type ActionDefinition, assign, contentFunction } from './definition.js'
import type { HelperName } from './prelude.js'
import type { UserAction } from './types.js'

/** The sudoers.d file for a login (sudo skips files whose names hold a dot). */
export function sudoersPath(name: string): string {
  return `/etc/sudoers.d/${name.replaceAll('.', '_')}`
}

/**
 * A login: created or changed with useradd/usermod (busybox adduser/addgroup without them); `groups`
 * is the exact set of supplementary groups; `authorizedKeys` the exact set of keys; `sudo` a
 * validated sudoers.d entry for passwordless sudo.
 */
export const user: ActionDefinition<UserAction> = {
  describe: (action) => `user ${action.name}`,
  compile(action) {
    const absent = action.state === 'absent'
    const lines = [
      assign({
        UN: action.name,
        UST: absent ? 'absent' : 'present',
        UH: action.home,
        USH: action.shell,
        UGS: action.groups !== undefined,
        UG: action.groups?.join(','),
        USY: action.system,
        UK: action.authorizedKeys !== undefined && action.authorizedKeys.length > 0,
      }),
      '_user',
    ]
    const helpers: HelperName[] = ['user']
    if (!absent && action.authorizedKeys !== undefined) {
      const keys = action.authorizedKeys.map((k) => `${k.trim()}\n`).join('')
      lines.push(contentFunction(keys), '[ "$S" = failed ] || _keys')
      helpers.push('keys')
    }
    if (absent || action.sudo !== undefined) {
      const grant = !absent && action.sudo === true
      lines.push(assign({ P: sudoersPath(action.name), USU: grant ? '1' : '0' }))
      if (grant) lines.push(contentFunction(`${action.name} ALL=(ALL) NOPASSWD:ALL\n`))
      lines.push('[ "$S" = failed ] || _sudo')
      helpers.push('sudo')
    }
    return { body: lines.join('\n'), helpers }
  },
}
