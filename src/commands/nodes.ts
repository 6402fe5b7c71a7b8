import { Args } from '@oclif/core'
import { ForkliftCommand } from '../cli/command.js'
import { projectFlags } from '../cli/flags.js'
import { pluginInfos } from '../cli/plugins.js'
import { formatTable } from '../cli/render/format.js'
import { showable } from '../cli/render/showable.js'
import { builtinCratesDir } from '../cli/run-engine.js'
import { createEventBus } from '../core/events.js'
import { listGroupNodes } from '../core/inventory.js'
import { closeProviders, openProject, openProviders, selectGroups } from '../core/project.js'

export default class Nodes extends ForkliftCommand {
  static override summary = 'List the nodes of each group, as their providers report them'
  static override examples = [
    '<%= config.bin %> nodes',
    '<%= config.bin %> nodes web db',
    '<%= config.bin %> nodes --json -c staging/forklift.yaml',
  ]
  static override description =
    "Asks each group's provider for its nodes and prints one line per node: group, name, address, state, provider and id. A group whose listing failed is shown with its error, and the command then exits with status 1. Nothing is changed on any node."
  static override strict = false
  static override args = { group: Args.string({ description: 'Groups to list (default: all)' }) }
  static override flags = projectFlags

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Nodes)
    const project = await openProject({
      configFile: flags.config,
      plugins: pluginInfos(this.config),
      builtinCrates: [builtinCratesDir(this.config)],
    })
    const groups = selectGroups(project.config, argv as string[])
    const providers = await openProviders(project, groups, createEventBus())
    try {
      const listing = await listGroupNodes(groups, providers)
      // A group whose listing failed makes the command fail, after what could be listed is shown.
      const failed = listing.some((group) => group.error !== undefined)
      if (flags.json) {
        this.printJson(listing)
        if (failed) this.exit(1)
        return
      }
      const table = [['GROUP', 'NAME', 'ADDRESS', 'STATE', 'PROVIDER', 'ID']]
      for (const group of listing) {
        if (group.error) table.push([group.group, '-', '-', `error: ${group.error}`, group.provider, '-'])
        for (const n of group.nodes) {
          const address = n.port && n.port !== 22 ? `${n.address}:${n.port}` : n.address
          table.push([group.group, n.name, address, n.state ?? '-', group.provider, n.id])
        }
      }
      for (const line of formatTable(table)) this.log(showable(line))
      if (failed) this.exit(1)
    } finally {
      await closeProviders(providers)
    }
  }
}
