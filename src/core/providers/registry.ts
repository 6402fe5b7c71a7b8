import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isForkliftModule, resolveForkliftToSelf } from './running-forklift.js'
import type { ProviderFactory } from './types.js'

/** A plugin as the CLI's plugin list describes it (core, user-installed or linked alike). */
export interface PluginInfo {
  name: string
  version: string
  root: string
  /** package.json `forklift.providers`: type name → module path relative to the plugin root. */
  providers: Record<string, string>
}

/** One provider type and where it comes from. */
export interface ProviderType {
  type: string
  plugin: string
  version: string
  modulePath: string
}

/** Raised for plugin declarations that cannot be used. */
export class RegistryError extends Error {
  override name = 'RegistryError'
}

/** Collect the provider types the plugins declare; two plugins declaring one type name is an error naming both. */
export function collectProviderTypes(plugins: PluginInfo[]): Map<string, ProviderType> {
  const types = new Map<string, ProviderType>()
  for (const plugin of plugins) {
    for (const [type, module] of Object.entries(plugin.providers)) {
      const modulePath = resolve(plugin.root, module)
      const existing = types.get(type)
      if (existing) {
        // Forklift's own built-ins cannot be uninstalled: then the other plugin is the one to remove.
        const builtIn = isForkliftModule(existing.modulePath)
        const advice =
          builtIn === isForkliftModule(modulePath)
            ? 'uninstall one of them'
            : `uninstall ${builtIn ? plugin.name : existing.plugin}`
        throw new RegistryError(
          `provider type "${type}" is declared by two plugins: ${existing.plugin}@${existing.version} and ${plugin.name}@${plugin.version}; ${advice}`,
        )
      }
      types.set(type, {
        type,
        plugin: plugin.name,
        version: plugin.version,
        modulePath,
      })
    }
  }
  return types
}

const loaded = new Map<string, Promise<ProviderFactory>>()

/** Import a provider type's module (once) and check that it exports a provider factory. */
export function loadProviderFactory(type: ProviderType): Promise<ProviderFactory> {
  let promise = loaded.get(type.modulePath)
  if (!promise) {
    // A third-party plugin imports 'forklift' by name; the built-ins import by relative path.
    if (!isForkliftModule(type.modulePath)) resolveForkliftToSelf()
    promise = import(pathToFileURL(type.modulePath).href).then(
      (module: { default?: ProviderFactory }) => {
        const factory = module.default
        if (!factory || typeof factory.create !== 'function' || !factory.settingsSchema) {
          throw new RegistryError(
            `plugin ${type.plugin}: ${type.modulePath} does not export a provider (default export of defineProvider(...))`,
          )
        }
        return factory
      },
      (error: Error) => {
        throw new RegistryError(
          `plugin ${type.plugin}: cannot load provider "${type.type}" from ${type.modulePath}: ${error.message}`,
        )
      },
    )
    loaded.set(type.modulePath, promise)
  }
  return promise
}

/** Load every declared provider type's factory, keyed by type name. */
export async function loadAllFactories(
  types: Map<string, ProviderType>,
): Promise<Map<string, ProviderFactory>> {
  const entries = await Promise.all(
    [...types.values()].map(async (t) => [t.type, await loadProviderFactory(t)] as const),
  )
  return new Map(entries)
}
