import { z } from 'forklift'

// The settings a forklift.yaml gives this provider type. Forklift validates them against this schema
// (errors name the key path, e.g. `providers.NAME.settings.max-nodes`) and `forklift schema` includes
// it, so editors complete and check them. `.describe()` texts become the schema's descriptions.
export const settingsSchema = z
  .object({
    root: z.string().min(1).describe('Folder that holds one sub-folder per node, relative to forklift.yaml'),
    'max-nodes': z
      .int()
      .min(1)
      .default(10)
      .describe('At most this many nodes under root, all groups together'),
  })
  .strict()

/** Settings after validation, defaults applied. */
export type Settings = z.infer<typeof settingsSchema>
