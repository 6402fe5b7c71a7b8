import { Flags } from '@oclif/core'
import { ForkliftCommand } from '../../cli/command.js'
import { formatDuration } from '../../core/hail/duration.js'
import { readableStatePaths, resolvePaths } from '../../core/hail/paths.js'
import { readStatusReport, type StatusReport } from '../../core/hail/status.js'
import { profileFlags } from '../hail.js'

function lines(report: StatusReport): string[][] {
  const s = report.status
  const rows: string[][] = [
    ['profile', `${s.profile} (${s.profilePath})`],
    ['source', s.source],
    [
      'watcher',
      report.running
        ? `running (pid ${s.pid}), polling every ${formatDuration(s.pollPeriodMs)}${s.dryRun ? ', dry run' : ''}`
        : `not running${s.stoppedAt ? ` (stopped at ${s.stoppedAt})` : ''}${s.mode === 'oneshot' ? ', last run oneshot' : ''}`,
    ],
    ['health', report.healthy ? 'healthy' : `degraded: ${report.problems.join('; ')}`],
    [
      'current',
      s.current
        ? `build ${s.current.build || '?'}, generation ${s.current.generation}: ${s.current.path}`
        : 'none',
    ],
    ['latest', s.latest ? `build ${s.latest.build}: ${s.latest.path}` : 'unknown'],
    ['last poll', s.lastPoll ? `${s.lastPoll.at} ${s.lastPoll.result}: ${s.lastPoll.message}` : 'none yet'],
  ]
  if (s.nextPollAt && report.running) rows.push(['next poll', s.nextPollAt])
  if (s.lastError)
    rows.push(['last error', `${s.lastError.at} at ${s.lastError.stage}: ${s.lastError.message}`])
  rows.push([
    'failures',
    `${s.consecutiveFailures} in a row, ${s.totalFailures} in total over ${s.polls} polls`,
  ])
  if (s.lastActivation) {
    const a = s.lastActivation
    rows.push([
      'activation',
      `${a.ok ? 'ok' : 'FAILED'} in ${formatDuration(a.durationMs)} at ${a.at} (generation ${a.generation}${a.build ? `, build ${a.build}` : ''})`,
    ])
  }
  if (report.pause)
    rows.push([
      'paused',
      `since ${report.pause.since}${report.pause.reason ? `: ${report.pause.reason}` : ''}`,
    ])
  if (report.pin)
    rows.push([
      'pinned',
      `rolled back to generation ${report.pin.generation}; waiting for a build newer than ${report.pin.build ?? 'the latest'}`,
    ])
  return rows
}

export default class HailStatus extends ForkliftCommand {
  static override summary = "Show a hail watcher's status; exit 0 when healthy, 1 when degraded"
  static override description =
    "Reads the profile's status.json and adds live checks (is the watcher running, is a poll overdue). Degraded means polls failed in a row, the newest build failed, the last activate failed, a loop watcher stopped, or a poll is overdue. Exit status 2 when no status is found."
  static override examples = [
    '<%= config.bin %> hail status --profile web',
    '<%= config.bin %> hail status --profile web --json',
  ]
  static override flags = {
    ...profileFlags,
    json: Flags.boolean({ description: 'Print status.json with the live checks' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(HailStatus)
    const paths = resolvePaths({
      profile: flags.profile,
      profilesDir: flags['profiles-dir'],
      stateDir: flags['state-dir'],
    })
    const given = flags['state-dir'] !== undefined
    const report = await readStatusReport(readableStatePaths(paths, given), Date.now(), given)
    if (flags.json) {
      this.log(
        JSON.stringify(
          {
            ...report.status,
            health: report.healthy ? 'healthy' : 'degraded',
            running: report.running,
            problems: report.problems,
            pause: report.pause ?? null,
            pin: report.pin ?? null,
          },
          null,
          2,
        ),
      )
    } else {
      const rows = lines(report)
      const width = Math.max(...rows.map((r) => r[0]!.length))
      for (const [key, value] of rows) this.log(`${key!.padEnd(width)}  ${value}`)
    }
    if (!report.healthy) this.exit(1)
  }
}
