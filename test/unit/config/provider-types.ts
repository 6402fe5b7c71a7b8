import { z } from 'zod'
import type { ProviderTypeInfo } from '../../../src/core/config/load.js'
import local from '../../../src/plugins/local/index.js'
import nodeList from '../../../src/plugins/node-list/index.js'

/** A provider type only these tests install, standing for a cloud provider with required settings. */
export const demoCloudSettings = z
  .object({
    region: z.string().describe('Region to create nodes in'),
    zone: z.enum(['a', 'b']).optional(),
  })
  .strict()

/** The built-in local and node-list types, plus `demo-cloud`. */
export const providerTypes = new Map<string, ProviderTypeInfo>([
  ['local', { settingsSchema: local.settingsSchema, plugin: 'forklift' }],
  ['node-list', { settingsSchema: nodeList.settingsSchema, plugin: 'forklift' }],
  ['demo-cloud', { settingsSchema: demoCloudSettings, plugin: 'forklift-demo' }],
])
