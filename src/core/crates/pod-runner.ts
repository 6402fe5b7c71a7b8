import { realpath } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { CrateError, EXIT } from '../errors.js'
import { PodError, PodExitError, PodTimeoutError, PodValueError, remoteSummary } from '../pods/errors.js'
import type { PodHandle, PodLimits } from '../pods/pod.js'
import { type PodPool, podPool } from '../pods/pool.js'
import type { SandboxMode } from '../pods/sandbox.js'
import { normalizeDependencies, specKey } from '../pods/specs.js'
import { unsendableReason, withoutPrototypes } from '../pods/values.js'
import { oneLine } from '../text/values.js'
import type { CrateContextData, CrateRunner, PhaseOutput, ResolvedCrate } from './types.js'

export interface PodCrateRunnerOptions {
  /**
   * The crates of the run, known ahead: crates with the same dependencies then share one pool, whose pods
   * may read each of their folders. A crate not listed gets a pool of its own.
   */
  crates?: Iterable<ResolvedCrate>
  limits?: PodLimits
  /** The dependency-set cache (default `$XDG_CACHE_HOME/forklift/pods`). */
  cacheDir?: string
  /** Warm pods per pool besides the current one (default 0: a dead pod is replaced by a fresh start). */
  warm?: number
  /** What the crates' pods write to stdout and stderr. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void
  /** How the pods are isolated (default `auto`; see PodOptions.sandbox). */
  sandbox?: SandboxMode
}

/** Why a phase failed, on one line, without the crate's name when the message starts with it. */
function phaseFailure(crate: string, cause: Error): string {
  let what: string
  if (cause instanceof PodError) {
    what = cause.remoteName === 'CrateError' ? oneLine(cause.message) : remoteSummary(cause)
  } else if (cause instanceof PodTimeoutError) {
    what = `the phase ran past the pod's ${cause.timeoutMs} ms time limit; the pod was stopped`
  } else {
    what = oneLine(cause.message)
  }
  const named = `crate "${crate}": `
  return what.startsWith(named) ? what.slice(named.length) : what
}

/** The frames of a stack that lie in one of these folders, one per line (`at fn (file:///…:3:7)`). */
export function framesIn(stack: string, dirs: string[]): string {
  const marks = dirs.flatMap((dir) => [`${pathToFileURL(dir).href}/`, `(${dir}/`, `at ${dir}/`])
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line) && marks.some((mark) => line.includes(mark)))
    .map((line) => line.trim())
    .join('\n')
}

/**
 * A crate's phase failed inside its pod: one line naming the crate, the phase and the node. The node
 * failed, so a command it ends exits with status 1.
 */
export class PodCrateError extends CrateError {
  override name = 'PodCrateError'
  readonly crate: string
  readonly phase: string
  readonly node: string
  /** The crate's own stack, as thrown inside the pod (paths are the crate's real ones). */
  readonly podStack?: string
  /** The frames of that stack in the crate's own files, one per line; empty when there are none. */
  override readonly crateStack: string

  /** `crateDirs`: the crate's folder, as given and as its real path; frames elsewhere are not its own. */
  constructor(crate: string, phase: string, node: string, cause: Error, crateDirs: string[] = []) {
    super(`crate "${crate}", phase ${phase}, node ${node}: ${phaseFailure(crate, cause)}`, {
      cause,
      exitCode: EXIT.failed,
    })
    this.crate = crate
    this.phase = phase
    this.node = node
    this.crateStack = ''
    if (cause instanceof PodError) {
      this.podStack = cause.podStack
      this.stack = cause.podStack
      this.crateStack = framesIn(cause.podStack, crateDirs)
    }
  }
}

const keyOf = async (crate: ResolvedCrate) =>
  specKey(await normalizeDependencies(crate.dependencies, crate.dir))

/**
 * Run crates in pods: one pool per distinct dependency set (its pods reused by every node of the run),
 * sandboxed, with read access to the crates' folders and nothing of Forklift but its crate context.
 */
