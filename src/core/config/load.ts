import { basename, dirname } from 'node:path'
import type { z } from 'zod'
import { errorMessage } from '../errors.js'
import type { CrateUse, GroupSpec } from '../model/group.js'
import { localPath } from '../paths.js'
import { closest } from '../text/closest.js'
import { errorMap, explainIssues } from '../text/schema-issues.js'
import { cutQuotedValues, formatPath, isPlainObject } from '../text/values.js'
import {
  type Environment,
  mergeEnvironments,
  parseSetArgument,
  type SetValue,
  setsToEnvironment,
} from './environment.js'
import { ConfigError, type ConfigIssue, sortIssues } from './errors.js'
import { toConfigIssues } from './issues.js'
import { readConfigText } from './read.js'
import { configSchema, environmentSchema, type GroupConfig } from './schema.js'
import { createRedactor, resolveSecrets } from './secrets.js'
import { type ParsedYaml, parseYaml } from './yaml.js'

/** An installed provider type: the schema its settings must match, the plugin that brings it, what it can do. */
export interface ProviderTypeInfo {
  plugin: string
  /** Called only for the types the file uses (it may import the plugin's module); a rejection is reported at `type`. */
  settingsSchema: () => Promise<z.ZodType>
  /** Whether an instance with these (valid) settings creates nodes: its groups must then give a `count`. */
  createsNodes(settings: Record<string, unknown>): Promise<boolean>
}

/** What loadConfig needs besides the file. */
export interface LoadOptions {
  /** Installed provider types by type name. */
  providerTypes: Map<string, ProviderTypeInfo>
  /** `--env FILE` arguments, merged in order over the groups' environments. */
  envFiles?: string[]
  /** `--set key.path=value` arguments, merged last. */
  sets?: string[]
  /** Where `${env:NAME}` reads from (default: process.env). */
  env?: NodeJS.ProcessEnv
}

/** A provider instance after validation. */
export interface LoadedProvider {
  type: string
  /** Settings as written (secrets filled in), already checked against the type's schema. */
  settings: Record<string, unknown>
  environment: Record<string, unknown>
}

/** forklift.yaml as the engine consumes it. */
export interface LoadedConfig {
  /** Absolute path of forklift.yaml. */
  file: string
  /** Its folder: relative paths in the config resolve against it. */
  dir: string
  /** `name`, else the folder name. */
  project: string
  /** Top-level environment with --env files and --set applied (no provider or group layer). */
  environment: Record<string, unknown>
  providers: Record<string, LoadedProvider>
  /** Groups in file order, environments merged: top < provider < group < --env < --set. */
  groups: GroupSpec[]
  /** Absolute crate folders, in search order. */
  cratePath: string[]
  /** Every secret value (`!secret`, `${env:NAME}`), for the redactor. */
  secrets: string[]
  /** Limits of crates' pods, as written (absent: the pods' defaults). */
  crateLimits: { timeoutMs?: number; heapMb?: number }
  /** How crates' pods are isolated, as written (`auto` when not). */
  sandbox: 'auto' | 'bwrap' | 'unshare' | 'node-only'
}

/** The provider type a group gets when it names `local` and no `providers.local` is defined. */
const IMPLICIT_LOCAL = 'local'

/** Issues as the user sees them: secrets redacted first, then long quoted values cut. */
function shown(issues: ConfigIssue[], secrets: readonly string[]): ConfigError {
  const redact = createRedactor(secrets)
  return new ConfigError(
    sortIssues(
      issues.map((i) => ({
        ...i,
        file: redact.text(i.file),
        message: cutQuotedValues(redact.text(i.message)),
      })),
    ),
  )
}

/** Load, validate and resolve forklift.yaml, --env files and --set values; every mistake is a ConfigError. */
export async function loadConfig(file: string, options: LoadOptions): Promise<LoadedConfig> {
  // Every secret met so far redacts whatever mistake is found later.
  const secrets: string[] = []
  try {
    return await readConfig(file, options, secrets)
  } catch (error) {
    throw error instanceof ConfigError ? shown(error.issues, secrets) : error
  }
}

