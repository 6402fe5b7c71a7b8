import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { EXIT, ForkliftError, type ForkliftErrorOptions } from '../errors.js'
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
export class RegistryError extends ForkliftError {
  override name = 'RegistryError'
  constructor(message: string, options: ForkliftErrorOptions = {}) {
    super(message, { ...options, code: 'PLUGIN', exitCode: EXIT.usage })
  }
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
    const url = pathToFileURL(type.modulePath).href
    promise = import(url).then(
      (module: { default?: ProviderFactory }) => {
        const factory = module.default
        if (!factory || typeof factory.create !== 'function' || !factory.settingsSchema) {
          throw new RegistryError(
            `plugin ${type.plugin}: ${type.modulePath} does not export a provider (default export of defineProvider(...))`,
          )
        }
        return factory
      },
      (error: Error & { code?: string; url?: string }) => {
        // The declared module itself missing is the common case (a plugin never built): say so plainly.
        const missing = error.code === 'ERR_MODULE_NOT_FOUND' && error.url === url
        throw new RegistryError(
          missing
            ? `plugin ${type.plugin}: cannot load provider "${type.type}": ${type.modulePath} does not exist (build the plugin, or reinstall it)`
            : `plugin ${type.plugin}: cannot load provider "${type.type}" from ${type.modulePath}: ${String(error.message ?? error).split('\n')[0]}`,
        )
      },
    )
    loaded.set(type.modulePath, promise)
  }
  return promise
}

/** A declared provider type after its module was imported: its factory, or why it cannot be loaded. */
export type LoadedProviderType =
  | { type: ProviderType; factory: ProviderFactory; error?: undefined }
  | { type: ProviderType; factory?: undefined; error: RegistryError }

/** Load every declared type, in type-name order; a plugin that fails to load never hides the others. */
export async function loadEveryProviderType(types: Map<string, ProviderType>): Promise<LoadedProviderType[]> {
  const sorted = [...types.values()].sort((a, b) => a.type.localeCompare(b.type))
  return Promise.all(
    sorted.map((type) =>
      loadProviderFactory(type).then(
        (factory) => ({ type, factory }),
        (error: unknown) => ({
          type,
          error: error instanceof RegistryError ? error : new RegistryError(String(error)),
        }),
      ),
    ),
  )
}
