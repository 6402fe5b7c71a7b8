import { errorMessage, UsageError } from '../errors.js'
import { storeDirOf } from './config.js'
import { type ActivationRecord, activateGeneration, type DeployContext, lockSwitch } from './deploy.js'
import { dirBackend } from './dir-profile.js'
import { HailError } from './errors.js'
import { currentGeneration, type Generation } from './generations.js'
import { lockHolder } from './lock.js'
import type { HailLevel, HailLog, HailLogger } from './log.js'
import { nixBackend } from './nix-profile.js'
import type { HailPaths } from './paths.js'
import type { Profile } from './profile.js'
import { openState, type Pin } from './state.js'

/** What a manual rollback did. */
export interface RollbackResult {
  from: Generation
  to: Generation
  build?: string
  pin: Pin
}

/** The backend a profile already uses: unpacked builds under the Forklift store, else Nix. */
async function existingBackend(paths: HailPaths, env: NodeJS.ProcessEnv): Promise<Profile> {
  const current = await currentGeneration(paths.profilePath).catch((error) => {
    throw new UsageError(errorMessage(error))
  })
  if (!current) throw new UsageError(`profile ${paths.profilePath} does not exist: nothing to roll back`)
  const storeDir = storeDirOf(paths)
  // A rollback only switches between existing generations: it never downloads or realises.
  if (current.target.startsWith(`${storeDir}/`)) {
    return dirBackend({ profilePath: paths.profilePath, storeDir, http: { timeoutMs: 1 } })
  }
  return nixBackend({
    profilePath: paths.profilePath,
    rootsDir: openState(paths.stateDir).files.gcroots,
    nixOptions: [],
    fetchTimeoutMs: 1,
    env,
  })
}

/**
 * Switch the profile back to the previous generation (or `to`) and run its activate. The rolled-back
 * build is pinned: the watcher deploys nothing until a newer build than it appears. If the older
 * generation fails to activate, the profile returns to where it was and that is reported.
 */
export async function rollbackProfile(
  paths: HailPaths,
  options: { to?: number; activateTimeoutMs: number; env?: NodeJS.ProcessEnv },
  logger: HailLogger,
): Promise<RollbackResult> {
  const env = options.env ?? process.env
  const state = openState(paths.stateDir)
  await state.ensure()
  const backend = await existingBackend(paths, env)
  const log = (level: HailLevel, event: string, msg: string, fields: Partial<HailLog> = {}) =>
    logger({ time: new Date().toISOString(), level, event, msg, profile: paths.profile, ...fields })
  const ctx: DeployContext = {
    profile: paths.profile,
    backend,
    state,
    activateTimeoutMs: options.activateTimeoutMs,
    healthCheckTimeoutMs: 0,
    hookTimeoutMs: 0,
    env,
    log,
  }
  const lock = await lockSwitch(ctx)
  try {
    const from = await backend.current()
    if (!from) throw new UsageError(`profile ${paths.profilePath} does not exist: nothing to roll back`)
    const generations = await backend.generations()
    const to =
      options.to === undefined
        ? generations.filter((g) => g.number < from.number).at(-1)
        : generations.find((g) => g.number === options.to)
    if (!to) {
      const list = generations.map((g) => g.number).join(', ')
      throw new UsageError(
        options.to === undefined
          ? `profile ${paths.profile}: no generation before ${from.number} to roll back to (generations: ${list})`
          : `profile ${paths.profile}: no generation ${options.to} (generations: ${list})`,
      )
    }
    if (to.number === from.number)
      throw new UsageError(`profile ${paths.profile}: generation ${to.number} is already current`)
    const records = await state.readGenerations()
    const fromBuild = records[String(from.number)]?.build
    const toBuild = records[String(to.number)]?.build
    // A manual rollback's activation is reported by the command; status.json is the watcher's.
    const record = (_activation: ActivationRecord) => {}
    const status = await state.readStatus()
    const pin: Pin = {
      build: fromBuild ?? status?.latest?.build ?? null,
      generation: to.number,
      at: new Date().toISOString(),
    }
    // Pinned before the switch: a watcher that sees the older generation also sees the pin, and
    // never takes it for a profile that needs the rolled-back build again.
    const previousPin = await state.readPin()
    await state.writePin(pin)
    const unpin = () => (previousPin ? state.writePin(previousPin) : state.clearPin())
    try {
      await backend.switchGeneration(to.number)
    } catch (error) {
      await unpin()
      throw error
    }
    log(
      'info',
      'rollback',
      `profile ${paths.profile} switched back from generation ${from.number} to ${to.number}`,
      {
        generation: to.number,
        ...(toBuild ? { build: toBuild } : {}),
      },
    )
    try {
      await activateGeneration(ctx, to, toBuild, { healthCheck: false, record })
    } catch (error) {
      await backend.switchGeneration(from.number)
      await unpin()
      try {
        await activateGeneration(ctx, from, fromBuild, { healthCheck: false, record })
      } catch (again) {
        log('error', 'error', `re-activating generation ${from.number} failed too: ${errorMessage(again)}`)
      }
      throw new HailError(
        'rollback',
        `generation ${to.number} failed to activate (${errorMessage(error)}); generation ${from.number} is current again`,
      )
    }
    const pid = await lockHolder(state.files.lock)
    if (pid !== undefined) process.kill(pid, 'SIGHUP')
    return { from, to, ...(toBuild ? { build: toBuild } : {}), pin }
  } finally {
    await lock.release()
  }
}
