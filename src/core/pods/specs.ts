import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { PodUsageError } from './errors.js'
import { SHIM_HASH } from './shim.js'

/** A pod's dependencies: `{ name: range }` as in package.json, or a list of `name@range`, folders and tarballs. */
export type Dependencies = Record<string, string> | readonly string[]

/** One dependency, ready for `npm install` and for the cache key. */
export interface NormalizedDependency {
  /** What `npm install` is given: `name@range`, `name@file:/abs` or an absolute path. */
  arg: string
  /** How the user wrote it, for messages. */
  label: string
  /** Absolute path of a local folder or tarball. */
  local?: string
  /** sha256 of a local folder's files or a tarball's bytes: a changed folder is a new set. */
  contentHash?: string
}

// Bumped when the layout of an installed set changes, so old sets are not reused (as is a changed shim).
export const SET_LAYOUT = 2

const NAME = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i
const TARBALL = /\.(?:tgz|tar\.gz|tar)$/i

const looksLikePath = (spec: string) =>
  spec.startsWith('./') ||
  spec.startsWith('../') ||
  spec.startsWith('/') ||
  spec.startsWith('~/') ||
  spec === '.'

function expandPath(spec: string, baseDir: string): string {
  const path = spec.startsWith('file:') ? spec.slice(5) : spec
  if (path.startsWith('~/')) return join(homedir(), path.slice(2))
  return resolve(baseDir, path)
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** sha256 over a folder's files (names, link targets, bytes), leaving out node_modules and .git. */
export async function hashFolder(dir: string): Promise<string> {
  const hash = createHash('sha256')
  async function walk(rel: string): Promise<void> {
    const entries = (await readdir(join(dir, rel))).sort()
    for (const name of entries) {
      if (name === 'node_modules' || name === '.git') continue
      const path = rel ? `${rel}/${name}` : name
      const info = await lstat(join(dir, path))
      if (info.isDirectory()) {
        hash.update(`d\0${path}\0`)
        await walk(path)
      } else if (info.isSymbolicLink()) {
        hash.update(`l\0${path}\0${await readlink(join(dir, path))}\0`)
      } else if (info.isFile()) {
        hash.update(`f\0${path}\0${info.size}\0`)
        hash.update(await readFile(join(dir, path)))
      }
    }
  }
  await walk('')
  return hash.digest('hex')
}

async function local(label: string, path: string, name?: string): Promise<NormalizedDependency> {
  const info = await stat(path).catch(() => undefined)
  if (!info) throw new PodUsageError(`dependency "${label}": ${path} does not exist`)
  let contentHash: string
  if (info.isDirectory()) {
    const hasManifest = await stat(join(path, 'package.json')).then(
      () => true,
      () => false,
    )
    if (!hasManifest) throw new PodUsageError(`dependency "${label}": ${path} has no package.json`)
    contentHash = await hashFolder(path)
  } else {
    if (!TARBALL.test(path))
      throw new PodUsageError(`dependency "${label}": ${path} is neither a folder nor a .tgz tarball`)
    contentHash = await hashFile(path)
  }
  return { arg: name ? `${name}@file:${path}` : path, label, local: path, contentHash }
}

function checkName(name: string, label: string): void {
  if (!NAME.test(name))
    throw new PodUsageError(`dependency "${label}": "${name}" is not a valid package name`)
}

/** Split `name@range` (scoped names keep their leading @). */
function splitSpec(text: string): [string, string | undefined] {
  const at = text.indexOf('@', 1)
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}

async function fromEntry(
  name: string,
  spec: string,
  baseDir: string,
  label: string,
): Promise<NormalizedDependency> {
  checkName(name, label)
  if (!spec.trim()) throw new PodUsageError(`dependency "${label}": the version range is empty`)
  if (spec.startsWith('file:') || looksLikePath(spec)) return local(label, expandPath(spec, baseDir), name)
  return { arg: `${name}@${spec}`, label }
}

/**
 * Turn what the user wrote into npm arguments: folders and tarballs become absolute paths (relative ones
 * are taken from `baseDir`) with a hash of their content. Sorted, so the order written does not matter.
 */
export async function normalizeDependencies(
  dependencies: Dependencies | undefined,
  baseDir: string,
): Promise<NormalizedDependency[]> {
  const out: NormalizedDependency[] = []
  if (Array.isArray(dependencies)) {
    for (const text of dependencies as readonly string[]) {
      const trimmed = text.trim()
      if (!trimmed) throw new PodUsageError('a dependency is empty')
      if (
        looksLikePath(trimmed) ||
        trimmed.startsWith('file:') ||
        (TARBALL.test(trimmed) && !trimmed.includes('@'))
      ) {
        out.push(await local(trimmed, expandPath(trimmed, baseDir)))
        continue
      }
      const [name, spec] = splitSpec(trimmed)
      out.push(await fromEntry(name, spec ?? 'latest', baseDir, trimmed))
    }
  } else if (dependencies) {
    for (const [name, spec] of Object.entries(dependencies)) {
      out.push(await fromEntry(name, String(spec), baseDir, `${name}@${spec}`))
    }
  }
  const seen = new Set<string>()
  for (const dep of out) {
    if (seen.has(dep.arg)) throw new PodUsageError(`dependency "${dep.label}" is given twice`)
    seen.add(dep.arg)
  }
  return out.sort((a, b) => (a.arg < b.arg ? -1 : a.arg > b.arg ? 1 : 0))
}

/** The cache key of a dependency list as written (before npm resolves it). */
export function specKey(dependencies: NormalizedDependency[]): string {
  const material = JSON.stringify([
    SET_LAYOUT,
    SHIM_HASH,
    dependencies.map((d) => [d.arg, d.contentHash ?? null]),
  ])
  return createHash('sha256').update(material).digest('hex').slice(0, 32)
}
