import { z } from 'zod'
import { actionSchema, authorizedKey, lineAction, login } from '../actions/schema.js'
import { expecting } from '../text/schema-issues.js'
import { describeValue } from '../text/values.js'

/** Group, phase and crate-setting names: lowercase letters, digits and dashes, starting with a letter. */
export const NAME_PATTERN = /^[a-z][a-z0-9-]*$/

/** `bootstrap` in an environment: what bootstrap adds after the admin login (Forklift's own key). */
export const bootstrapSchema = z
  .object({
    'package-proxy': z
      .string(expecting('an http or https URL such as http://10.0.0.2:3142'))
      .regex(/^https?:\/\/[^\s"'\\\0]+$/, expecting('an http or https URL such as http://10.0.0.2:3142'))
      .optional()
      .describe(
        "Proxy for the node's package manager, set at bootstrap (apt, dnf, yum; apk through Forklift)",
      ),
    actions: z
      .array(actionSchema, expecting('a list of actions'))
      .optional()
      .describe('Actions bootstrap runs on every new node, after the admin login and the package proxy'),
  })
  .strict()

/** An environment layer: free data for crates, except `bootstrap`, which Forklift reads. */
export const environmentSchema = z
  .object({ bootstrap: bootstrapSchema.optional() }, expecting('a map'))
  .catchall(z.unknown())
  .describe('Data for crates, merged deep: top level < provider < group < --env FILE < --set')
const environment = environmentSchema

const settingsMap = z.record(z.string(), z.unknown(), expecting('a map'))

const wholeNumber = (min: number, phrase = `a whole number ≥ ${min}`) =>
  z.int(expecting(phrase)).min(min, expecting(phrase))

/** More nodes than this in one group is a typo, not a plan. */
export const MAX_COUNT = 1000

const port = z
  .int(expecting('a port number (1–65535)'))
  .min(1, expecting('a port number (1–65535)'))
  .max(65535, expecting('a port number (1–65535)'))

const text = z.string().min(1)

/** A provider instance: its type (a plugin's provider type) and the settings that type validates. */
export const providerSchema = z
  .object({
    type: text.describe(
      'Provider type, as `forklift providers` lists them (ec2, local, node-list, vagrant …)',
    ),
    settings: settingsMap.optional().describe("Checked against the provider type's own schema"),
    environment: environment.optional(),
  })
  .strict()

const crateEntry = z.union(
  [
    text,
    z
      .object({
        name: text.describe('Crate name: a folder on the crate path or an npm package'),
        settings: settingsMap.optional(),
      })
      .strict(),
  ],
  expecting('a crate name or a map with `name` and `settings`'),
)

const crateList = z.array(crateEntry).superRefine((entries, ctx) => {
  const seen = new Map<string, number>()
  entries.forEach((entry, index) => {
    const name = typeof entry === 'string' ? entry : entry.name
    const first = seen.get(name)
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [index],
        message: `crate "${name}" is listed twice (first at [${first}])`,
      })
    } else seen.set(name, index)
  })
})

// Ids are unique within a phase; crates' actions join these at run time and are checked again then.
const actionList = z.array(actionSchema, expecting('a list of actions')).superRefine((actions, ctx) => {
  const seen = new Map<string, number>()
  actions.forEach((action, index) => {
    if (action.id === undefined) return
    const first = seen.get(action.id)
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'id'],
        message: `"${action.id}" is already the id of [${first}]`,
      })
    } else seen.set(action.id, index)
  })
})

/** A group of nodes: its provider, how many, what the nodes look like, and what runs on them. */
export const groupSchema = z
  .object({
    provider: text.describe('A key of `providers`, or `local` for this machine'),
    count: wholeNumber(0)
      .max(MAX_COUNT, expecting(`a whole number from 0 to ${MAX_COUNT}`))
      .optional()
      .describe(
        'Desired number of nodes: converge creates or destroys to match. Required when the provider creates nodes; without it the group is the nodes its provider lists',
      ),
    image: z
      .object({ id: text.optional(), os: text.optional(), version: text.optional(), box: text.optional() })
      .strict()
      .optional(),
    hardware: z
      .object({
        'instance-type': text.optional(),
        'min-ram': wholeNumber(1).optional().describe('MiB'),
        'min-cores': wholeNumber(1).optional(),
        cpus: wholeNumber(1).optional(),
        memory: wholeNumber(1).optional().describe('MiB'),
      })
      .strict()
      .optional(),
    network: z
      .object({ 'inbound-ports': z.array(port).optional() })
      .strict()
      .optional(),
    login: z
      .object({
        user: login.optional().describe('The admin login bootstrap creates and Forklift uses'),
        'identity-file': text
          .optional()
          .describe('Private key file (relative to forklift.yaml, ~/ for your home)'),
        'public-key': authorizedKey
          .optional()
          .describe("The admin login's public key (default: the .pub beside identity-file)"),
      })
      .strict()
      .optional(),
    crates: crateList.optional(),
    phases: z
      .record(z.string().regex(NAME_PATTERN), actionList, {
        error: (issue) =>
          issue.code === 'invalid_key'
            ? `bad phase name ${describeValue(issue.input)}: use lowercase letters, digits and dashes, starting with a letter`
            : undefined,
      })
      .optional()
      .describe('Extra actions per phase, run after the crates of that phase'),
    environment: environment.optional(),
  })
  .strict()

