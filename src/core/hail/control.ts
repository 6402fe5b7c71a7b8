import { UsageError } from '../errors.js'
import { lockHolder } from './lock.js'
import type { HailPaths } from './paths.js'
import { openState, type Pause } from './state.js'

/** The pid of the watcher running for this state folder, if one is. */
export function watcherPid(paths: HailPaths): Promise<number | undefined> {
  return lockHolder(openState(paths.stateDir).files.lock)
}

/** Ask the running watcher to poll at once (SIGHUP); returns its pid. */
export async function pollNow(paths: HailPaths): Promise<number> {
  const pid = await watcherPid(paths)
  if (pid === undefined)
    throw new UsageError(`no watcher is running for profile ${paths.profile} (state ${paths.stateDir})`)
  process.kill(pid, 'SIGHUP')
  return pid
}

/** Start a change freeze: the watcher keeps polling and reporting but switches nothing. */
export async function pause(paths: HailPaths, reason?: string): Promise<Pause> {
  const state = openState(paths.stateDir)
  await state.ensure()
  const existing = await state.readPause()
  if (existing) return existing
  const entry: Pause = { since: new Date().toISOString(), ...(reason ? { reason } : {}) }
  await state.writePause(entry)
  return entry
}

/** End a change freeze; the running watcher (if any) polls at once. Returns whether one was set. */
export async function resume(paths: HailPaths): Promise<{ wasPaused: boolean; pid?: number }> {
  const state = openState(paths.stateDir)
  const wasPaused = (await state.readPause()) !== undefined
  await state.clearPause()
  const pid = await watcherPid(paths)
  if (pid !== undefined) process.kill(pid, 'SIGHUP')
  return pid !== undefined ? { wasPaused, pid } : { wasPaused }
}
