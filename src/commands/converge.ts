import { Args, Flags } from '@oclif/core'
import { ForkliftCommand } from '../cli/command.js'
import { runFlags } from '../cli/flags.js'
import { runCommand } from '../cli/run-engine.js'

export default class Converge extends ForkliftCommand {
  static override summary = 'Bring groups to their declared count, bootstrap new nodes, then configure all'
  static override description =
    'For each group: list its nodes through the provider, create the missing ones and destroy the surplus (newest first), run bootstrap on nodes that were never bootstrapped, then settings, configure and each --phase (in the order given) on every node. A phase that is not built in and that no group or crate of the groups defines is a usage error.'
  static override strict = false
  static override args = { group: Args.string({ description: 'Groups to converge (default: all)' }) }
  static override flags = {
    ...runFlags,
    count: Flags.string({ description: 'Override a group count: GROUP=N (repeatable)', multiple: true }),
  }
  static override examples = ['<%= config.bin %> converge', '<%= config.bin %> converge web --count web=3']

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Converge)
    const code = await runCommand('converge', this.config, argv as string[], flags)
    process.exitCode = code
  }
}
