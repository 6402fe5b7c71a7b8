import { z } from 'zod'
import { defineProvider } from '../../core/providers/types.js'
import { createLocalProvider } from './provider.js'

const settingsSchema = z
  .object({
    root: z
      .string()
      .min(1, 'an empty root would mean this machine itself; leave `root` out for that')
      .optional()
      .describe(
        'Folder that holds one sub-folder per node, whose actions stay inside it; without it the only node is this machine itself.',
      ),
    sudo: z
      .boolean()
      .optional()
      .describe('Run scripts through sudo -n (for a non-root user managing this machine).'),
  })
  .strict()

export type LocalSettings = z.infer<typeof settingsSchema>

export default defineProvider({
  type: 'local',
  description: 'This machine: either the machine itself, or folders under `root`, one a node',
  canCreate: true,
  // Without `root` the only node is this machine, taken as it is.
  createsNodes: (settings) => settings.root !== undefined,
  settingsSchema,
  create: (context) => createLocalProvider(context, settingsSchema.parse(context.settings)),
})
