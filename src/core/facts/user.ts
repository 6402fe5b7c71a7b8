import type { Facts } from '../model/node.js'
import { type FactValues, oneOf, required } from './values.js'

/** The login the script runs as, and whether it is root. */
export const userScript = `_u=$(id -un 2>/dev/null) || _u=
echo "user=\${_u:-$(id -u)}"
if [ "$(id -u)" = 0 ]; then echo is_root=1; else echo is_root=0; fi`

export function parseUser(values: FactValues): Pick<Facts, 'user' | 'isRoot'> {
  return { user: required(values, 'user'), isRoot: oneOf(values, 'is_root', ['0', '1'] as const) === '1' }
}
