import { randomBytes } from 'node:crypto'
import { lstat, readdir, readlink, rename, rm, symlink } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'

/** One generation of a profile: the `PROFILE-N-link` symlink and what it points at. */
export interface Generation {
  number: number
  link: string
  target: string
}

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function linkPattern(profilePath: string): RegExp {
  return new RegExp(`^${escapeRe(basename(profilePath))}-(\\d+)-link$`)
}

/** The generation link's path for number n, as Nix names it. */
export function generationLink(profilePath: string, n: number): string {
  return `${profilePath}-${n}-link`
}

/** Every generation of a profile, oldest first (the same layout Nix's profiles use). */
export async function listGenerations(profilePath: string): Promise<Generation[]> {
  const dir = dirname(profilePath)
  const pattern = linkPattern(profilePath)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const out: Generation[] = []
  for (const name of names) {
    const match = pattern.exec(name)
    if (!match) continue
    const link = join(dir, name)
    const target = await readlink(link).catch(() => undefined)
    if (target !== undefined) out.push({ number: Number(match[1]), link, target: resolve(dir, target) })
  }
  return out.sort((a, b) => a.number - b.number)
}

/** The generation the profile points at now, or undefined when there is no profile. */
export async function currentGeneration(profilePath: string): Promise<Generation | undefined> {
  let pointer: string
  try {
    pointer = await readlink(profilePath)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'EINVAL') throw new Error(`${profilePath} is not a symlink: not a profile`)
    throw error
  }
  const match = linkPattern(profilePath).exec(basename(pointer))
  if (!match) throw new Error(`${profilePath} points at ${pointer}, which is not one of its generations`)
  const link = resolve(dirname(profilePath), pointer)
  const target = resolve(dirname(profilePath), await readlink(link))
  return { number: Number(match[1]), link, target }
}

/** Point the profile at generation n atomically: a temporary link renamed over the profile. */
export async function pointProfileAt(profilePath: string, n: number): Promise<void> {
  const temp = `${profilePath}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`
  await symlink(basename(generationLink(profilePath, n)), temp)
  try {
    await rename(temp, profilePath)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

/** Remove temporary profile links a killed process may have left (`PROFILE.tmp-…`). */
export async function removeTempLinks(profilePath: string): Promise<string[]> {
  const dir = dirname(profilePath)
  const prefix = `${basename(profilePath)}.tmp-`
  const removed: string[] = []
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue
    const path = join(dir, name)
    if ((await lstat(path)).isSymbolicLink()) {
      await rm(path, { force: true })
      removed.push(path)
    }
  }
  return removed
}
