import type { Action, ActionType } from '../actions/types.js'

// Pure and import-free at run time: pods load this file beside the crate context, and the `forklift`
// module a crate imports inside a pod carries `actionBuilders`' own source (see pods/shim.ts).

type Of<T extends ActionType> = Extract<Action, { type: T }>

/** `remote-file` → `remoteFile`: the builder's name for an action type. */
type Camel<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<Camel<Tail>>}`
  : S

/** The field each builder takes as its first argument (none for package-update). */
export const PRIMARY_FIELDS = {
  exec: 'script',
  file: 'path',
  directory: 'path',
  symlink: 'path',
  'remote-file': 'path',
  line: 'path',
  package: 'name',
  'package-source': 'name',
  'package-update': null,
  user: 'name',
  group: 'name',
  service: 'name',
} as const satisfies { [T in ActionType]: Exclude<keyof Of<T>, 'type' | 'id'> | null }

type Primary<T extends ActionType> = (typeof PRIMARY_FIELDS)[T]

/** The other fields of an action: an optional argument when none of them is required. */
type Rest<T extends ActionType> = Omit<Of<T>, 'type' | (Primary<T> & string)>
// biome-ignore lint/complexity/noBannedTypes: `{}` is what a map of optional fields extends.
type RestArgs<R> = {} extends R ? [fields?: R] : [fields: R]

/** A builder: the primary field, then the rest; returns the action as plain data. */
export type ActionBuilder<T extends ActionType> =
  Primary<T> extends keyof Of<T>
    ? (value: Of<T>[Primary<T>], ...fields: RestArgs<Rest<T>>) => Of<T>
    : (...fields: RestArgs<Rest<T>>) => Of<T>

/** One builder per action type, named in camelCase (`remoteFile`, `packageSource` …). */
export type ActionBuilders = { [T in ActionType as Camel<T>]: ActionBuilder<T> }

/**
 * Make the builders from the primary-field table. Self-contained (it refers to nothing outside
 * itself) because pods get its source text.
 */
export function actionBuilders(primary: Readonly<Record<string, string | null>>): ActionBuilders {
  const out: Record<string, unknown> = {}
  for (const [type, key] of Object.entries(primary)) {
    const name = type.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
    const build = (value: unknown, fields: unknown, given: number): Record<string, unknown> => {
      if (fields !== undefined && (fields === null || typeof fields !== 'object' || Array.isArray(fields))) {
        throw new TypeError(
          `actions.${name}: argument ${given} is a map of the action's other fields, got ${fields === null ? 'null' : Array.isArray(fields) ? 'a list' : typeof fields}`,
        )
      }
      const action: Record<string, unknown> = { type }
      if (key !== null) action[key] = value
      for (const [field, v] of Object.entries((fields ?? {}) as Record<string, unknown>)) {
        if (field === 'type' || field === key) {
          throw new TypeError(
            `actions.${name}: \`${field}\` is given by the builder${field === key ? `'s first argument` : ''}, not in its fields`,
          )
        }
        // `{ mode: cond ? '0600' : undefined }` leaves the field out, as if it were not written.
        if (v !== undefined) action[field] = v
      }
      return action
    }
    out[name] =
      key === null
        ? (fields?: unknown) => build(undefined, fields, 1)
        : (value: unknown, fields?: unknown) => build(value, fields, 2)
  }
  // Crates of one pod share the builders: none may swap one out from under the others.
  return Object.freeze(out) as ActionBuilders
}

/**
 * Typed builders for every action type: `actions.file('/etc/motd', { content, mode: '0644' })`.
 * Each returns the plain action, checked like any other when the phase is compiled.
 */
export const actions: ActionBuilders = actionBuilders(PRIMARY_FIELDS)
