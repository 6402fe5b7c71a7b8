import { z } from 'zod'
import type { ProviderTypeInfo } from '../../../src/core/config/load.js'
import { RegistryError } from '../../../src/core/providers/registry.js'
import local from '../../../src/plugins/local/index.js'
import nodeList from '../../../src/plugins/node-list/index.js'

/** A provider type only these tests install, standing for a cloud provider with required settings. */
export const demoCloudSettings = z
  .object({
    region: z.string().describe('Region to create nodes in'),
    zone: z.enum(['a', 'b']).optional(),
  })
  .strict()

/** The settings schemas of the built-in local and node-list types, plus `demo-cloud`. */
export const settingsSchemas = new Map<string, z.ZodType>([
  ['local', local.settingsSchema],
  ['node-list', nodeList.settingsSchema],
  ['demo-cloud', demoCloudSettings],
])

const plugins: Record<string, string> = {
  local: 'forklift',
  'node-list': 'forklift',
  'demo-cloud': 'forklift-demo',
}

const creates: Record<string, (settings: Record<string, unknown>) => boolean> = {
  local: (settings) => local.createsNodes!(settings),
  'node-list': () => false,
  'demo-cloud': () => true,
}

/** Those types as loadConfig sees them, plus `demo-broken`: declared by a plugin whose module is missing. */
export const providerTypes = new Map<string, ProviderTypeInfo>([
  ...[...settingsSchemas].map(
    ([type, schema]) =>
      [
        type,
        {
          plugin: plugins[type]!,
          settingsSchema: async () => schema,
          createsNodes: async (settings: Record<string, unknown>) => creates[type]!(settings),
        },
      ] as const,
  ),
  [
    'demo-broken',
    {
      plugin: 'forklift-broken',
      settingsSchema: async () => {
        throw new RegistryError(
          'plugin forklift-broken: cannot load provider "demo-broken": /opt/forklift-broken/index.js does not exist (build the plugin, or reinstall it)',
        )
      },
      createsNodes: async () => false,
    },
  ],
])
