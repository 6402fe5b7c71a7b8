import { actions } from './builders.js'
import type { CrateContext, CrateContextData } from './types.js'

// Pure, importing only the builders at run time: pods load this same file (and those) inside their sandbox.

/** Read a dotted path (`a.b.c`) from plain data; undefined when any step is missing. */
export function readPath(data: unknown, path: string): unknown {
  let cursor: unknown = data
  for (const key of path.split('.')) {
    if (cursor === null || typeof cursor !== 'object' || !Object.hasOwn(cursor, key)) return undefined
    cursor = (cursor as Record<string, unknown>)[key]
  }
  return cursor
}

/** Build the context a crate's phase function receives; `published` collects what it publishes. */
export function makeCrateContext(data: CrateContextData, published: Record<string, unknown>): CrateContext {
  return {
    crate: data.crate,
    phase: data.phase,
    node: data.node,
    group: data.group,
    settings: data.settings,
    nodes: data.nodes,
    actions,
    env: {
      data: data.environment,
      get<T>(path: string, ...fallback: [T?]): T {
        const value = readPath(data.environment, path)
        if (value !== undefined) return value as T
        if (fallback.length > 0) return fallback[0] as T
        throw new Error(
          `crate "${data.crate}": environment key "${path}" is missing (and no default was given)`,
        )
      },
    },
    publish(facility, value) {
      if (data.phase !== 'settings') {
        throw new Error(`crate "${data.crate}": publish("${facility}") is only allowed in the settings phase`)
      }
      published[facility] = value
    },
    settingsOf(groupOrNode, facility) {
      const out: unknown[] = []
      for (const [node, entry] of Object.entries(data.published)) {
        if (node !== groupOrNode && !entry.groups.includes(groupOrNode)) continue
        if (Object.hasOwn(entry.facilities, facility)) out.push(entry.facilities[facility])
      }
      return out
    },
  }
}
