import { isCollection, isScalar, parseDocument, visit } from 'yaml'
import { isPlainObject } from '../text/values.js'
import { ConfigError } from './errors.js'
import { resolveSecrets, secretTag } from './secrets.js'
import { forbiddenKey } from './yaml.js'

export { createRedactor } from './secrets.js'

/** Environment data as crates read it. */
export type Environment = Record<string, unknown>

/** Deep merge, later layers win: maps merge key by key, anything else (lists too) is replaced. */
export function mergeEnvironments(...layers: (Environment | undefined)[]): Environment {
  const merge = (target: Environment, source: Environment): Environment => {
    for (const [key, value] of Object.entries(source)) {
      const current = target[key]
      target[key] = isPlainObject(value)
        ? merge(isPlainObject(current) ? current : {}, value)
        : structuredClone(value)
    }
    return target
  }
  const out: Environment = {}
  for (const layer of layers) if (layer) merge(out, layer)
  return out
}

const SET_ARGUMENT = /^([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)=([\s\S]*)$/

/** One `--set key.path=value`: the key path and the value read as a YAML scalar (or flow list/map). */
export interface SetValue {
  path: string[]
  value: unknown
  /** Secrets the value brought (`!secret …` or `${env:NAME}`). */
  secrets: string[]
}

/** Read one `--set` argument; a malformed one is a ConfigError naming the argument. */
export function parseSetArgument(argument: string, env: NodeJS.ProcessEnv = process.env): SetValue {
  const where = `--set ${argument}`
  const match = SET_ARGUMENT.exec(argument)
  if (!match) {
    throw new ConfigError({
      file: where,
      message:
        'expected KEY=VALUE with KEY a dotted path of letters, digits, _ and - (e.g. --set mirror.apache=http://10.0.0.2)',
    })
  }
  const [, key, raw] = match as unknown as [string, string, string]
  const forbidden = key.split('.').map(forbiddenKey).find(Boolean)
  if (forbidden) throw new ConfigError({ file: where, message: forbidden })
  const doc = parseDocument(raw, { customTags: [secretTag] })
  if (doc.errors.length || doc.warnings.some((w) => w.code === 'TAG_RESOLVE_FAILED')) {
    const problem = doc.errors[0]?.message ?? doc.warnings[0]!.message
    throw new ConfigError({
      file: where,
      message: `the value is not valid YAML: ${problem.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')} (quote it to pass it as a string)`,
    })
  }
  // A scalar or a flow collection (`[a, b]`, `{k: v}`) is read as YAML; `a: b` or text with
  // a `#` stays the text it was.
  const contents = doc.contents
  const comment = doc.comment || doc.commentBefore || contents?.comment || contents?.commentBefore
  const typed =
    !comment && (contents === null || isScalar(contents) || (isCollection(contents) && contents.flow))
  if (typed) {
    let problem: string | undefined
    visit(doc, {
      Pair(_, pair) {
        problem ??= forbiddenKey(isScalar(pair.key) ? pair.key.value : undefined)
      },
      Alias() {
        problem ??= 'aliases are not read in --set values'
      },
    })
    if (problem) throw new ConfigError({ file: where, message: problem })
  }
  const resolved = resolveSecrets(typed ? doc.toJS() : raw, env)
  // Named by its key alone when the argument holds a secret (one too short to redact, say).
  if (resolved.problems.length)
    throw new ConfigError({
      file: resolved.secrets.length ? `--set ${key}` : where,
      message: resolved.problems[0]!.message,
    })
  return { path: key.split('.'), value: resolved.value, secrets: resolved.secrets }
}

/** Build the environment layer several `--set` arguments make, in order (later wins). */
export function setsToEnvironment(sets: SetValue[]): Environment {
  const layer: Environment = {}
  for (const { path, value } of sets) {
    let cursor = layer
    for (const key of path.slice(0, -1)) {
      if (!isPlainObject(cursor[key])) cursor[key] = {}
      cursor = cursor[key] as Environment
    }
    cursor[path.at(-1)!] = value
  }
  return layer
}

/** Read `a.b.c` from environment data; undefined when any step is missing. */
export function readEnvironmentPath(data: unknown, path: string): unknown {
  let cursor: unknown = data
  for (const key of path.split('.')) {
    if (!isPlainObject(cursor) || !Object.hasOwn(cursor, key)) return undefined
    cursor = cursor[key]
  }
  return cursor
}

/** A crate's `env.get(path, fallback?)`: a missing key without a fallback throws, naming crate and key. */
export function envGetter(
  data: Environment,
  crateName: string,
): <T = unknown>(path: string, ...fallback: [T?]) => T {
  return <T>(path: string, ...fallback: [T?]): T => {
    const value = readEnvironmentPath(data, path)
    if (value !== undefined) return value as T
    if (fallback.length > 0) return fallback[0] as T
    throw new Error(`crate "${crateName}": environment key "${path}" is missing (and no default was given)`)
  }
}
