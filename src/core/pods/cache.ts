import { randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { cacheLayout, defaultPodCacheDir, isSetName, SET_META } from './cache-layout.js'
import { PodUsageError } from './errors.js'
import type { SetMeta } from './install.js'

/** One installed dependency set, as `forklift pod ls` shows it. */
export interface CachedSet {
  hash: string
  dir: string
  /** The dependencies as they were written. */
  dependencies: string[]
  /** Top-level packages and the versions installed. */
  packages: { name: string; version: string }[]
  sizeBytes: number
  created: string
  lastUsed: Date
}

async function sizeOf(path: string): Promise<number> {
  const info = await lstat(path).catch(() => undefined)
  if (!info) return 0
  if (!info.isDirectory()) return info.size
  let total = info.size
  for (const name of await readdir(path).catch(() => [])) total += await sizeOf(join(path, name))
  return total
}

/** The dependency sets in the cache, most recently used first. */
export async function listPodCache(cacheDir: string = defaultPodCacheDir()): Promise<CachedSet[]> {
  const names = await readdir(cacheDir).catch(() => [] as string[])
  const out: CachedSet[] = []
  for (const name of names.filter(isSetName)) {
    const dir = join(cacheDir, name)
    const metaFile = join(dir, SET_META)
    let meta: SetMeta
    try {
      meta = JSON.parse(await readFile(metaFile, 'utf8')) as SetMeta
    } catch {
      continue
    }
    const used = await stat(metaFile)
    out.push({
      hash: name,
      dir,
      dependencies: meta.dependencies,
      packages: meta.packages,
      sizeBytes: await sizeOf(dir),
      created: meta.created,
      lastUsed: used.mtime,
    })
  }
  return out.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime())
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** Parse an age such as `30d`, `12h`, `90m`, `2w` or `45s` into milliseconds. */
export function parseAge(text: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim())
  if (!match)
    throw new PodUsageError(`"${text}" is not an age: write a number and s, m, h, d or w (e.g. 30d)`)
  return Number(match[1]) * UNITS[match[2]!]!
}

/**
 * Remove dependency sets from the cache: those not used for `olderThanMs`, or all of them. A set is
 * first renamed out of the way, so a pod being made never finds it half-removed.
 */
export async function prunePodCache(
  options: { cacheDir?: string; olderThanMs?: number; now?: Date } = {},
): Promise<{ removed: CachedSet[]; kept: CachedSet[] }> {
  const cacheDir = options.cacheDir ?? defaultPodCacheDir()
  const layout = cacheLayout(cacheDir)
  const now = (options.now ?? new Date()).getTime()
  const removed: CachedSet[] = []
  const kept: CachedSet[] = []
  for (const set of await listPodCache(cacheDir)) {
    if (options.olderThanMs !== undefined && now - set.lastUsed.getTime() < options.olderThanMs) {
      kept.push(set)
      continue
    }
    await mkdir(layout.tmp, { recursive: true })
    const trash = join(layout.tmp, `trash-${set.hash}-${randomBytes(4).toString('hex')}`)
    await rename(set.dir, trash)
    await rm(trash, { recursive: true, force: true })
    removed.push(set)
  }
  // Index entries of removed sets would only send the next pod to a missing folder.
  const specsDir = join(cacheDir, '.specs')
  for (const name of await readdir(specsDir).catch(() => [] as string[])) {
    if (!name.endsWith('.json')) continue
    try {
      const { set } = JSON.parse(await readFile(join(specsDir, name), 'utf8')) as { set: string }
      if (!(await stat(layout.set(set)).catch(() => undefined)))
        await rm(join(specsDir, name), { force: true })
    } catch {
      await rm(join(specsDir, name), { force: true })
    }
  }
  // Leftovers of interrupted installs; a running install is far younger than a day.
  for (const name of await readdir(layout.tmp).catch(() => [] as string[])) {
    const path = join(layout.tmp, name)
    const info = await stat(path).catch(() => undefined)
    if (info && now - info.mtime.getTime() > 86_400_000) await rm(path, { recursive: true, force: true })
  }
  return { removed, kept }
}
