import { access, constants, mkdir, readdir, readlink, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { HailError } from './errors.js'
import { currentGeneration, listGenerations, removeTempLinks } from './generations.js'
import { describeExit, runProcess, succeeded } from './process.js'
import type { BackendLog, ProfileBackend } from './profile.js'
import type { NixBuild } from './source.js'

export interface NixBackendOptions {
  profilePath: string
  /** Folder for the watcher's own GC roots (the state folder's gcroots/). */
  rootsDir: string
  /** `--option NAME VALUE` pairs for every nix command (substituters, narinfo-cache-negative-ttl …). */
  nixOptions: [string, string][]
  fetchTimeoutMs: number
  /** Timeout of quick nix-env calls. */
  commandTimeoutMs?: number
  env?: NodeJS.ProcessEnv
}

/** Check that a build carries an executable bin/activate before the profile is switched to it. */
export async function checkActivate(
  target: string,
  stage: 'realise' | 'unpack',
  build: string,
): Promise<void> {
  try {
    await access(join(target, 'bin', 'activate'), constants.X_OK)
  } catch {
    throw new HailError(stage, `build ${build}: ${target} has no executable bin/activate`)
  }
}

/** A Nix profile: realised with nix-store, switched with nix-env, so Nix's generations and GC roots stay right. */
export function nixBackend(options: NixBackendOptions): ProfileBackend<NixBuild> {
  const optionArgs = options.nixOptions.flatMap(([name, value]) => ['--option', name, value])
  const quick = options.commandTimeoutMs ?? 120_000
  const env = options.env ?? process.env

  async function nixEnv(stage: 'switch' | 'rollback', args: string[]): Promise<void> {
    const result = await runProcess('nix-env', ['--profile', options.profilePath, ...args, ...optionArgs], {
      timeoutMs: quick,
      env,
    })
    if (!succeeded(result))
      throw new HailError(stage, describeExit(`nix-env ${args.join(' ')}`, result, quick))
  }

  /** Keep a root for each generation's target only (profiles outside /nix/var/nix/profiles are no roots). */
  async function pruneRoots(): Promise<void> {
    const targets = new Set((await listGenerations(options.profilePath)).map((g) => g.target))
    for (const name of await readdir(options.rootsDir).catch(() => [] as string[])) {
      const root = join(options.rootsDir, name)
      const target = await readlink(root).catch(() => undefined)
      if (target === undefined || !targets.has(target)) await rm(root, { force: true })
    }
  }

  return {
    kind: 'nix',
    path: options.profilePath,
    current: () => currentGeneration(options.profilePath),
    generations: () => listGenerations(options.profilePath),
    targetOf: (candidate) => candidate.storePath,
    async prepare(candidate, signal, log: BackendLog) {
      const path = candidate.storePath
      await mkdir(options.rootsDir, { recursive: true })
      // The root keeps a concurrent garbage collection from taking the path before the switch.
      const root = join(options.rootsDir, `build-${candidate.id.replace(/[^A-Za-z0-9._-]/g, '_')}`)
      log(`realising ${path}`, { path })
      const result = await runProcess('nix-store', ['--realise', path, '--add-root', root, ...optionArgs], {
        timeoutMs: options.fetchTimeoutMs,
        signal,
        env,
        // stdout is only the path (or the root); stderr carries nix-store's progress.
        onLine: (line, stream) => stream === 'stderr' && log(line, { stream: 'nix-store' }),
      })
      if (result.aborted) throw signal.reason ?? new Error('stopped')
      if (!succeeded(result)) {
        await rm(root, { force: true })
        throw new HailError(
          'realise',
          describeExit(`nix-store --realise ${path}`, result, options.fetchTimeoutMs),
        )
      }
      await checkActivate(path, 'realise', candidate.id)
      return path
    },
    async switchTo(target) {
      await nixEnv('switch', ['--set', target])
      const now = await currentGeneration(options.profilePath)
      if (!now || now.target !== target)
        throw new HailError('switch', `nix-env --set ${target} left ${options.profilePath} elsewhere`)
      await pruneRoots()
      return now
    },
    async switchGeneration(n) {
      await nixEnv('rollback', ['--switch-generation', String(n)])
    },
    async deleteGeneration(n) {
      await nixEnv('rollback', ['--delete-generations', String(n)])
      await pruneRoots()
    },
    async removeProfile() {
      await rm(options.profilePath, { force: true })
      await pruneRoots()
    },
    async recover() {
      const removed = await removeTempLinks(options.profilePath)
      await pruneRoots()
      return removed
    },
  }
}
