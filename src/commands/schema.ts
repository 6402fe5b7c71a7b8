import { Command } from '@oclif/core'
import { reportError } from '../cli/errors.js'
import { pluginInfos } from '../cli/plugins.js'
import { jsonSchema } from '../core/config/schema.js'
import { collectProviderTypes, loadAllFactories } from '../core/providers/registry.js'

export default class Schema extends Command {
  static override summary = 'Print the JSON Schema of forklift.yaml (for editors), provider settings included'
  static override examples = ['<%= config.bin %> schema > forklift.schema.json']

  async run(): Promise<void> {
    await this.parse(Schema)
    try {
      const factories = await loadAllFactories(collectProviderTypes(pluginInfos(this.config)))
      const providers = [...factories.values()].map((f) => ({
        type: f.type,
        settingsSchema: f.settingsSchema,
      }))
      this.log(JSON.stringify(jsonSchema(providers), null, 2))
    } catch (error) {
      reportError(error)
    }
  }
}
