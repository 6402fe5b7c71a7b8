import { errorMessage } from '../errors.js'
import { activate, type HailEnv, healthCheck, runShell } from './activation.js'
import { formatDuration } from './duration.js'
import { HailError, type HailStage } from './errors.js'
import type { Generation } from './generations.js'
import { acquirePidLock } from './lock.js'
import type { HailLevel, HailLog } from './log.js'
import { describeExit, succeeded } from './process.js'
import type { Profile, ProfileBackend } from './profile.js'
import { buildPath, type Candidate } from './source.js'
import type { Deploying, FailedBuild, HailState } from './state.js'

/** What deployment steps share: the profile, its state folder, timeouts and a log. */
export interface DeployContext<B extends Profile = Profile> {
  profile: string
  backend: B
  state: HailState
  activateTimeoutMs: number
  healthCheck?: string
  healthCheckTimeoutMs: number
  hookTimeoutMs: number
  onChange?: string
  onFailure?: string
  env: NodeJS.ProcessEnv
  log(level: HailLevel, event: string, msg: string, fields?: Partial<HailLog>): void
}

/** How long a switch waits for another one (a manual rollback) to finish. */
const SWITCH_WAIT_MS = 15 * 60_000

/** The lock that keeps a watcher's deployment and a manual rollback from switching at once. */
export function lockSwitch(
  ctx: Pick<DeployContext, 'state' | 'profile'>,
): Promise<{ release(): Promise<void> }> {
  return acquirePidLock(
    ctx.state.files.switchLock,
    (pid) => `profile ${ctx.profile} is being switched by pid ${pid}`,
    SWITCH_WAIT_MS,
  )
}

/** The last activation, as status.json reports it. */
export interface ActivationRecord {
  at: string
  build?: string
  generation: number
  durationMs: number
  ok: boolean
}

/** Run the profile's bin/activate for a generation (and the health check); throws a HailError on failure. */
export async function activateGeneration(
  ctx: DeployContext,
  generation: Generation,
  build: string | undefined,
  options: { healthCheck: boolean; record: (activation: ActivationRecord) => void },
): Promise<void> {
  const env: HailEnv = {
    HAIL_PROFILE: ctx.backend.path,
    HAIL_GENERATION: String(generation.number),
    HAIL_PATH: generation.target,
  }
  if (build !== undefined) env.HAIL_BUILD_ID = build
  const at = new Date().toISOString()
  const started = performance.now()
  const fields = { generation: generation.number, path: generation.target, ...(build ? { build } : {}) }
  const onLine = (line: string, stream: 'stdout' | 'stderr') =>
    ctx.log('info', 'output', line, { ...fields, stream })
  ctx.log(
    'info',
    'activate',
    `activating generation ${generation.number}${build ? ` (build ${build})` : ''}`,
    fields,
  )
  try {
    await activate(ctx.backend.path, env, { timeoutMs: ctx.activateTimeoutMs, baseEnv: ctx.env, onLine })
    if (options.healthCheck && ctx.healthCheck) {
      ctx.log('info', 'health-check', `health check: ${ctx.healthCheck}`, fields)
      await healthCheck(ctx.healthCheck, env, {
        timeoutMs: ctx.healthCheckTimeoutMs,
        baseEnv: ctx.env,
        onLine,
      })
    }
  } catch (error) {
    options.record({
      at,
      ...(build ? { build } : {}),
      generation: generation.number,
      durationMs: Math.round(performance.now() - started),
      ok: false,
    })
    throw error
  }
  const durationMs = Math.round(performance.now() - started)
  options.record({ at, ...(build ? { build } : {}), generation: generation.number, durationMs, ok: true })
  ctx.log('info', 'activated', `generation ${generation.number} active (${formatDuration(durationMs)})`, {
    ...fields,
    durationMs,
  })
}

/** Run a notification hook; its failure is logged, never fatal. */
export async function runHook(
  ctx: DeployContext,
  kind: 'on-change' | 'on-failure',
  command: string,
  env: HailEnv,
): Promise<void> {
  const result = await runShell(command, env, {
    timeoutMs: ctx.hookTimeoutMs,
    baseEnv: ctx.env,
    onLine: (line) => ctx.log('info', 'output', line, { hook: kind }),
  })
  if (!succeeded(result))
    ctx.log('warn', 'hook', describeExit(`--${kind} hook`, result, ctx.hookTimeoutMs), { hook: kind })
}

