import { type ActionDefinition, assign } from './definition.js'
import type { HelperName } from './prelude.js'
import type { ServiceAction } from './types.js'

const SERVICE = /^[A-Za-z0-9_@][A-Za-z0-9_.@:-]*$/
const STATES = ['started', 'stopped', 'restarted', 'reloaded'] as const

/**
 * A service through systemctl (systemd nodes) or its init script (/etc/init.d, with update-rc.d,
 * chkconfig or rc-update for `enabled`). With `notify`, it restarts (or reloads) only when one of the
 * named earlier actions changed; otherwise it only makes sure the service runs.
 */
export const service: ActionDefinition<ServiceAction> = {
  fields: ['name', 'state', 'enabled', 'notify'],
  validate(_action, check) {
    check.name('name', check.str('name', { required: true }), SERVICE)
    const state = check.oneOf('state', STATES)
    check.bool('enabled')
    const notify = check.strings('notify')
    if (notify && state && state !== 'restarted' && state !== 'reloaded') {
      check.fail('notify', `needs state restarted or reloaded (or none), not ${state}`)
    }
  },
  describe: (action) => `service ${action.name}`,
  compile(action, context) {
    const helper: HelperName =
      context.facts.init === 'systemd'
        ? 'svc-systemd'
        : context.facts.init === 'openrc'
          ? 'svc-openrc'
          : 'svc-sysv'
    const enabled = action.enabled === undefined ? undefined : action.enabled ? '1' : '0'
    const lines = [assign({ SN: action.name, SE: enabled, SS: action.state })]
    if (action.notify) {
      const wanted = context.earlier(action.notify, 'notify').map((i) => `*" ${i} "*`)
      const state = action.state ?? 'restarted'
      lines.push(`case $C in ${wanted.join('|')}) SS=${state};; *) SS=started M=quiet;; esac`)
    }
    lines.push('_svc')
    return { body: lines.join('\n'), helpers: [helper] }
  },
}
