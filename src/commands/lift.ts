import { Args } from '@oclif/core'
import { ForkliftCommand } from '../cli/command.js'
import { runFlags } from '../cli/flags.js'
import { runCommand } from '../cli/run-engine.js'

export default class Lift extends ForkliftCommand {
  static override summary = 'Run phases on the nodes that exist'
  static override description =
    'Runs the settings phase, then each --phase in the order given (default configure) on the existing nodes of the given groups (default all). Nothing is created or destroyed. --phase bootstrap bootstraps, first, the nodes that never were (their marker is missing). A phase that is not built in (bootstrap, settings, configure) and that no group or crate of the groups defines is a usage error.'
  static override strict = false
  static override args = { group: Args.string({ description: 'Groups to lift (default: all)' }) }
  static override flags = runFlags
  static override examples = [
    '<%= config.bin %> lift',
    '<%= config.bin %> lift web --phase configure --phase deploy',
    '<%= config.bin %> lift --dry-run --verbose',
  ]

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Lift)
    const code = await runCommand('lift', this.config, argv as string[], flags)
    process.exitCode = code
  }
}