async function readConfig(file: string, options: LoadOptions, secrets: string[]): Promise<LoadedConfig> {
  const path = localPath(process.cwd(), file)
  const dir = dirname(path)
  const env = options.env ?? process.env
  const source = parseYaml(await readConfigFile(file, path), file)

  if (source.data === undefined) {
    throw new ConfigError({
      file,
      line: 1,
      column: 1,
      message:
        'the file is empty; expected a map with `providers` and `groups` (run forklift init for a starter)',
    })
  }
  if (!isPlainObject(source.data)) {
    const where = source.locate([])
    throw new ConfigError({
      file,
      ...where,
      message: `expected a map with \`providers\` and \`groups\` at the top level, got ${Array.isArray(source.data) ? 'a list' : 'a single value'}`,
    })
  }

  const resolved = resolveSecrets(source.data, env)
  secrets.push(...resolved.secrets)
  // Top-level `x-…` keys are free for YAML anchors (`x-defaults: &defaults`), as in compose files.
  const data = Object.fromEntries(
    Object.entries(resolved.value as Record<string, unknown>).filter(([key]) => !key.startsWith('x-')),
  )
  const issues: ConfigIssue[] = resolved.problems.map((p) =>
    located(source, p.path, `${formatPath(p.path)}: ${p.message}`),
  )

  const parsed = configSchema.safeParse(data, { error: errorMap })
  if (!parsed.success) issues.push(...toConfigIssues(parsed.error.issues, source, data))
  issues.push(...(await checkProviders(source, data, options.providerTypes)))
  if (issues.length) throw new ConfigError(sortIssues(issues))
  const config = parsed.data!

  const envLayers: Environment[] = []
  for (const envFile of options.envFiles ?? []) {
    const layer = await loadEnvFile(envFile, env)
    secrets.push(...layer.secrets)
    envLayers.push(layer.environment)
  }
  const setValues = (options.sets ?? []).map((argument) => parseSetArgument(argument, env))
  for (const set of setValues) secrets.push(...set.secrets)
  checkSets(options.sets ?? [], setValues)
  const overrides = mergeEnvironments(...envLayers, setsToEnvironment(setValues))

  const providers: Record<string, LoadedProvider> = {}
  for (const [name, provider] of Object.entries(config.providers ?? {})) {
    providers[name] = {
      type: provider.type,
      settings: provider.settings ?? {},
      environment: provider.environment ?? {},
    }
  }
  const groups = Object.entries(config.groups ?? {}).map(([name, group]) => {
    if (!providers[group.provider] && group.provider === IMPLICIT_LOCAL) {
      providers[IMPLICIT_LOCAL] = { type: IMPLICIT_LOCAL, settings: {}, environment: {} }
    }
    const environment = mergeEnvironments(
      config.environment,
      providers[group.provider]!.environment,
      group.environment,
      overrides,
    )
    return toGroupSpec(name, group, environment, dir)
  })

  return {
    file: path,
    dir,
    project: config.name ?? basename(dir),
    environment: mergeEnvironments(config.environment, overrides),
    providers,
    groups,
    cratePath: (config.crates?.path ?? ['crates']).map((p) => localPath(dir, p)),
    crateLimits: {
      ...(config.crates?.timeout !== undefined ? { timeoutMs: config.crates.timeout * 1000 } : {}),
      ...(config.crates?.heap !== undefined ? { heapMb: config.crates.heap } : {}),
    },
    secrets: [...new Set(secrets)],
    sandbox: config.sandbox ?? 'auto',
  }
}

async function readConfigFile(file: string, path: string): Promise<string> {
  try {
    return await readConfigText(file, path)
  } catch (error) {
    if (error instanceof ConfigError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new ConfigError({
        file,
        message: `${basename(path)} not found in ${dirname(path)} (use -c FILE or run forklift init)`,
        standalone: true,
      })
    }
    throw new ConfigError({ file, message: `cannot read the file: ${code ?? errorMessage(error)}` })
  }
}

function located(source: ParsedYaml, path: (string | number)[], message: string, atKey = false): ConfigIssue {
  const where = source.locate(path, atKey)
  const shown = formatPath(path)
  return {
    file: source.file,
    line: where.line,
    column: where.column,
    ...(shown ? { path: shown } : {}),
    message,
  }
}

/**
 * What the schema alone cannot check: provider types must be installed and loadable, their settings
 * must match the type's schema, groups must name a defined provider, and give a count when it
 * creates nodes. Works on unvalidated data, so these problems are reported together with the schema's.
 */
