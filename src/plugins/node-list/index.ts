import { defineProvider } from '../../core/providers/types.js'
import { createNodeListProvider } from './provider.js'
import { nodeListSettings } from './settings.js'

export default defineProvider({
  type: 'node-list',
  description: 'Static hosts listed in forklift.yaml or an Ansible inventory file; cannot create or destroy',
  canCreate: false,
  settingsSchema: nodeListSettings,
  create: (context) => createNodeListProvider(context, nodeListSettings.parse(context.settings)),
})