export function createPodCrateRunner(options: PodCrateRunnerOptions = {}): CrateRunner {
  const known = [...(options.crates ?? [])]
  // dependency key → folders of the known crates that share it
  let groups: Promise<Map<string, string[]>> | undefined
  const pools = new Map<string, Promise<PodPool>>()
  const phases = new Map<string, Promise<Set<string>>>()
  let closed = false

  function knownGroups(): Promise<Map<string, string[]>> {
    groups ??= (async () => {
      const out = new Map<string, string[]>()
      for (const crate of known) {
        const key = await keyOf(crate)
        const dirs = out.get(key) ?? []
        if (!dirs.includes(crate.dir)) dirs.push(crate.dir)
        out.set(key, dirs)
      }
      return out
    })()
    return groups
  }

  async function poolOf(crate: ResolvedCrate): Promise<PodPool> {
    if (closed) throw new CrateError(`crate "${crate.name}": the pod runner was closed`)
    const key = await keyOf(crate)
    const shared = (await knownGroups()).get(key)
    const dirs = shared?.includes(crate.dir) ? shared : [crate.dir]
    const poolKey = shared?.includes(crate.dir) ? key : `${key}\0${crate.dir}`
    let pool = pools.get(poolKey)
    if (!pool) {
      pool = podPool(
        {
          dependencies: crate.dependencies,
          baseDir: crate.dir,
          paths: dirs,
          ...(options.limits ? { limits: options.limits } : {}),
          ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
          ...(options.onOutput ? { onOutput: options.onOutput } : {}),
          ...(options.sandbox ? { sandbox: options.sandbox } : {}),
        },
        { size: options.warm ?? 0 },
      )
      pools.set(poolKey, pool)
    }
    return pool
  }

  const podOf = async (crate: ResolvedCrate) => (await poolOf(crate)).current() as PodHandle

  // The pod reads a crate through a link to its real folder: name its entry by its real path.
  const entries = new Map<string, Promise<string>>()
  const entryOf = (crate: ResolvedCrate) => {
    let entry = entries.get(crate.entry)
    if (!entry) {
      entry = realpath(crate.entry).catch(() => crate.entry)
      entries.set(crate.entry, entry)
    }
    return entry
  }

  // Its folder as named and as it really is: the pod's stacks show real paths.
  const folders = new Map<string, Promise<string[]>>()
  const foldersOf = (crate: ResolvedCrate) => {
    let dirs = folders.get(crate.dir)
    if (!dirs) {
      dirs = realpath(crate.dir).then(
        (real) => [...new Set([crate.dir, real])],
        () => [crate.dir],
      )
      folders.set(crate.dir, dirs)
    }
    return dirs
  }

  /** A crate that cannot be loaded is the user's to fix: a one-line CrateError, its own frames aside. */
  async function loadError(crate: ResolvedCrate, error: unknown): Promise<unknown> {
    if (error instanceof PodError && error.remoteName === 'CrateError')
      return new CrateError(oneLine(error.message))
    if (error instanceof PodError || error instanceof PodTimeoutError || error instanceof PodExitError) {
      const why = error instanceof PodError ? remoteSummary(error) : oneLine(error.message)
      const failure = new CrateError(`crate "${crate.name}": cannot load ${crate.entry}: ${why}`)
      if (error instanceof PodError) failure.crateStack = framesIn(error.podStack, await foldersOf(crate))
      return failure
    }
    return error
  }

  // The crate's phase names, loaded once per entry.
  function phaseSet(crate: ResolvedCrate): Promise<Set<string>> {
    let names = phases.get(crate.entry)
    if (!names) {
      names = (async () => {
        const pod = await podOf(crate)
        try {
          const list = (await pod.request(
            { op: 'crate-phases', crate: crate.name, entry: await entryOf(crate) },
            `loading crate "${crate.name}"`,
          )) as string[]
          return new Set(list)
        } catch (error) {
          throw await loadError(crate, error)
        }
      })()
      phases.set(crate.entry, names)
      // A pod that died while loading is no reason to remember the failure.
      names.catch(() => phases.delete(crate.entry))
    }
    return names
  }

  return {
    async hasPhase(crate, phase) {
      return (await phaseSet(crate)).has(phase)
    },

    async phases(crate) {
      return [...(await phaseSet(crate))]
    },

    async runPhase(crate, data: CrateContextData): Promise<PhaseOutput> {
      const reason = unsendableReason(data, 'context')
      if (reason) throw new PodValueError(`crate "${crate.name}": ${reason}`)
      const pod = await podOf(crate)
      const label = `phase ${data.phase} of crate "${crate.name}" on node ${data.node.name}`
      try {
        const output = (await pod.request(
          { op: 'crate-run', crate: crate.name, entry: await entryOf(crate), data },
          label,
        )) as PhaseOutput
        // The runtime checked the shape; published data lands in objects no key can reshape.
        return { ...output, published: withoutPrototypes(output.published) }
      } catch (error) {
        if (
          error instanceof PodError ||
          error instanceof PodTimeoutError ||
          error instanceof PodExitError ||
          error instanceof PodValueError
        ) {
          throw new PodCrateError(crate.name, data.phase, data.node.name, error, await foldersOf(crate))
        }
        throw error
      }
    },

    async close() {
      closed = true
      const all = [...pools.values()]
      pools.clear()
      await Promise.all(all.map(async (pool) => (await pool.catch(() => undefined))?.shutdown()))
    },
  }
}
