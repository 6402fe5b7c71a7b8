import type { Config } from '@oclif/core'
import { jsonSchema } from '../core/config/schema.js'
import { collectProviderTypes, loadEveryProviderType } from '../core/providers/registry.js'
import { pluginInfos } from './plugins.js'

/** forklift.yaml's JSON Schema with the settings of every provider type that loads, and why the others did not. */
export async function projectSchema(config: Config): Promise<{ schema: object; leftOut: string[] }> {
  const loaded = await loadEveryProviderType(collectProviderTypes(pluginInfos(config)))
  const providers = loaded.flatMap(({ factory }) =>
    factory ? [{ type: factory.type, settingsSchema: factory.settingsSchema }] : [],
  )
  const leftOut = loaded.flatMap(({ type, error }) =>
    error ? [`provider type "${type.type}" left out of the schema: ${error.message}`] : [],
  )
  return { schema: jsonSchema(providers), leftOut }
}
