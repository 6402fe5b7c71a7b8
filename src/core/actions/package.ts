import type { Facts } from '../model/node.js'
import { type ActionDefinition, assign, type Fragment } from './definition.js'
import type { HelperName } from './prelude.js'
import type { PackageAction } from './types.js'

/** The helper that implements packages for this node, or a failing fragment when there is no package manager. */
export function packageHelper(facts: Facts): HelperName | undefined {
  switch (facts.packageManager) {
    case 'apt':
      return 'pk-apt'
    case 'dnf':
    case 'yum':
      return 'pk-rpm'
    case 'apk':
      return 'pk-apk'
    default:
      return undefined
  }
}

export const NO_PACKAGE_MANAGER: Fragment = { body: '_f nopm', helpers: [] }

export function names(action: PackageAction): string[] {
  return typeof action.name === 'string' ? [action.name] : action.name
}

/**
 * Packages installed, removed or at their latest version with the node's package manager, all
 * names in one command; only what differs is touched.
 */
export const pkg: ActionDefinition<PackageAction> = {
  describe: (action) => `package ${names(action).join(' ')}`,
  compile(action, { facts }) {
    const helper = packageHelper(facts)
    if (!helper) return NO_PACKAGE_MANAGER
    const vars = assign({
      PM: facts.packageManager!,
      PK: names(action).join(' '),
      PS: action.state ?? 'present',
    })
    return { body: `${vars}\n_pk`, helpers: [helper] }
  },
}