/** What deploying one build came to. */
export type DeployOutcome =
  | { result: 'deployed'; generation: number; durationMs: number }
  | { result: 'failed'; stage: HailStage; error: string }
  | { result: 'stopped' }
  | { result: 'held'; message: string }

/**
 * Put `previous` back after `failed` went wrong: switch to it and run its activate again, then
 * delete the failed generation. Without a previous generation the profile is removed.
 */
export async function restorePrevious(
  ctx: DeployContext,
  previous: Generation | undefined,
  failed: Generation,
  record: (activation: ActivationRecord) => void,
): Promise<void> {
  const records = await ctx.state.readGenerations()
  if (previous && previous.number !== failed.number) {
    await ctx.backend.switchGeneration(previous.number)
    const build = records[String(previous.number)]?.build
    ctx.log(
      'warn',
      'rollback',
      `rolled back to generation ${previous.number}${build ? ` (build ${build})` : ''}`,
      {
        generation: previous.number,
        ...(build ? { build } : {}),
      },
    )
    try {
      await activateGeneration(ctx, previous, build, { healthCheck: false, record })
    } catch (error) {
      ctx.log(
        'error',
        'error',
        `re-activating generation ${previous.number} failed too: ${errorMessage(error)}`,
        {
          stage: 'rollback',
          error: errorMessage(error),
        },
      )
    }
  } else {
    await ctx.backend.removeProfile()
    ctx.log('warn', 'rollback', `no previous generation: profile ${ctx.profile} removed`)
  }
  await ctx.backend.deleteGeneration(failed.number)
  await ctx.state.forgetGeneration(failed.number)
}

/** Remember a build as failed (never retried), log it and run the on-failure hook. */
async function markFailed(ctx: DeployContext, entry: FailedBuild): Promise<void> {
  await ctx.state.recordFailed(entry)
  ctx.log(
    'error',
    'failed',
    `build ${entry.build} failed at ${entry.stage}: ${entry.error}; it will not be retried`,
    { build: entry.build, stage: entry.stage, error: entry.error },
  )
  if (ctx.onFailure) {
    await runHook(ctx, 'on-failure', ctx.onFailure, {
      HAIL_PROFILE: ctx.backend.path,
      HAIL_EVENT: 'failure',
      HAIL_BUILD_ID: entry.build,
      HAIL_PATH: entry.path,
      HAIL_STAGE: entry.stage,
      HAIL_ERROR: entry.error,
    })
  }
}

/**
 * Undo a deployment that a killed watcher left between its switch and the end of its health check
 * (deploying.json says which): the previous generation returns and is activated, and the build counts
 * as failed. Call it under the switch lock; it returns the failure when there was one to undo.
 */
export async function recoverInterrupted(
  ctx: DeployContext,
  record: (activation: ActivationRecord) => void,
): Promise<FailedBuild | undefined> {
  const interrupted: Deploying | undefined = await ctx.state.readDeploying()
  if (!interrupted) return undefined
  const current = await ctx.backend.current()
  let failure: FailedBuild | undefined
  if (current && current.target === interrupted.path && current.number !== interrupted.previous) {
    failure = {
      build: interrupted.build,
      path: interrupted.path,
      stage: 'activate',
      error: `the watcher stopped during its deployment (started ${interrupted.at}), before activate and the health check finished`,
      at: new Date().toISOString(),
    }
    ctx.log('warn', 'recover', `build ${interrupted.build}: ${failure.error}; rolling back`, {
      build: interrupted.build,
      generation: current.number,
    })
    const previous =
      interrupted.previous === null
        ? undefined
        : (await ctx.backend.generations()).find((g) => g.number === interrupted.previous)
    await restorePrevious(ctx, previous, current, record)
    await markFailed(ctx, failure)
  }
  await ctx.state.clearDeploying()
  return failure
}

