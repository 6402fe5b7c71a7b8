import type { Facts } from '../model/node.js'
import { type FactValues, oneOf } from './values.js'

/** The init system: systemd when it runs (/run/systemd/system), else openrc, else sysvinit scripts. */
export const initScript = `if [ -d /run/systemd/system ]; then _in=systemd
elif [ -d /run/openrc ] || [ -x /sbin/openrc ]; then _in=openrc
elif [ -d /etc/init.d ]; then _in=sysvinit
else _in=unknown; fi
echo "init=$_in"`

export function parseInit(values: FactValues): Pick<Facts, 'init'> {
  return { init: oneOf(values, 'init', ['systemd', 'sysvinit', 'openrc', 'unknown'] as const) }
}
