import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { HailStage } from './errors.js'
import { readJson, writeJsonAtomic } from './json-file.js'

/** What one poll came to; `error` and `failed` count as failures. */
export type PollOutcome =
  | 'started'
  | 'unchanged'
  | 'deployed'
  | 'failed'
  | 'error'
  | 'no-build'
  | 'known-failed'
  | 'pinned'
  | 'paused'
  | 'dry-run'
  | 'waiting'
  | 'stopped'

/** A build as status.json and the generation records name it. */
export interface BuildRef {
  build: string
  path: string
}

/** status.json: rewritten atomically after every poll, read by `forklift hail status` and monitors. */
export interface HailStatus {
  version: 1
  profile: string
  profilePath: string
  source: string
  pid: number
  mode: 'loop' | 'oneshot'
  dryRun: boolean
  pollPeriodMs: number
  startedAt: string
  /** Set when the watcher exited. */
  stoppedAt?: string
  health: 'healthy' | 'degraded'
  current: (BuildRef & { generation: number }) | null
  /** The newest build the source offered at the last poll. */
  latest: BuildRef | null
  lastPoll: { at: string; result: PollOutcome; message: string } | null
  nextPollAt: string | null
  lastError: { at: string; stage: HailStage; message: string; build?: string } | null
  consecutiveFailures: number
  totalFailures: number
  polls: number
  lastActivation: { at: string; build?: string; generation: number; durationMs: number; ok: boolean } | null
  paused: boolean
  pinnedBelow: string | null
}

/** generations.json: which build each generation number holds (the profile link itself says which is current). */
export type GenerationRecords = Record<string, BuildRef & { at: string }>

/** A build that failed to deploy: never retried; only a different (newer) build is tried. */
export interface FailedBuild extends BuildRef {
  at: string
  stage: HailStage
  error: string
}

/** pin.json: set by `forklift hail rollback`; builds not newer than `build` are not deployed. */
export interface Pin {
  /** The build rolled back from; null when unknown (the watcher fills in the latest it sees). */
  build: string | null
  generation: number
  at: string
}

/** deploying.json: a deployment between its switch and the end of its health check. */
export interface Deploying extends BuildRef {
  /** The generation current before the switch; null for a first deployment. */
  previous: number | null
  at: string
}

/** pause.json: a change freeze (`forklift hail pause`). */
export interface Pause {
  since: string
  reason?: string
}

const FAILED_KEPT = 20

/** The files of one state folder. */
export function stateFiles(stateDir: string) {
  return {
    status: join(stateDir, 'status.json'),
    generations: join(stateDir, 'generations.json'),
    failed: join(stateDir, 'failed.json'),
    pin: join(stateDir, 'pin.json'),
    pause: join(stateDir, 'pause.json'),
    deploying: join(stateDir, 'deploying.json'),
    lock: join(stateDir, 'watcher.pid'),
    switchLock: join(stateDir, 'switch.lock'),
    gcroots: join(stateDir, 'gcroots'),
  }
}

/** Typed access to a state folder; each file is written atomically. */
export function openState(stateDir: string) {
  const files = stateFiles(stateDir)
  return {
    dir: stateDir,
    files,
    ensure: () => mkdir(stateDir, { recursive: true, mode: 0o755 }),
    readStatus: () => readJson<HailStatus>(files.status),
    writeStatus: (status: HailStatus) => writeJsonAtomic(files.status, status),
    readGenerations: async () => (await readJson<GenerationRecords>(files.generations)) ?? {},
    async recordGeneration(generation: number, ref: BuildRef): Promise<void> {
      const records = (await readJson<GenerationRecords>(files.generations)) ?? {}
      records[String(generation)] = { ...ref, at: new Date().toISOString() }
      await writeJsonAtomic(files.generations, records)
    },
    async forgetGeneration(generation: number): Promise<void> {
      const records = (await readJson<GenerationRecords>(files.generations)) ?? {}
      if (!(String(generation) in records)) return
      delete records[String(generation)]
      await writeJsonAtomic(files.generations, records)
    },
    readFailed: async () => (await readJson<FailedBuild[]>(files.failed)) ?? [],
    async recordFailed(entry: FailedBuild): Promise<void> {
      const list = ((await readJson<FailedBuild[]>(files.failed)) ?? []).filter(
        (f) => f.build !== entry.build,
      )
      list.push(entry)
      await writeJsonAtomic(files.failed, list.slice(-FAILED_KEPT))
    },
    readPin: () => readJson<Pin>(files.pin),
    writePin: (pin: Pin) => writeJsonAtomic(files.pin, pin),
    clearPin: () => rm(files.pin, { force: true }),
    readPause: () => readJson<Pause>(files.pause),
    writePause: (pause: Pause) => writeJsonAtomic(files.pause, pause),
    clearPause: () => rm(files.pause, { force: true }),
    readDeploying: () => readJson<Deploying>(files.deploying),
    writeDeploying: (deploying: Deploying) => writeJsonAtomic(files.deploying, deploying),
    clearDeploying: () => rm(files.deploying, { force: true }),
  }
}

export type HailState = ReturnType<typeof openState>

/**
 * Whether build id `a` is newer than `b`. Hydra's ids grow; other ids (a manifest's) have no order,
 * so any different id counts as newer.
 */
export function isNewer(a: string, b: string): boolean {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b)
  return a !== b
}
