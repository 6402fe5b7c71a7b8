import { pathToFileURL } from 'node:url'
import { makeCrateContext } from './context.js'
import { CrateError } from './resolve.js'
import type { CrateDefinition, CrateRunner, PhaseOutput, ResolvedCrate } from './types.js'

/** Runs crates in this process: no isolation, for trusted crates and tests of the crate API. */
export function createInProcessRunner(): CrateRunner {
  const modules = new Map<string, Promise<CrateDefinition>>()

  function load(crate: ResolvedCrate): Promise<CrateDefinition> {
    let promise = modules.get(crate.entry)
    if (!promise) {
      promise = import(pathToFileURL(crate.entry).href).then((module: { default?: CrateDefinition }) => {
        const definition = module.default
        if (!definition || typeof definition.phases !== 'object') {
          throw new CrateError(`crate "${crate.name}": ${crate.entry} must export default { phases: { … } }`)
        }
        return definition
      })
      modules.set(crate.entry, promise)
    }
    return promise
  }

  return {
    async hasPhase(crate, phase) {
      return typeof (await load(crate)).phases[phase] === 'function'
    },
    async runPhase(crate, data): Promise<PhaseOutput> {
      const definition = await load(crate)
      const fn = definition.phases[data.phase]
      if (!fn) return { actions: [], published: {} }
      const published: Record<string, unknown> = {}
      const settings = { ...(definition.defaults ?? {}), ...data.settings }
      const actions = await fn(makeCrateContext({ ...data, settings }, published))
      if (!Array.isArray(actions)) {
        throw new CrateError(
          `crate "${crate.name}" phase ${data.phase} returned ${typeof actions}, not a list of actions`,
        )
      }
      return { actions, published }
    },
    async close() {},
  }
}
