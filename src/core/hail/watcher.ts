import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { errorMessage, UsageError } from '../errors.js'
import { nextDelay } from './backoff.js'
import type { Clock } from './clock.js'
import type { WatcherConfig } from './config.js'
import {
  type ActivationRecord,
  activateGeneration,
  type DeployContext,
  deployBuild,
  lockSwitch,
  recoverInterrupted,
  runHook,
} from './deploy.js'
import { formatDuration } from './duration.js'
import { HailError, type HailStage } from './errors.js'
import { acquirePidLock } from './lock.js'
import type { HailLevel, HailLog } from './log.js'
import type { ProfileBackend } from './profile.js'
import { buildPath, type Candidate, type Source } from './source.js'
import { type BuildRef, type HailState, type HailStatus, isNewer, type PollOutcome } from './state.js'
import { permitted } from './writable.js'

/** How a watcher run ended (oneshot: the one poll; loop: the last one before stopping). */
export interface WatcherOutcome {
  ok: boolean
  result: PollOutcome
  message: string
}

/** A running watcher: `run` until `stop` fires (or one poll with oneshot); `pollNow` cuts a wait short. */
export interface Watcher {
  run(stop: AbortSignal): Promise<WatcherOutcome>
  pollNow(): void
}

interface PollReport {
  result: PollOutcome
  message: string
  failure?: { stage: HailStage; message: string; build?: string }
}

/** A watcher's log: one record per call, stamped, redacted and printed by whoever made it. */
export type WatcherLog = (level: HailLevel, event: string, msg: string, fields?: Partial<HailLog>) => void

/** What a watcher is made of: its settings, where builds come from, how they are deployed, its state and clock. */
export interface WatcherParts<C extends Candidate> {
  config: WatcherConfig
  source: Source<C>
  backend: ProfileBackend<C>
  state: HailState
  clock: Clock
  log: WatcherLog
  env: NodeJS.ProcessEnv
}

