import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { HailLog } from '../../../src/core/hail/log.js'
import type { HailStatus } from '../../../src/core/hail/state.js'
import { startHydra } from '../../support/hydra.js'
import { deleteFromStore, makeActivatePath, nixOptionArgs, pushToCache } from '../../support/nix.js'
import { forkliftBin } from '../../support/paths.js'
import { requireThat, requireTools } from '../../support/require.js'

/** A test's own folders: profiles, state, scratch; removed (and its store paths deleted) after it. */
export interface HailDirs {
  root: string
  profiles: string
  state: string
  work: string
  /** Store paths the test made, deleted from the store at the end. */
  storePaths: string[]
}

export async function hailDirs(t: TestContext): Promise<HailDirs> {
  const root = await mkdtemp(join(tmpdir(), 'forklift-hail-'))
  const dirs: HailDirs = {
    root,
    profiles: join(root, 'profiles'),
    state: join(root, 'state'),
    work: join(root, 'work'),
    storePaths: [],
  }
  await Promise.all([mkdir(dirs.profiles), mkdir(dirs.work)])
  t.after(async () => {
    // Watchers first: they write into these folders until they are gone.
    await Promise.all((watchers.get(t) ?? []).map((w) => w.stop('SIGKILL')))
    watchers.delete(t)
    await rm(root, { recursive: true, force: true, maxRetries: 3 })
    await deleteFromStore(...dirs.storePaths)
  })
  return dirs
}

const watchers = new Map<TestContext, WatcherProcess[]>()

/** A watcher started through the real CLI, its JSON log lines collected. */
export interface WatcherProcess {
  child: ChildProcess
  records: HailLog[]
  stderr(): string
  /** Resolves with the first record (from now on, or already seen when `seen` is true) matching. */
  waitFor(
    match: (r: HailLog) => boolean,
    what: string,
    options?: { timeoutMs?: number; after?: number },
  ): Promise<HailLog>
  /** How many records matched so far. */
  count(match: (r: HailLog) => boolean): number
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Start `forklift hail ARGS --json` in the background; it is killed when the test ends. */
export function startWatcher(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}): WatcherProcess {
  const child = spawn(process.execPath, [forkliftBin, 'hail', ...args, '--json'], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const records: HailLog[] = []
  let stderr = ''
  const listeners = new Set<() => void>()
  let rest = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.trim()) continue
      try {
        records.push(JSON.parse(line) as HailLog)
      } catch {
        stderr += `[stdout, not JSON] ${line}\n`
      }
    }
    for (const listener of listeners) listener()
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const listener of listeners) listener()
      resolve({ code, signal })
    }),
  )
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const watcher: WatcherProcess = {
    child,
    records,
    stderr: () => stderr,
    count: (match) => records.filter(match).length,
    waitFor(match, what, options = {}) {
      const from = options.after ?? 0
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = records.slice(from).find(match)
          if (found) {
            done()
            resolve(found)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done()
            reject(
              new Error(`watcher exited (${child.exitCode ?? child.signalCode}) before ${what}\n${dump()}`),
            )
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`timed out waiting for ${what}\n${dump()}`))
        }, options.timeoutMs ?? 30_000)
        const done = () => {
          clearTimeout(timer)
          listeners.delete(check)
        }
        listeners.add(check)
        check()
      })
    },
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
  watchers.set(t, [...(watchers.get(t) ?? []), watcher])
  const dump = () =>
    `--- log ---\n${records.map((r) => `${r.level} ${r.event}: ${r.msg}`).join('\n')}\n--- stderr ---\n${stderr.slice(-3000)}`
  return watcher
}

/** Matches a record by event (and build). */
export const isEvent =
  (event: string, build?: string | number) =>
  (r: HailLog): boolean =>
    r.event === event && (build === undefined || r.build === String(build))

/** Matches the poll record with this result. */
export const isPoll =
  (result: string) =>
  (r: HailLog): boolean =>
    r.event === 'poll' && r.result === result

export async function readStatus(stateDir: string): Promise<HailStatus> {
  return JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')) as HailStatus
}

/** Lines of a marker file activate scripts append to (empty when missing). */
export async function markerLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text.split('\n').filter(Boolean)
}

/** A Hydra stand-in, a binary cache and a profile, for tests of the watcher with Nix. */
export async function nixSetup(
  t: TestContext,
  options: { cacheUrl?: (cacheDir: string) => Promise<string> } = {},
) {
  const dirs = await hailDirs(t)
  const hydra = await startHydra()
  t.after(() => hydra.close())
  const cache = join(dirs.root, 'cache')
  const cacheUrl = options.cacheUrl ? await options.cacheUrl(cache) : `file://${cache}`
  const marker = join(dirs.work, 'activations')
  /** A store path whose activate appends "LABEL BUILD" to the marker, then runs `extra`; it is only in the cache. */
  const build = async (label: string, extra = '') => {
    const path = await makeActivatePath(
      dirs.work,
      `svc-${label}`,
      `echo "${label} $HAIL_BUILD_ID" >> ${marker}\n${extra}`,
    )
    dirs.storePaths.push(path)
    await pushToCache(cache, path)
    await deleteFromStore(path)
    return path
  }
  const pathArgs = ['--profile', 'svc', '--profiles-dir', dirs.profiles, '--state-dir', dirs.state]
  const args = (...more: string[]) => [
    ...pathArgs,
    '--job-uri',
    hydra.jobUri(),
    ...(more.includes('--poll-period') ? [] : ['--poll-period', '100ms']),
    ...nixOptionArgs(cacheUrl),
    ...more,
  ]
  return { dirs, hydra, cache, cacheUrl, marker, build, args, pathArgs, profile: join(dirs.profiles, 'svc') }
}

/** Generation numbers as `nix-env --list-generations` lists them. */
export function nixGenerations(profile: string): string[] {
  return execFileSync('nix-env', ['--profile', profile, '--list-generations'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.trim().split(/\s+/)[0]!)
}

/** Whether this process may write the Nix store (root without a daemon). */
export const isRoot = process.getuid?.() === 0

/** Skip (or fail under CI) unless real Nix is usable here. */
export function requireNix(t: TestContext): boolean {
  return (
    requireTools(t, 'nix-store', 'nix-env', 'nix') &&
    requireThat(t, isRoot, 'needs root (a writable /nix/store)')
  )
}

/** oclif wraps error lines at 80 columns when not on a terminal: join them back into one line. */
export function unwrap(stderr: string): string {
  return stderr.replace(/\n › {3}/g, '')
}
