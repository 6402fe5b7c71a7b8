import { randomBytes } from 'node:crypto'
import { type LoadedConfig, type LoadOptions, loadConfig } from './config/load.js'
import { resolveCrates } from './crates/resolve.js'
import type { ResolvedCrate } from './crates/types.js'
import { UsageError } from './errors.js'
import type { EventSink } from './events.js'
import type { GroupSpec } from './model/group.js'
import {
  collectProviderTypes,
  loadProviderFactory,
  type PluginInfo,
  type ProviderType,
} from './providers/registry.js'
import type { Provider, ProviderFactory } from './providers/types.js'

/** A loaded project: its config, the factories of the provider types it uses and the crates its groups use. */
export interface Project {
  config: LoadedConfig
  factories: Map<string, ProviderFactory>
  crates: Map<string, ResolvedCrate>
}

/**
 * Load forklift.yaml against the installed provider types and resolve the crates it names. Only the
 * types the file uses are imported, so a plugin that cannot be loaded troubles only projects using it.
 */
export async function openProject(options: {
  configFile: string
  plugins: PluginInfo[]
  envFiles?: string[]
  sets?: string[]
  /** Extra crate folders searched after the project's own path (built-in crates). */
  builtinCrates?: string[]
}): Promise<Project> {
  const declared = collectProviderTypes(options.plugins)
  const providerTypes = providerTypesOf(declared)
  const config = await loadConfig(options.configFile, {
    providerTypes,
    envFiles: options.envFiles ?? [],
    sets: options.sets ?? [],
  })
  // Every type here passed validation, so it is declared and (but for the implicit local) loaded.
  const used = [...new Set(Object.values(config.providers).map((p) => p.type))]
  const factories = new Map(
    await Promise.all(
      used.map(async (type) => [type, await loadProviderFactory(declared.get(type)!)] as const),
    ),
  )
  const names = config.groups.flatMap((g) => g.crates.map((c) => c.name))
  const crates = await resolveCrates(names, [...config.cratePath, ...(options.builtinCrates ?? [])])
  return { config, factories, crates }
}

/**
 * Pick groups by name (all when none given), each once in the order first named; an unknown name is a
 * usage error listing the known ones.
 */
export function selectGroups(config: LoadedConfig, names: string[]): GroupSpec[] {
  if (names.length === 0) return config.groups
  const known = new Map(config.groups.map((g) => [g.name, g]))
  return [...new Set(names)].map((name) => {
    const group = known.get(name)
    if (!group) {
      throw new UsageError(
        `no group "${name}" in ${config.file}; groups: ${[...known.keys()].join(', ') || '(none)'}`,
      )
    }
    return group
  })
}

/** Instantiate the providers the given groups use, once each. */
export async function openProviders(
  project: Project,
  groups: GroupSpec[],
  events: EventSink,
  options: { acceptNewHostKeys?: boolean } = {},
): Promise<Map<string, Provider>> {
  const runId = randomBytes(6).toString('hex')
  const out = new Map<string, Provider>()
  for (const name of new Set(groups.map((g) => g.provider))) {
    const instance = project.config.providers[name]!
    const factory = project.factories.get(instance.type)!
    out.set(
      name,
      await factory.create({
        name,
        project: project.config.project,
        projectDir: project.config.dir,
        settings: instance.settings,
        runId,
        log: (message) => events.emit({ type: 'log', level: 'info', message: `${name}: ${message}` }),
        warn: (message) => events.emit({ type: 'log', level: 'warn', message: `${name}: ${message}` }),
        ...(options.acceptNewHostKeys ? { acceptNewHostKeys: true } : {}),
      }),
    )
  }
  return out
}

/** Release every provider's clients. */
export async function closeProviders(providers: Map<string, Provider>): Promise<void> {
  await Promise.all([...providers.values()].map((p) => p.close?.().catch(() => {})))
}

/** What the config loader knows of each declared provider type; a type's module is imported only when asked. */
export function providerTypesOf(declared: Map<string, ProviderType>): LoadOptions['providerTypes'] {
  return new Map(
    [...declared.values()].map((t) => [
      t.type,
      {
        plugin: t.plugin,
        settingsSchema: async () => (await loadProviderFactory(t)).settingsSchema,
        createsNodes: async (settings: Record<string, unknown>) => {
          const factory = await loadProviderFactory(t)
          return factory.createsNodes?.(settings) ?? factory.canCreate
        },
      },
    ]),
  )
}
