import type { Facts } from '../model/node.js'
import { type FactValues, oneOf } from './values.js'

/** The first package manager found: apt, dnf, yum, apk (or none). */
export const packageManagerScript = `_pm=none
for _c in apt-get dnf yum apk; do if command -v $_c >/dev/null 2>&1; then _pm=$_c; break; fi; done
[ "$_pm" != apt-get ] || _pm=apt
echo "package_manager=$_pm"`

export function parsePackageManager(values: FactValues): Pick<Facts, 'packageManager'> {
  const value = oneOf(values, 'package_manager', ['apt', 'dnf', 'yum', 'apk', 'none'] as const)
  return { packageManager: value === 'none' ? null : value }
}
