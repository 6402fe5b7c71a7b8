import { setMaxListeners } from 'node:events'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Config } from '@oclif/core'
import type { Redactor } from '../core/config/secrets.js'
import { createPodCrateRunner } from '../core/crates/pod-runner.js'
import { parseBatch } from '../core/engine/batches.js'
import { lockProject } from '../core/engine/lock.js'
import type { EngineOptions } from '../core/engine/options.js'
import { planPhases, unknownPhases } from '../core/engine/phases.js'
import { runConverge, runLift } from '../core/engine/run.js'
import { UsageError } from '../core/errors.js'
import { createEventBus, type EventSink, eventRedactor, type ForkliftEvent } from '../core/events.js'
import type { RunResult } from '../core/model/results.js'
import { osSandbox, type SandboxMode, takeSandboxWarning } from '../core/pods/sandbox.js'
import { closeProviders, openProject, openProviders, selectGroups } from '../core/project.js'
import { takeInterrupts } from './interrupts.js'
import { pluginInfos } from './plugins.js'
import { attachRenderer } from './render/attach.js'

export interface RunFlags {
  config: string
  json: boolean
  phase?: string[]
  'dry-run': boolean
  concurrency: number
  batch?: string
  'max-fail'?: number
  consider?: string[]
  env?: string[]
  set?: string[]
  'accept-new-host-keys': boolean
  'connect-timeout': number
  verbose: boolean
  count?: string[]
  sandbox?: string
}

/** Forklift's own config folder (its known_hosts lives there). */
export function forkliftConfigDir(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'forklift')
}

/** Built-in crates shipped with the package. */
export function builtinCratesDir(config: Config): string {
  return join(config.root, 'crates')
}

function parseCounts(values: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const value of values) {
    const match = /^([a-z][a-z0-9-]*)=(\d+)$/.exec(value)
    if (!match) throw new UsageError(`--count ${value}: expected GROUP=N, e.g. --count web=3`)
    out[match[1]!] = Number(match[2])
  }
  return out
}

/** The body of `lift` and `converge`: config → inventory → plan → execute → report. Returns the exit code. */
export async function runCommand(
  command: 'lift' | 'converge',
  config: Config,
  groupNames: string[],
  flags: RunFlags,
): Promise<number> {
  const batch = flags.batch === undefined ? undefined : parseBatch(flags.batch)
  if (flags.batch !== undefined && !batch)
    throw new UsageError(`--batch ${flags.batch}: expected N or N% (1–100)`)
  // Usage mistakes are told before the project is read.
  parseCounts(flags.count ?? [])

  // Taken before the project is read: an interrupt from the CLI's first moments is reported by the run.
  const interrupts = runInterrupts()
  try {
    return await openAndRun(command, config, groupNames, flags, interrupts)
  } finally {
    interrupts.release()
  }
}

/** The run's stop (first interrupt) and abort (second), and the interrupts the renderer is yet to hear of. */
interface RunInterrupts {
  stop: AbortController
  abort: AbortController
  /** From now on, each interrupt (and those that came before) is an event on `bus`. */
  report(bus: EventSink): void
  release(): void
}

function runInterrupts(): RunInterrupts {
  const stop = new AbortController()
  const abort = new AbortController()
  // Every running node listens on these; Node's warning past ten listeners is no leak here.
  setMaxListeners(0, stop.signal, abort.signal)
  const told: Array<Extract<ForkliftEvent, { type: 'interrupt' }>> = []
  let bus: EventSink | undefined
  const release = takeInterrupts((signal, count) => {
    if (count > 2) return
    const event = { type: 'interrupt', second: count === 2, signal } as const
    if (bus) bus.emit(event)
    else told.push(event)
    if (count === 2) abort.abort()
    else stop.abort()
  })
  return {
    stop,
    abort,
    report(sink) {
      bus = sink
      for (const event of told.splice(0)) sink.emit(event)
    },
    release,
  }
}