async function checkProviders(
  source: ParsedYaml,
  data: Record<string, unknown>,
  types: Map<string, ProviderTypeInfo>,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = []
  const installed = [...types.keys()].sort()
  const providers = isPlainObject(data.providers) ? data.providers : {}
  /** Provider instances that create nodes. */
  const creators = new Set<string>()

  for (const [name, provider] of Object.entries(providers)) {
    if (!isPlainObject(provider) || typeof provider.type !== 'string' || provider.type === '') continue
    const path = ['providers', name]
    const type = types.get(provider.type)
    if (!type) {
      const match = closest(provider.type, installed)
      issues.push(
        located(
          source,
          [...path, 'type'],
          `${formatPath([...path, 'type'])}: unknown provider type "${provider.type}"; installed: ${installed.join(', ') || '(none)'}${match ? ` (did you mean "${match}"?)` : ''}`,
        ),
      )
      continue
    }
    let schema: z.ZodType
    try {
      schema = await type.settingsSchema()
    } catch (error) {
      const reason = errorMessage(error).split('\n')[0]
      issues.push(located(source, [...path, 'type'], `${formatPath([...path, 'type'])}: ${reason}`))
      continue
    }
    const settings = provider.settings ?? {}
    if (!isPlainObject(settings)) continue
    const problems = validateSettings(source, settings, schema, [...path, 'settings'])
    issues.push(...problems)
    if (problems.length === 0 && (await type.createsNodes(settings))) creators.add(name)
  }

  const groups = isPlainObject(data.groups) ? data.groups : {}
  const localImplicit = types.has(IMPLICIT_LOCAL) && !Object.hasOwn(providers, IMPLICIT_LOCAL)
  const defined = [...Object.keys(providers), ...(localImplicit ? [IMPLICIT_LOCAL] : [])].sort()
  for (const [name, group] of Object.entries(groups)) {
    if (!isPlainObject(group) || typeof group.provider !== 'string' || group.provider === '') continue
    if (group.count === undefined && creators.has(group.provider)) {
      // A default would be a guess about how many machines to pay for; a provider that only lists takes them as listed.
      issues.push(
        located(
          source,
          ['groups', name],
          `${formatPath(['groups', name])}: missing required key \`count\` (expected a whole number ≥ 0): provider "${group.provider}" creates nodes, so say how many`,
        ),
      )
    }
    if (defined.includes(group.provider)) continue
    const path = ['groups', name, 'provider']
    const match = closest(group.provider, defined)
    issues.push(
      located(
        source,
        path,
        `${formatPath(path)}: unknown provider "${group.provider}"; defined: ${defined.join(', ') || '(none)'}${match ? ` (did you mean "${match}"?)` : ''}`,
      ),
    )
  }
  return issues
}

/** Check a provider's settings against its type's schema, with forklift's messages when the schema is zod 4. */
function validateSettings(
  source: ParsedYaml,
  settings: unknown,
  schema: z.ZodType,
  prefix: (string | number)[],
): ConfigIssue[] {
  const result = schema.safeParse(settings, { error: errorMap })
  if (result.success) return []
  return toConfigIssues(result.error.issues, source, settings, prefix)
}

/** `--set bootstrap.…` values are checked as forklift.yaml's would be; the error names the argument. */
function checkSets(argumentsGiven: string[], sets: SetValue[]): void {
  const issues: ConfigIssue[] = []
  sets.forEach((set, index) => {
    const layer = setsToEnvironment([set])
    const checked = environmentSchema.safeParse(layer, { error: errorMap })
    if (checked.success) return
    for (const issue of explainIssues(checked.error.issues, layer))
      issues.push({ file: `--set ${argumentsGiven[index]!}`, message: issue.message })
  })
  if (issues.length)
    throw shown(
      issues,
      sets.flatMap((set) => set.secrets),
    )
}

async function loadEnvFile(
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<{ environment: Environment; secrets: string[] }> {
  let text: string
  try {
    text = await readConfigText(file, localPath(process.cwd(), file), 'the --env file')
  } catch (error) {
    if (error instanceof ConfigError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError({
      file,
      message: `--env file ${code === 'ENOENT' ? 'not found' : `cannot be read: ${code}`}`,
    })
  }
  const source = parseYaml(text, file)
  if (source.data === undefined) return { environment: {}, secrets: [] }
  if (!isPlainObject(source.data)) {
    throw new ConfigError({
      file,
      ...source.locate([]),
      message: `an --env file holds a map of environment values, got ${Array.isArray(source.data) ? 'a list' : 'a single value'}`,
    })
  }
  const resolved = resolveSecrets(source.data, env)
  if (resolved.problems.length) {
    throw shown(
      resolved.problems.map((p) => located(source, p.path, `${formatPath(p.path)}: ${p.message}`)),
      resolved.secrets,
    )
  }
  const checked = environmentSchema.safeParse(resolved.value, { error: errorMap })
  if (!checked.success) {
    throw shown(toConfigIssues(checked.error.issues, source, resolved.value), resolved.secrets)
  }
  return { environment: resolved.value as Environment, secrets: resolved.secrets }
}

/** Map a validated group to the engine's GroupSpec, defaults filled in. */
function toGroupSpec(name: string, group: GroupConfig, environment: Environment, dir: string): GroupSpec {
  const crates: CrateUse[] = (group.crates ?? []).map((entry) =>
    typeof entry === 'string'
      ? { name: entry, settings: {} }
      : { name: entry.name, settings: entry.settings ?? {} },
  )
  return {
    name,
    provider: group.provider,
    ...(group.count !== undefined ? { count: group.count } : {}),
    node: {
      image: { ...group.image },
      hardware: { ...group.hardware },
      network: { 'inbound-ports': group.network?.['inbound-ports'] ?? [] },
      login: {
        ...group.login,
        // Absolute from here on: providers and the engine need not know where forklift.yaml is.
        ...(group.login?.['identity-file']
          ? { 'identity-file': localPath(dir, group.login['identity-file']) }
          : {}),
      },
    },
    crates,
    phases: group.phases ?? {},
    environment,
  }
}
