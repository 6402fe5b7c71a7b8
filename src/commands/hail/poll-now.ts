import { ForkliftCommand } from '../../cli/command.js'
import { pollNow } from '../../core/hail/control.js'
import { resolvePaths } from '../../core/hail/paths.js'
import { profileFlags } from '../hail.js'

export default class HailPollNow extends ForkliftCommand {
  static override summary =
    'Make the running watcher poll at once instead of waiting for its period (sends SIGHUP)'
  static override description =
    'Sends SIGHUP to the watcher that runs for the profile, which then polls at once instead of waiting for its period. It is an error (status 2) when no watcher runs for the profile.'
  static override examples = ['<%= config.bin %> hail poll-now --profile web']
  static override flags = { ...profileFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(HailPollNow)
    const paths = resolvePaths({
      profile: flags.profile,
      profilesDir: flags['profiles-dir'],
      stateDir: flags['state-dir'],
    })
    const pid = await pollNow(paths)
    this.log(`profile ${flags.profile}: asked watcher pid ${pid} to poll now`)
  }
}
