import { Flags } from '@oclif/core'
import { ForkliftCommand } from '../../cli/command.js'
import { parseDuration } from '../../core/hail/duration.js'
import { formatLogLine, type HailLog } from '../../core/hail/log.js'
import { resolvePaths } from '../../core/hail/paths.js'
import { rollbackProfile } from '../../core/hail/rollback.js'
import { profileFlags } from '../hail.js'

export default class HailRollback extends ForkliftCommand {
  static override summary =
    'Switch a profile back to an earlier generation, activate it, and hold newer builds back'
  static override description =
    'Without --to, goes to the generation before the current one. The watcher deploys nothing until a build newer than the one rolled back from appears.'
  static override examples = [
    '<%= config.bin %> hail rollback --profile web',
    '<%= config.bin %> hail rollback --profile web --to 12',
  ]
  static override jsonLines = true
  static override flags = {
    ...profileFlags,
    to: Flags.integer({ description: 'Generation number to switch to', min: 1 }),
    'activate-timeout': Flags.string({ description: 'Time limit of bin/activate', default: '5m' }),
    json: Flags.boolean({ description: 'Log one JSON object per line' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(HailRollback)
    const print = flags.json
      ? (record: HailLog) => this.log(JSON.stringify(record))
      : (record: HailLog) => this.log(formatLogLine(record))
    const paths = resolvePaths({
      profile: flags.profile,
      profilesDir: flags['profiles-dir'],
      stateDir: flags['state-dir'],
    })
    const result = await rollbackProfile(
      paths,
      {
        activateTimeoutMs: parseDuration(flags['activate-timeout'], '--activate-timeout', 's'),
        ...(flags.to !== undefined ? { to: flags.to } : {}),
      },
      print,
    )
    const message = `profile ${flags.profile} rolled back from generation ${result.from.number} to ${result.to.number}${result.build ? ` (build ${result.build})` : ''}; builds up to ${result.pin.build ?? 'the latest seen'} are held back`
    print({
      time: new Date().toISOString(),
      level: 'info',
      event: 'rolled-back',
      msg: message,
      profile: flags.profile,
      generation: result.to.number,
    })
  }
}
