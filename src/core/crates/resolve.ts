import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { CrateError, errorMessage } from '../errors.js'
import type { ResolvedCrate } from './types.js'

// Raised when a crate named in forklift.yaml cannot be found or read; defined with the other errors.
export { CrateError }

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

/** Find a crate folder by name on the search path (first match wins). */
export async function resolveCrate(name: string, searchPath: string[]): Promise<ResolvedCrate> {
  for (const base of searchPath) {
    const dir = join(base, name)
    if (!(await exists(dir))) continue
    const pkgFile = join(dir, 'package.json')
    let main = 'index.js'
    let dependencies: Record<string, string> = {}
    if (await exists(pkgFile)) {
      let pkg: { main?: string; dependencies?: Record<string, string> }
      try {
        pkg = JSON.parse(await readFile(pkgFile, 'utf8'))
      } catch (error) {
        throw new CrateError(`crate "${name}": ${pkgFile} is not valid JSON: ${errorMessage(error)}`)
      }
      main = pkg.main ?? main
      dependencies = pkg.dependencies ?? {}
    }
    for (const candidate of [main, 'index.mjs']) {
      const entry = join(dir, candidate)
      if (await exists(entry)) return { name, dir, entry, dependencies }
    }
    throw new CrateError(`crate "${name}": ${dir} has no entry module (${main})`)
  }
  throw new CrateError(
    `crate "${name}" not found; searched: ${searchPath.join(', ') || '(empty crate path)'}`,
  )
}

/** Resolve every distinct crate name once. */
export async function resolveCrates(
  names: Iterable<string>,
  searchPath: string[],
): Promise<Map<string, ResolvedCrate>> {
  const out = new Map<string, ResolvedCrate>()
  for (const name of new Set(names)) out.set(name, await resolveCrate(name, searchPath))
  return out
}
