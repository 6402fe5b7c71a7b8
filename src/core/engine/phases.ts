/**
 * Every phase of a run, in order, from the `--phase` values. converge: bootstrap, settings, configure,
 * then the others as given. lift: settings, then the given phases (default configure). Repeats are
 * dropped.
 */
export function planPhases(command: 'lift' | 'converge', requested: readonly string[]): string[] {
  const wanted =
    command === 'converge' ? ['configure', ...requested] : requested.length ? requested : ['configure']
  const rest = [...new Set(wanted)].filter((p) => p !== 'bootstrap' && p !== 'settings')
  return [...(command === 'converge' ? ['bootstrap'] : []), 'settings', ...rest]
}
