import { UsageError } from '../errors.js'
import { lockHolder } from './lock.js'
import type { HailPaths } from './paths.js'
import { type FailedBuild, type HailStatus, openState, type Pause, type Pin } from './state.js'

/** status.json with what is true now: is the watcher alive, is a freeze or pin set, what is wrong. */
export interface StatusReport {
  status: HailStatus
  running: boolean
  healthy: boolean
  /** Why it is degraded, one line each. */
  problems: string[]
  pause?: Pause
  pin?: Pin
  /** The failed build holding deployments back, when the newest build is one. */
  blockedBy?: FailedBuild
}

/**
 * Read a profile's state folder into a report; `now` is for tests of staleness, `stateDirGiven`
 * says whether the folder came from --state-dir (else it is the default one, and the error says so).
 */
export async function readStatusReport(
  paths: HailPaths,
  now = Date.now(),
  stateDirGiven = true,
): Promise<StatusReport> {
  const state = openState(paths.stateDir)
  const status = await state.readStatus()
  if (!status) {
    throw new UsageError(
      stateDirGiven
        ? `no status for profile ${paths.profile} in ${paths.stateDir}: no watcher has run with this --state-dir`
        : `no status for profile ${paths.profile} in ${paths.stateDir}: no watcher has run with the default state folder (give --state-dir if the watcher was given one)`,
    )
  }
  const [pause, pin, failed, holder] = await Promise.all([
    state.readPause(),
    state.readPin(),
    state.readFailed(),
    lockHolder(state.files.lock),
  ])
  const running = holder !== undefined
  const problems: string[] = []
  if (status.consecutiveFailures > 0) {
    const last = status.lastError
    problems.push(
      `${status.consecutiveFailures} failed poll${status.consecutiveFailures > 1 ? 's' : ''} in a row${last ? `; last at ${last.stage}: ${last.message}` : ''}`,
    )
  }
  const blockedBy = status.latest ? failed.find((f) => f.build === status.latest?.build) : undefined
  if (blockedBy)
    problems.push(`newest build ${blockedBy.build} failed at ${blockedBy.stage} and is not deployed`)
  const activation = status.lastActivation
  if (activation && !activation.ok)
    problems.push(`the last activate (generation ${activation.generation}) failed at ${activation.at}`)
  if (status.mode === 'loop' && !running) {
    problems.push(
      `watcher not running (was pid ${status.pid}${status.stoppedAt ? `, stopped at ${status.stoppedAt}` : ''})`,
    )
  }
  if (running && status.nextPollAt) {
    const late = now - Date.parse(status.nextPollAt)
    if (late > Math.max(60_000, status.pollPeriodMs))
      problems.push(`no poll since ${status.lastPoll?.at ?? status.startedAt} (overdue)`)
  }
  const report: StatusReport = { status, running, healthy: problems.length === 0, problems }
  if (pause) report.pause = pause
  if (pin) report.pin = pin
  if (blockedBy) report.blockedBy = blockedBy
  return report
}
