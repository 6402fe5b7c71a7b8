import { ForkliftCommand } from '../cli/command.js'
import { pluginInfos } from '../cli/plugins.js'
import { jsonSchema } from '../core/config/schema.js'
import { collectProviderTypes, loadEveryProviderType } from '../core/providers/registry.js'

export default class Schema extends ForkliftCommand {
  static override summary = 'Print the JSON Schema of forklift.yaml (for editors), provider settings included'
  static override description =
    'A provider type whose plugin cannot be loaded is left out, and a line on stderr says which and why.'
  static override examples = ['<%= config.bin %> schema > forklift.schema.json']

  async run(): Promise<void> {
    await this.parse(Schema)
    const loaded = await loadEveryProviderType(collectProviderTypes(pluginInfos(this.config)))
    const providers = loaded.flatMap(({ factory }) =>
      factory ? [{ type: factory.type, settingsSchema: factory.settingsSchema }] : [],
    )
    this.log(JSON.stringify(jsonSchema(providers), null, 2))
    // Still a usable schema (exit 0): forklift.yaml cannot use the missing types either.
    for (const { type, error } of loaded) {
      if (error) this.logToStderr(`provider type "${type.type}" left out of the schema: ${error.message}`)
    }
  }
}