async function openAndRun(
  command: 'lift' | 'converge',
  config: Config,
  groupNames: string[],
  flags: RunFlags,
  interrupts: RunInterrupts,
): Promise<number> {
  const project = await openProject({
    configFile: flags.config,
    plugins: pluginInfos(config),
    envFiles: flags.env,
    sets: flags.set,
    builtinCrates: [builtinCratesDir(config)],
  })
  // Errors come out redacted as events do: a crate's or a node's message may hold a secret.
  const redact = eventRedactor(project.config.secrets)
  return runProject(command, project, groupNames, flags, redact, interrupts).catch((error: unknown) => {
    throw redact(error)
  })
}

async function runProject(
  command: 'lift' | 'converge',
  project: Awaited<ReturnType<typeof openProject>>,
  groupNames: string[],
  flags: RunFlags,
  redact: Redactor,
  interrupts: RunInterrupts,
): Promise<number> {
  const batch = flags.batch === undefined ? undefined : parseBatch(flags.batch)
  const counts = parseCounts(flags.count ?? [])
  const groups = selectGroups(project.config, groupNames)
  const consider = flags.consider?.length ? selectGroups(project.config, flags.consider) : []
  for (const name of Object.keys(counts)) selectGroups(project.config, [name])

  const phases = flags.phase ?? []
  // Found before any pod starts: where pods cannot be isolated as asked, crates are refused in one line.
  const sandboxMode = (flags.sandbox ?? project.config.sandbox) as SandboxMode
  const sandboxWarning =
    project.crates.size > 0 ? takeSandboxWarning(await osSandbox(sandboxMode)) : undefined
  // Every crate runs sandboxed in a pod; crates with one dependency set share one pool for the whole run.
  const runner = createPodCrateRunner({
    crates: project.crates.values(),
    sandbox: sandboxMode,
    limits: project.config.crateLimits,
  })
  const unknown = await unknownPhases(phases, groups, project.crates, runner)
  if (unknown) {
    await runner.close()
    throw new UsageError(unknown)
  }

  const bus = createEventBus(redact)
  const renderer = attachRenderer(bus, {
    json: flags.json,
    verbose: flags.verbose,
    command,
    groups,
    phases: planPhases(command, phases),
  })
  if (sandboxWarning) {
    // A JSON document has no place for it, and it must not go unsaid: stderr.
    if (flags.json) process.stderr.write(`WARN ${sandboxWarning}\n`)
    else bus.emit({ type: 'log', level: 'warn', message: sandboxWarning })
  }

  interrupts.report(bus)

  const cleanUp = async () => {
    await runner.close()
    await renderer.done()
  }
  // A dry run changes nothing, so only a real converge keeps others of the project out.
  const unlock =
    command === 'converge' && !flags['dry-run']
      ? await lockProject(project.config.dir, bus).catch(async (error) => {
          await cleanUp()
          throw error
        })
      : async () => {}
  const providers = await openProviders(project, [...groups, ...consider], bus, {
    acceptNewHostKeys: flags['accept-new-host-keys'],
  }).catch(async (error) => {
    await unlock()
    await cleanUp()
    throw error
  })
  let result: RunResult
  try {
    const options: EngineOptions = {
      projectDir: project.config.dir,
      groups,
      consider,
      providers,
      crates: project.crates,
      runner,
      phases,
      dryRun: flags['dry-run'],
      concurrency: flags.concurrency,
      ...(batch ? { batch } : {}),
      ...(flags['max-fail'] !== undefined ? { maxFailPercent: flags['max-fail'] } : {}),
      counts,
      transport: {
        acceptNewHostKeys: flags['accept-new-host-keys'],
        forkliftKnownHosts: join(forkliftConfigDir(), 'known_hosts'),
        connectTimeoutMs: flags['connect-timeout'] * 1000,
      },
      events: bus,
      stop: interrupts.stop.signal,
      abort: interrupts.abort.signal,
    }
    result = command === 'lift' ? await runLift(options) : await runConverge(options)
  } finally {
    await runner.close()
    await closeProviders(providers)
    await unlock()
    await renderer.done()
  }
  return result.ok ? 0 : 1
}