/**
 * Deploy one build: prepare it (abandoned cleanly when `stop` fires), then under the switch lock
 * switch, activate and health-check it — that part always runs to its end, so the profile is never
 * left half switched; `heldBack`, asked under the lock, can still call it off. Any failure restores the previous generation and remembers the build as failed.
 */
export async function deployBuild<C extends Candidate>(
  ctx: DeployContext<ProfileBackend<C>>,
  candidate: C,
  stop: AbortSignal,
  record: (activation: ActivationRecord) => void,
  heldBack: () => Promise<string | undefined> = async () => undefined,
): Promise<DeployOutcome> {
  const build = candidate.id
  const started = performance.now()
  const fail = async (error: unknown, path?: string): Promise<DeployOutcome> => {
    const stage: HailStage = error instanceof HailError ? error.stage : 'switch'
    const message = errorMessage(error)
    await markFailed(ctx, {
      build,
      path: path ?? buildPath(candidate),
      stage,
      error: message,
      at: new Date().toISOString(),
    })
    return { result: 'failed', stage, error: message }
  }

  let target: string
  try {
    const step = ctx.backend.kind === 'nix' ? 'realise' : 'download'
    target = await ctx.backend.prepare(candidate, stop, (msg, fields) =>
      ctx.log('info', fields?.stream ? 'output' : step, msg, { build, ...fields }),
    )
  } catch (error) {
    if (stop.aborted) {
      ctx.log(
        'info',
        'abandoned',
        `deployment of build ${build} abandoned: stopping (nothing was switched)`,
        { build },
      )
      return { result: 'stopped' }
    }
    return fail(error)
  }

  const lock = await lockSwitch(ctx)
  let generation: Generation
  let previousBuild: string | undefined
  try {
    const held = await heldBack()
    if (held !== undefined) {
      ctx.log('info', 'held', `build ${build} not deployed: ${held}`, { build })
      return { result: 'held', message: held }
    }
    const previous = await ctx.backend.current()
    previousBuild = previous ? (await ctx.state.readGenerations())[String(previous.number)]?.build : undefined
    // Kept until this deployment has its outcome: a watcher killed before then undoes it at its next start.
    await ctx.state.writeDeploying({
      build,
      path: target,
      previous: previous?.number ?? null,
      at: new Date().toISOString(),
    })
    try {
      generation = await ctx.backend.switchTo(target)
    } catch (error) {
      return await fail(error, target)
    }
    await ctx.state.recordGeneration(generation.number, { build, path: target })
    ctx.log(
      'info',
      'switch',
      `profile ${ctx.profile} switched to generation ${generation.number} (build ${build})`,
      {
        build,
        generation: generation.number,
        path: target,
      },
    )
    try {
      await activateGeneration(ctx, generation, build, { healthCheck: true, record })
    } catch (error) {
      ctx.log('error', 'error', errorMessage(error), {
        build,
        stage: error instanceof HailError ? error.stage : 'activate',
      })
      try {
        await restorePrevious(ctx, previous, generation, record)
      } catch (rollbackError) {
        ctx.log('error', 'error', `rollback failed: ${errorMessage(rollbackError)}`, {
          stage: 'rollback',
          error: errorMessage(rollbackError),
        })
      }
      return await fail(error, target)
    }
  } finally {
    await ctx.state.clearDeploying()
    await lock.release()
  }
  const durationMs = Math.round(performance.now() - started)
  ctx.log(
    'info',
    'deployed',
    `build ${build} deployed as generation ${generation.number} in ${formatDuration(durationMs)}`,
    {
      build,
      generation: generation.number,
      path: target,
      durationMs,
    },
  )
  if (ctx.onChange) {
    await runHook(ctx, 'on-change', ctx.onChange, {
      HAIL_PROFILE: ctx.backend.path,
      HAIL_EVENT: 'change',
      HAIL_BUILD_ID: build,
      HAIL_PATH: target,
      HAIL_GENERATION: String(generation.number),
      ...(previousBuild ? { HAIL_PREVIOUS_BUILD_ID: previousBuild } : {}),
    })
  }
  return { result: 'deployed', generation: generation.number, durationMs }
}
