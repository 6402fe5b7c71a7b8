import { type ActionDefinition, assign } from './definition.js'
import { NO_PACKAGE_MANAGER, packageHelper } from './package.js'
import type { HelperName } from './prelude.js'
import type { PackageUpdateAction } from './types.js'

const REFRESH: Record<string, HelperName> = { 'pk-apt': 'rf-apt', 'pk-rpm': 'rf-rpm', 'pk-apk': 'rf-apk' }

/**
 * Refresh the package index (apt-get update, dnf makecache, apk update), at most once per phase
 * script: later ones report ok until a package source changes.
 */
export const packageUpdate: ActionDefinition<PackageUpdateAction> = {
  describe: () => 'package-update',
  compile(_action, { facts }) {
    const helper = packageHelper(facts)
    if (!helper) return NO_PACKAGE_MANAGER
    return { body: `${assign({ PM: facts.packageManager! })}\n_pu`, helpers: [REFRESH[helper]!, 'pu'] }
  },
}
