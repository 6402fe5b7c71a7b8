import { Args, Flags } from '@oclif/core'
import { ForkliftCommand } from '../cli/command.js'
import { pluginInfos } from '../cli/plugins.js'
import { formatTable } from '../cli/render/format.js'
import { UsageError } from '../core/errors.js'
import { collectProviderTypes, loadEveryProviderType, RegistryError } from '../core/providers/registry.js'
import { closest } from '../core/text/closest.js'

/** One row of the listing: a loaded type's facts, or the error that keeps it from loading. */
interface Row {
  type: string
  plugin: string
  version: string
  canCreate?: boolean
  description?: string
  error?: string
}

export default class Providers extends ForkliftCommand {
  static override summary = 'List the provider types the installed plugins bring'
  static override examples = [
    '<%= config.bin %> providers',
    '<%= config.bin %> providers ec2 vagrant',
    '<%= config.bin %> providers --json',
  ]
  static override description =
    'A type whose plugin cannot be loaded is listed with the error. Naming types lists only those, and exits with status 2 if one of them cannot be loaded.'
  static override strict = false
  static override args = { type: Args.string({ description: 'Types to list (default: all)' }) }
  static override flags = { json: Flags.boolean({ description: 'Print JSON' }) }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Providers)
    const declared = collectProviderTypes(pluginInfos(this.config))
    const asked = [...new Set(argv as string[])]
    for (const type of asked) {
      if (declared.has(type)) continue
      const installed = [...declared.keys()].sort()
      const match = closest(type, installed)
      throw new UsageError(
        `unknown provider type "${type}"; installed: ${installed.join(', ') || '(none)'}${match ? ` (did you mean "${match}"?)` : ''}`,
      )
    }
    const chosen = asked.length ? new Map(asked.map((t) => [t, declared.get(t)!])) : declared
    const rows: Row[] = (await loadEveryProviderType(chosen)).map(({ type, factory, error }) => ({
      type: type.type,
      plugin: type.plugin,
      version: type.version,
      ...(factory
        ? { canCreate: factory.canCreate, description: factory.description }
        : { error: error.message }),
    }))
    if (flags.json) this.printJson(rows)
    else {
      const table = [['TYPE', 'PLUGIN', 'VERSION', 'CREATES NODES', 'DESCRIPTION']]
      for (const r of rows) {
        const creates = r.error ? '-' : r.canCreate ? 'yes' : 'no'
        table.push([r.type, r.plugin, r.version, creates, r.error ? `error: ${r.error}` : r.description!])
      }
      for (const line of formatTable(table)) this.log(line)
    }
    // Listing everything shows what is broken without failing; asking for a broken type does fail.
    const broken = asked.length ? rows.filter((r) => r.error) : []
    if (broken.length) throw new RegistryError(broken.map((r) => r.error).join('\n'))
  }
}
