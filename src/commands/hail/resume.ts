import { ForkliftCommand } from '../../cli/command.js'
import { resume } from '../../core/hail/control.js'
import { resolvePaths } from '../../core/hail/paths.js'
import { profileFlags } from '../hail.js'

export default class HailResume extends ForkliftCommand {
  static override summary = 'End a change freeze; a running watcher polls at once'
  static override description =
    "Removes the profile's pause.json; a running watcher is told to poll at once, so a build that waited during the freeze is deployed on that poll."
  static override examples = ['<%= config.bin %> hail resume --profile web']
  static override flags = { ...profileFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(HailResume)
    const paths = resolvePaths({
      profile: flags.profile,
      profilesDir: flags['profiles-dir'],
      stateDir: flags['state-dir'],
    })
    const result = await resume(paths)
    const state = result.wasPaused ? 'deployments resumed' : 'was not paused'
    this.log(`profile ${flags.profile}: ${state}${result.pid ? `; watcher pid ${result.pid} polls now` : ''}`)
  }
}
