import { register } from 'node:module'
import { isAbsolute, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HookData } from './forklift-resolve-hook.js'

// This file is dist/src/core/providers/running-forklift.js: the package root is four folders up.
const packageRoot = fileURLToPath(new URL('../../../../', import.meta.url))

/** Whether a module lies in Forklift's own package (not its node_modules): a built-in provider. */
export function isForkliftModule(modulePath: string): boolean {
  const path = relative(packageRoot, modulePath)
  return !isAbsolute(path) && !path.startsWith('..') && path.split(sep)[0] !== 'node_modules'
}

let registered = false

/** Make `import 'forklift'` in modules imported from now on resolve to this running Forklift (once). */
export function resolveForkliftToSelf(): void {
  if (registered) return
  registered = true
  // Registered on first need rather than at start: the hook puts every later import through Node's
  // loader thread, a cost only runs that load a third-party plugin should pay.
  register<HookData>('./forklift-resolve-hook.js', {
    parentURL: import.meta.url,
    data: { forkliftFile: import.meta.url },
  })
}
