// A Node module-resolution hook, registered with node:module `register()` before a third-party provider
// plugin is imported. It runs on Node's loader thread, so it holds nothing but the resolution itself.
import type { InitializeHook, ResolveHook } from 'node:module'

/** Passed by `register()`: a file inside the running Forklift package. */
export interface HookData {
  forkliftFile: string
}

let forkliftFile: string | undefined

/** Receive the running Forklift's location. */
export const initialize: InitializeHook<HookData> = (data) => {
  forkliftFile = data.forkliftFile
}

/** Resolve `forklift` and `forklift/…` as if imported from inside the running Forklift. */
export const resolve: ResolveHook = (specifier, context, nextResolve) => {
  if (forkliftFile && (specifier === 'forklift' || specifier.startsWith('forklift/'))) {
    // Package self-reference: Node resolves the name through Forklift's own package.json "exports",
    // so a plugin gets the very modules (and the zod) this process runs, whatever its own node_modules hold.
    return nextResolve(specifier, { ...context, parentURL: forkliftFile })
  }
  return nextResolve(specifier, context)
}
