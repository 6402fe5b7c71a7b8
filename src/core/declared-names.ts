import { readConfigText } from './config/read.js'
import { NAME_PATTERN } from './config/schema.js'
import { parseYaml } from './config/yaml.js'
import { BUILTIN_PHASES } from './engine/phases.js'

/** The names a project's forklift.yaml declares, for completing them on a command line. */
export interface DeclaredNames {
  groups: string[]
  /** Built-in phases, then the groups' own `phases`, each once. */
  phases: string[]
}

function mapKeys(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return []
  return Object.keys(value).filter((key) => NAME_PATTERN.test(key))
}

/**
 * Group and phase names of the forklift.yaml at PATH, read as the loader reads it (size limit, no
 * FIFO, no prototype keys) but without checking the rest: a file being edited still completes. A file
 * that cannot be read or parsed declares nothing.
 */
export async function declaredNames(path: string): Promise<DeclaredNames> {
  const none = { groups: [], phases: [...BUILTIN_PHASES] }
  let data: unknown
  try {
    data = parseYaml(await readConfigText(path, path), path).data
  } catch {
    return none
  }
  const groups = (data as { groups?: unknown } | undefined)?.groups
  const names = mapKeys(groups)
  const phases = new Set<string>(BUILTIN_PHASES)
  for (const name of names)
    for (const phase of mapKeys((groups as Record<string, { phases?: unknown }>)[name]?.phases))
      phases.add(phase)
  return { groups: names, phases: [...phases] }
}
