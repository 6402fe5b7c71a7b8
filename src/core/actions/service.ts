import { type ActionDefinition, assign } from './definition.js'
import type { HelperName } from './prelude.js'
import type { ServiceAction } from './types.js'

/**
 * A service through systemctl (systemd nodes) or its init script (/etc/init.d, with update-rc.d,
 * chkconfig or rc-update for `enabled`). With `notify`, it restarts (or reloads) only when one of the
 * named earlier actions changed; otherwise it only makes sure the service runs.
 */
export const service: ActionDefinition<ServiceAction> = {
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
