import { defineProvider } from 'forklift'
import { createFolderProvider } from './provider.js'
import { settingsSchema } from './settings.js'

// The module package.json names under "forklift": {"providers": {...}}. Its default export is the
// provider factory: Forklift lists it in `forklift providers`, merges its settings schema into the one
// forklift.yaml is checked against, and calls `create` once per provider instance a run uses.
export default defineProvider({
  type: '__TYPE__',
  description: 'Folders under `root`, one a node (a starting point: replace with your own API)',
  canCreate: true,
  settingsSchema,
  create: (context) => createFolderProvider(context, settingsSchema.parse(context.settings)),
})