/** forklift.yaml. */
export const configSchema = z
  .object({
    name: text.optional().describe('Project name (default: the folder name of forklift.yaml)'),
    environment: environment.optional(),
    providers: z
      .record(z.string(), providerSchema, expecting('a map of provider names to providers'))
      .optional(),
    groups: z
      .record(z.string().regex(NAME_PATTERN), groupSchema, {
        error: (issue) => {
          if (issue.code === 'invalid_key') {
            return `bad group name ${describeValue(issue.input)}: use lowercase letters, digits and dashes, starting with a letter`
          }
          if (issue.code === 'invalid_type')
            return `expected a map of group names to groups, got ${describeValue(issue.input)}`
          return undefined
        },
      })
      .optional(),
    sandbox: z
      .enum(['auto', 'bwrap', 'unshare', 'node-only'], expecting('auto, bwrap, unshare or node-only'))
      .optional()
      .describe(
        "How crates' pods are isolated (docs/security.md): auto (default) is bubblewrap, else unshare with a warning, else a refusal; bwrap requires bubblewrap; node-only opts down to Node's permission model alone, with a warning every run",
      ),
    crates: z
      .object({
        path: z
          .array(text)
          .optional()
          .describe('Folders searched for crates, relative to forklift.yaml (default: [crates])'),
        timeout: z
          .number()
          .int()
          .min(1)
          .max(86400)
          .optional()
          .describe(
            "Seconds one crate phase on one node may run in its pod (default 30); past it the pod is stopped and that node's phase fails",
          ),
        heap: z
          .number()
          .int()
          .min(16)
          .max(65536)
          .optional()
          .describe("Heap limit of crates' pods, in MB (default 512); a phase that reaches it fails"),
      })
      .strict()
      .optional(),
  })
  .strict()

/** forklift.yaml as written, and after validation with defaults (types inferred from the schema). */
export type ForkliftConfigInput = z.input<typeof configSchema>
export type ForkliftConfig = z.output<typeof configSchema>
export type ProviderConfig = z.output<typeof providerSchema>
export type GroupConfig = z.output<typeof groupSchema>

/** A provider type as `forklift schema` sees it. */
export interface ProviderSchemaInput {
  type: string
  settingsSchema: z.ZodType
}

type JsonObject = Record<string, unknown>

/**
 * JSON Schema (draft 2020-12) of forklift.yaml for editors. With provider types, `type` lists
 * them and each type's settings schema applies when `type` names it.
 */
export function jsonSchema(providers: ProviderSchemaInput[] = []): JsonObject {
  const root = z.toJSONSchema(configSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      // What the line action's refinement checks: `line`, unless absent with `match`.
      if (zodSchema === lineAction)
        jsonSchema.anyOf = [
          { required: ['line'] },
          { required: ['state', 'match'], properties: { state: { const: 'absent' } } },
        ]
    },
  }) as JsonObject
  root.title = 'forklift.yaml'
  root.patternProperties = { '^x-': { description: 'Free for YAML anchors; ignored' } }
  if (providers.length === 0) return root

  const defs = ((root.$defs as JsonObject | undefined) ?? {}) as JsonObject
  const branches = [...providers]
    .sort((a, b) => a.type.localeCompare(b.type))
    .map(({ type, settingsSchema }) => ({
      if: { properties: { type: { const: type } }, required: ['type'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, never awaited
      then: { properties: { settings: settingsJsonSchema(type, settingsSchema, defs) } },
    }))
  if (Object.keys(defs).length) root.$defs = defs

  const properties = root.properties as JsonObject
  const providersProp = properties.providers as JsonObject
  const provider = providersProp.additionalProperties as JsonObject
  const providerProps = provider.properties as JsonObject
  providerProps.type = {
    ...(providerProps.type as JsonObject),
    enum: providers.map((p) => p.type).sort(),
  }
  provider.allOf = branches
  return root
}

/** One provider type's settings as JSON Schema, its `$defs` moved to the root under a prefixed name. */
function settingsJsonSchema(type: string, schema: z.ZodType, rootDefs: JsonObject): JsonObject {
  let converted: JsonObject
  try {
    converted = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
    }) as JsonObject
  } catch {
    return { description: `Settings of ${type} (its schema cannot be shown as JSON Schema)` }
  }
  const { $schema: _, $defs, ...rest } = converted
  const prefix = `provider-${type}-`
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite)
    if (value === null || typeof value !== 'object') return value
    const out: JsonObject = {}
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') {
        out[key] = item === '#' ? `#/$defs/${prefix}root` : item.replace(/^#\/\$defs\//, `#/$defs/${prefix}`)
      } else out[key] = rewrite(item)
    }
    return out
  }
  for (const [name, def] of Object.entries(($defs as JsonObject | undefined) ?? {}))
    rootDefs[prefix + name] = rewrite(def)
  const body = rewrite(rest) as JsonObject
  if (JSON.stringify(body).includes(`"#/$defs/${prefix}root"`)) rootDefs[`${prefix}root`] = body
  return body
}
