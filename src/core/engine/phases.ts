import type { CrateRunner, ResolvedCrate } from '../crates/types.js'
import type { GroupSpec } from '../model/group.js'
import { closest } from '../text/closest.js'

/** Phases Forklift knows without asking a group or crate. */
export const BUILTIN_PHASES = ['bootstrap', 'settings', 'configure'] as const

/**
 * Every phase of a run, in order, from the `--phase` values. converge: bootstrap, settings, configure,
 * then the others as given. lift: settings, then the given phases (default configure), with bootstrap
 * first when asked for. Repeats are dropped.
 */
export function planPhases(command: 'lift' | 'converge', requested: readonly string[]): string[] {
  const wanted =
    command === 'converge' ? ['configure', ...requested] : requested.length ? requested : ['configure']
  const rest = [...new Set(wanted)].filter((p) => p !== 'bootstrap' && p !== 'settings')
  const bootstrap = command === 'converge' || wanted.includes('bootstrap')
  return [...(bootstrap ? ['bootstrap'] : []), 'settings', ...rest]
}

/**
 * Why the requested phases cannot all run: those that nothing defines (not built in, no group's own
 * `phases`, no crate of the groups), named with the known ones; undefined when all can. Crates are
 * asked (which loads them in their pods) only for a phase that is neither built in nor a group's own,
 * so the usual run keeps its head start. A crate that cannot be loaded leaves every phase possible:
 * the run then reports that crate on its nodes.
 */
export async function unknownPhases(
  requested: readonly string[],
  groups: readonly GroupSpec[],
  crates: ReadonlyMap<string, ResolvedCrate>,
  runner: CrateRunner,
): Promise<string | undefined> {
  const known = new Set<string>(BUILTIN_PHASES)
  for (const group of groups) for (const phase of Object.keys(group.phases)) known.add(phase)
  const missing = () => [...new Set(requested.filter((p) => !known.has(p)))]
  if (missing().length === 0) return undefined
  const used = new Set(groups.flatMap((g) => g.crates.map((c) => crates.get(c.name))))
  try {
    const lists = await Promise.all([...used].map((crate) => (crate ? runner.phases(crate) : [])))
    for (const phase of lists.flat()) known.add(phase)
  } catch {
    return undefined
  }
  const unknown = missing()
  if (unknown.length === 0) return undefined
  const names = unknown.map((p) => {
    const near = closest(p, [...known])
    return `"${p}"${near ? ` (did you mean "${near}"?)` : ''}`
  })
  const plural = unknown.length > 1
  const of = groups.map((g) => g.name).join(', ') || 'no group'
  return (
    `unknown phase${plural ? 's' : ''} ${names.join(', ')}: ` +
    `no group or crate of ${of} defines ${plural ? 'them' : 'it'}; phases: ${[...known].join(', ')}`
  )
}
