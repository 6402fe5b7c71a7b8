import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readdir, rename, rm, stat, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import * as tar from 'tar'
import { errorMessage } from '../errors.js'
import { HailError } from './errors.js'
import {
  currentGeneration,
  generationLink,
  listGenerations,
  pointProfileAt,
  removeTempLinks,
} from './generations.js'
import { download, HttpError, type HttpOptions, safeUrl } from './http.js'
import { checkActivate } from './nix-profile.js'
import type { ProfileBackend } from './profile.js'
import type { ArtifactBuild } from './source.js'

export interface DirBackendOptions {
  profilePath: string
  /** Where unpacked builds live: profilesDir/.forklift-store. */
  storeDir: string
  http: HttpOptions
}

const PARTIAL = '.partial-'

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

/**
 * Generations on disk without Nix: each build is downloaded, checked against its sha256, unpacked
 * under a temporary name and renamed into the store whole; the profile link is switched atomically.
 */
export function dirBackend(options: DirBackendOptions): ProfileBackend<ArtifactBuild> {
  const targetFor = (id: string, sha256: string) => join(options.storeDir, `${sha256.slice(0, 32)}-${id}`)

  return {
    kind: 'dir',
    path: options.profilePath,
    current: () => currentGeneration(options.profilePath),
    generations: () => listGenerations(options.profilePath),
    targetOf: (candidate) => targetFor(candidate.id, candidate.artifact.sha256),
    async prepare(candidate, signal, log) {
      const artifact = candidate.artifact
      const target = targetFor(candidate.id, artifact.sha256)
      if (await exists(target)) {
        await checkActivate(target, 'unpack', candidate.id)
        return target
      }
      await mkdir(options.storeDir, { recursive: true })
      const partial = join(options.storeDir, `${PARTIAL}${randomBytes(6).toString('hex')}`)
      const archive = `${partial}.tar.gz`
      try {
        log(`downloading ${safeUrl(artifact.url)}`, { url: safeUrl(artifact.url) })
        const hash = createHash('sha256')
        const file = await open(archive, 'wx', 0o600)
        let bytes: number
        try {
          ;({ bytes } = await download(
            artifact.url,
            async (chunk) => {
              hash.update(chunk)
              await file.write(chunk)
            },
            options.http,
            signal,
          ))
        } catch (error) {
          if (signal.aborted) throw signal.reason ?? error
          throw new HailError('download', error instanceof HttpError ? error.message : errorMessage(error))
        } finally {
          await file.close()
        }
        const actual = hash.digest('hex')
        if (actual !== artifact.sha256) {
          throw new HailError(
            'verify',
            `${safeUrl(artifact.url)}: sha256 is ${actual} but the manifest says ${artifact.sha256}; refused`,
          )
        }
        log(`verified ${bytes} bytes (sha256 ${actual.slice(0, 12)}…); unpacking`, { bytes })
        await mkdir(partial)
        try {
          await tar.x({ file: archive, cwd: partial, strict: true, preservePaths: false })
        } catch (error) {
          throw new HailError('unpack', `${safeUrl(artifact.url)}: cannot unpack: ${errorMessage(error)}`)
        }
        await checkActivate(partial, 'unpack', candidate.id)
        await rename(partial, target)
        return target
      } finally {
        await rm(archive, { force: true })
        await rm(partial, { recursive: true, force: true })
      }
    },
    async switchTo(target) {
      const current = await currentGeneration(options.profilePath)
      if (current?.target === target) return current
      const all = await listGenerations(options.profilePath)
      const n = (all.at(-1)?.number ?? 0) + 1
      const link = generationLink(options.profilePath, n)
      try {
        await symlink(target, link)
        await pointProfileAt(options.profilePath, n)
      } catch (error) {
        await rm(link, { force: true })
        throw new HailError('switch', `${options.profilePath}: ${errorMessage(error)}`)
      }
      return { number: n, link, target }
    },
    async switchGeneration(n) {
      const generation = (await listGenerations(options.profilePath)).find((g) => g.number === n)
      if (!generation) throw new HailError('rollback', `${options.profilePath}: no generation ${n}`)
      await pointProfileAt(options.profilePath, n)
    },
    async deleteGeneration(n) {
      const all = await listGenerations(options.profilePath)
      const generation = all.find((g) => g.number === n)
      if (!generation) return
      if ((await currentGeneration(options.profilePath))?.number === n) {
        throw new HailError('rollback', `${options.profilePath}: generation ${n} is current; not deleted`)
      }
      await rm(generation.link, { force: true })
      const shared = all.some((g) => g.number !== n && g.target === generation.target)
      if (!shared && generation.target.startsWith(`${options.storeDir}/`)) {
        await rm(generation.target, { recursive: true, force: true })
      }
    },
    async removeProfile() {
      await rm(options.profilePath, { force: true })
    },
    async recover() {
      const removed = await removeTempLinks(options.profilePath)
      for (const name of await readdir(options.storeDir).catch(() => [] as string[])) {
        if (!name.startsWith(PARTIAL)) continue
        await rm(join(options.storeDir, name), { recursive: true, force: true })
        removed.push(join(options.storeDir, name))
      }
      return removed
    },
  }
}
