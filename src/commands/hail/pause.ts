import { Flags } from '@oclif/core'
import { ForkliftCommand } from '../../cli/command.js'
import { pause } from '../../core/hail/control.js'
import { resolvePaths } from '../../core/hail/paths.js'
import { profileFlags } from '../hail.js'

export default class HailPause extends ForkliftCommand {
  static override summary =
    'Freeze changes: the watcher keeps polling and reporting new builds but deploys none'
  static override description =
    "Writes pause.json in the profile's state folder: the watcher goes on polling and reports new builds but deploys none until hail resume. A deployment already under way is not stopped."
  static override examples = ['<%= config.bin %> hail pause --profile web --reason "release freeze"']
  static override flags = {
    ...profileFlags,
    reason: Flags.string({ description: 'Why (shown by hail status)' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(HailPause)
    const paths = resolvePaths({
      profile: flags.profile,
      profilesDir: flags['profiles-dir'],
      stateDir: flags['state-dir'],
    })
    const entry = await pause(paths, flags.reason)
    this.log(
      `profile ${flags.profile}: deployments paused since ${entry.since}${entry.reason ? ` (${entry.reason})` : ''}`,
    )
  }
}
