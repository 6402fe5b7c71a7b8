import { Command, Flags } from '@oclif/core'
import { reportError } from '../cli/errors.js'
import { pluginInfos } from '../cli/plugins.js'
import { formatTable } from '../cli/render/format.js'
import { collectProviderTypes, loadProviderFactory } from '../core/providers/registry.js'

export default class Providers extends Command {
  static override summary = 'List the provider types the installed plugins bring'
  static override flags = { json: Flags.boolean({ description: 'Print JSON' }) }

  async run(): Promise<void> {
    const { flags } = await this.parse(Providers)
    try {
      const types = [...collectProviderTypes(pluginInfos(this.config)).values()]
      const rows = await Promise.all(
        types.map(async (t) => {
          const factory = await loadProviderFactory(t)
          return {
            type: t.type,
            plugin: t.plugin,
            version: t.version,
            canCreate: factory.canCreate,
            description: factory.description,
          }
        }),
      )
      rows.sort((a, b) => a.type.localeCompare(b.type))
      if (flags.json) return this.log(JSON.stringify(rows, null, 2))
      const table = [['TYPE', 'PLUGIN', 'VERSION', 'CREATES NODES', 'DESCRIPTION']]
      for (const r of rows)
        table.push([r.type, r.plugin, r.version, r.canCreate ? 'yes' : 'no', r.description])
      for (const line of formatTable(table)) this.log(line)
    } catch (error) {
      reportError(error)
    }
  }
}