/** Create a watcher for one profile from its parts (openWatcher wires them from a config). Nothing happens until `run`. */
export function createWatcher<C extends Candidate>(parts: WatcherParts<C>): Watcher {
  const { config, source, backend, state, clock, log, env } = parts
  const { paths } = config

  let wakeRequested = false
  let wake: (() => void) | undefined

  const counters = {
    polls: 0,
    consecutiveFailures: 0,
    totalFailures: 0,
    lastError: null as HailStatus['lastError'],
    lastActivation: null as HailStatus['lastActivation'],
    lastPoll: null as HailStatus['lastPoll'],
    latest: null as BuildRef | null,
    startedAt: clock.now().toISOString(),
  }
  const recordActivation = (activation: ActivationRecord) => {
    counters.lastActivation = activation
  }

  /** Wait for the next poll; `pollNow` (or a wake asked for before the wait) cuts it short. */
  async function sleep(ms: number, stop: AbortSignal): Promise<void> {
    if (wakeRequested || stop.aborted) {
      wakeRequested = false
      return
    }
    const woken = new AbortController()
    wake = () => woken.abort()
    try {
      await clock.sleep(ms, AbortSignal.any([stop, woken.signal]))
    } finally {
      wake = undefined
      wakeRequested = false
    }
  }

  async function writeStatus(nextPollAt: Date | null, stopped = false): Promise<void> {
    const current = await backend.current().catch(() => undefined)
    const records = await state.readGenerations()
    const [pause, pin, failed] = await Promise.all([state.readPause(), state.readPin(), state.readFailed()])
    const blocked = counters.latest && failed.some((f) => f.build === counters.latest?.build)
    const status: HailStatus = {
      version: 1,
      profile: paths.profile,
      profilePath: paths.profilePath,
      source: source.description,
      pid: process.pid,
      mode: config.oneshot ? 'oneshot' : 'loop',
      dryRun: config.dryRun,
      pollPeriodMs: config.pollPeriodMs,
      startedAt: counters.startedAt,
      // A current generation whose activate failed is not healthy, even when polls go well.
      health:
        counters.consecutiveFailures > 0 || blocked || counters.lastActivation?.ok === false
          ? 'degraded'
          : 'healthy',
      current: current
        ? {
            build: records[String(current.number)]?.build ?? '',
            path: current.target,
            generation: current.number,
          }
        : null,
      latest: counters.latest,
      lastPoll: counters.lastPoll,
      nextPollAt: nextPollAt?.toISOString() ?? null,
      lastError: counters.lastError,
      consecutiveFailures: counters.consecutiveFailures,
      totalFailures: counters.totalFailures,
      polls: counters.polls,
      lastActivation: counters.lastActivation,
      paused: pause !== undefined,
      pinnedBelow: pin?.build ?? null,
    }
    if (stopped) status.stoppedAt = clock.now().toISOString()
    await state.writeStatus(status)
  }

  /** Why a rollback pin holds build `id` back, if it does; a newer build lifts the pin. */
  async function heldByPin(id: string): Promise<string | undefined> {
    const pin = await state.readPin()
    if (!pin) return undefined
    if (pin.build === null && !config.dryRun) {
      pin.build = id
      await state.writePin(pin)
    }
    if (pin.build === null || !isNewer(id, pin.build))
      return `rolled back to generation ${pin.generation}; build ${id} is not newer than build ${pin.build ?? id}`
    if (!config.dryRun) await state.clearPin()
    log('info', 'unpin', `build ${id} is newer than build ${pin.build}: rollback pin lifted`, { build: id })
    return undefined
  }

  async function pollOnce(ctx: DeployContext<ProfileBackend<C>>, stop: AbortSignal): Promise<PollReport> {
    let found: Awaited<ReturnType<Source<C>['poll']>>
    try {
      found = await source.poll(stop)
    } catch (error) {
      if (stop.aborted) return { result: 'stopped', message: 'poll abandoned: stopping' }
      return {
        result: 'error',
        message: errorMessage(error),
        failure: { stage: 'poll', message: errorMessage(error) },
      }
    }
    if (found.kind === 'none') return { result: 'no-build', message: found.message }
    const candidate = found.candidate
    const id = candidate.id
    counters.latest = { build: id, path: buildPath(candidate) }

    const current = await backend.current()
    if (current) {
      const records = await state.readGenerations()
      const known = records[String(current.number)]?.build
      const target = backend.targetOf(candidate)
      if (known === id || current.target === target) {
        // A profile switched by hand to this very build: remember which build it is.
        if (known !== id && !config.dryRun)
          await state.recordGeneration(current.number, { build: id, path: current.target })
        return { result: 'unchanged', message: `build ${id} is current (generation ${current.number})` }
      }
    }
    const failed = (await state.readFailed()).find((f) => f.build === id)
    if (failed) {
      return {
        result: 'known-failed',
        message: `build ${id} failed before (${failed.stage}: ${failed.error}); waiting for a newer build`,
      }
    }
    const pinned = await heldByPin(id)
    if (pinned) return { result: 'pinned', message: pinned }
    if (found.kind === 'waiting')
      return { result: 'waiting', message: `build ${id} held back: ${found.message}` }
    const pause = await state.readPause()
    if (pause) {
      return {
        result: 'paused',
        message: `build ${id} is available; deployments paused since ${pause.since}${pause.reason ? ` (${pause.reason})` : ''}`,
      }
    }
    const path = buildPath(candidate)
    if (config.dryRun)
      return { result: 'dry-run', message: `new build ${id} (${path}) would be deployed (dry run)` }

    log('info', 'new-build', `new build ${id}: ${path}`, { build: id, path })
    // Asked again under the switch lock: a rollback may have pinned while the build was prepared.
    const outcome = await deployBuild(ctx, candidate, stop, recordActivation, () => heldByPin(id))
    if (outcome.result === 'deployed') {
      return {
        result: 'deployed',
        message: `build ${id} deployed as generation ${outcome.generation} in ${formatDuration(outcome.durationMs)}`,
      }
    }
    if (outcome.result === 'held') return { result: 'pinned', message: outcome.message }
    if (outcome.result === 'stopped')
      return { result: 'stopped', message: `deployment of build ${id} abandoned: stopping` }
    return {
      result: 'failed',
      message: `build ${id} failed at ${outcome.stage}: ${outcome.error}`,
      failure: { stage: outcome.stage, message: outcome.error, build: id },
    }
  }

  /** hail's start: a deployment a killed watcher left is undone, and an existing profile is activated at once. */
  async function activateAtStart(ctx: DeployContext<ProfileBackend<C>>): Promise<PollReport | undefined> {
    const lock = await lockSwitch(ctx)
    let current: Awaited<ReturnType<ProfileBackend<C>['current']>>
    let build: string | undefined
    try {
      const interrupted = await recoverInterrupted(ctx, recordActivation)
      if (interrupted) {
        // The previous generation was activated by the recovery itself.
        return {
          result: 'failed',
          message: `build ${interrupted.build} failed at ${interrupted.stage}: ${interrupted.error}`,
          failure: { stage: interrupted.stage, message: interrupted.error, build: interrupted.build },
        }
      }
      current = await ctx.backend.current()
      if (!current) return undefined
      build = (await state.readGenerations())[String(current.number)]?.build
      await activateGeneration(ctx, current, build, { healthCheck: false, record: recordActivation })
      return undefined
    } catch (error) {
      const stage = error instanceof HailError ? error.stage : 'activate'
      log(
        'error',
        'error',
        `${current ? `activating the current generation ${current.number}` : 'recovering an interrupted deployment'} failed: ${errorMessage(error)}`,
        { stage, error: errorMessage(error) },
      )
      return {
        result: 'error',
        message: errorMessage(error),
        failure: { stage, message: errorMessage(error), ...(build ? { build } : {}) },
      }
    } finally {
      await lock.release()
    }
  }

  async function account(ctx: DeployContext<ProfileBackend<C>>, report: PollReport): Promise<void> {
    counters.polls++
    counters.lastPoll = { at: clock.now().toISOString(), result: report.result, message: report.message }
    if (report.failure) {
      counters.consecutiveFailures++
      counters.totalFailures++
      counters.lastError = { at: counters.lastPoll.at, ...report.failure }
      // Deploy failures run the hook themselves; a poll failure notifies once when the trouble starts.
      if (report.result === 'error' && counters.consecutiveFailures === 1 && ctx.onFailure) {
        await runHook(ctx, 'on-failure', ctx.onFailure, {
          HAIL_PROFILE: paths.profilePath,
          HAIL_EVENT: 'failure',
          HAIL_STAGE: report.failure.stage,
          HAIL_ERROR: report.failure.message,
          ...(report.failure.build ? { HAIL_BUILD_ID: report.failure.build } : {}),
        })
      }
    } else if (report.result !== 'stopped') {
      counters.consecutiveFailures = 0
    }
  }

  // A deployment reports itself step by step; its poll record is the summary for JSON readers.
  const levelOf = (result: PollOutcome): HailLevel =>
    result === 'deployed' || result === 'failed'
      ? 'debug'
      : result === 'error'
        ? 'error'
        : result === 'paused' || result === 'known-failed' || result === 'waiting'
          ? 'warn'
          : 'info'

  return {
    pollNow() {
      wakeRequested = true
      wake?.()
    },
    async run(stop) {
      const ctx: DeployContext<ProfileBackend<C>> = {
        profile: paths.profile,
        backend,
        state,
        activateTimeoutMs: config.activateTimeoutMs,
        healthCheckTimeoutMs: config.healthCheckTimeoutMs,
        hookTimeoutMs: config.hookTimeoutMs,
        env,
        log,
        ...(config.healthCheck ? { healthCheck: config.healthCheck } : {}),
        ...(config.onChange ? { onChange: config.onChange } : {}),
        ...(config.onFailure ? { onFailure: config.onFailure } : {}),
      }

      const locks = [
        await permitted(paths.stateDir, () =>
          acquirePidLock(
            state.files.lock,
            (pid) => `profile ${paths.profile} is already watched by pid ${pid} (state ${paths.stateDir})`,
          ),
        ),
      ]
      try {
        if (!config.dryRun) {
          const folder = dirname(paths.profilePath)
          await permitted(folder, async () => {
            await mkdir(folder, { recursive: true })
            locks.push(
              await acquirePidLock(
                `${paths.profilePath}.hail.pid`,
                (pid) => `profile ${paths.profilePath} is already watched by pid ${pid}`,
              ),
            )
          })
          for (const removed of await backend.recover())
            log('warn', 'recover', `removed ${removed} (left by an interrupted run)`)
        }
        log(
          'info',
          'start',
          `watching ${source.description} for profile ${paths.profilePath} every ${formatDuration(config.pollPeriodMs)}${config.dryRun ? ' (dry run)' : ''}`,
          {
            pid: process.pid,
          },
        )
        // A profile path that is not a profile (a plain file or folder) is a mistake to report now.
        await backend.current().catch((error) => {
          throw new UsageError(errorMessage(error))
        })
        let last: PollReport = { result: 'started', message: 'started' }
        await writeStatus(null)
        if (!config.dryRun) {
          const startReport = await activateAtStart(ctx)
          if (startReport) {
            await account(ctx, startReport)
            last = startReport
          }
        }
        const startFailure = last.failure ? last : undefined
        while (!stop.aborted) {
          // Whatever goes wrong in one poll is that poll's failure; the loop goes on.
          const report = await pollOnce(ctx, stop).catch(
            (error): PollReport => ({
              result: 'error',
              message: errorMessage(error),
              failure: { stage: 'poll', message: errorMessage(error) },
            }),
          )
          if (report.result === 'stopped') {
            log('info', 'stop', report.message)
            break
          }
          await account(ctx, report)
          last = report
          const delay = report.failure
            ? nextDelay(config.pollPeriodMs, counters.consecutiveFailures, config.maxBackoffMs)
            : config.pollPeriodMs
          // status.json first: whoever reads the poll record finds the status already up to date.
          await writeStatus(config.oneshot ? null : new Date(clock.now().getTime() + delay))
          log(levelOf(report.result), 'poll', report.message, {
            result: report.result,
            ...(report.failure ? { stage: report.failure.stage, error: report.failure.message } : {}),
          })
          if (config.oneshot) break
          if (report.failure) {
            log(
              'info',
              'backoff',
              `next poll in ${formatDuration(delay)} (${counters.consecutiveFailures} failures in a row)`,
              {
                delayMs: delay,
              },
            )
          }
          await sleep(delay, stop)
        }
        // In oneshot mode a failed start activation fails the run even when the poll went well.
        if (config.oneshot && startFailure && !last.failure) last = startFailure
        return { ok: !last.failure, result: last.result, message: last.message }
      } finally {
        try {
          await writeStatus(null, true)
        } finally {
          for (const lock of locks.reverse()) await lock.release()
          log('info', 'exit', `watcher for profile ${paths.profile} stopped`)
        }
      }
    },
  }
}
