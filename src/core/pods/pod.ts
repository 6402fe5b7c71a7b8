import { AsyncLocalStorage } from 'node:async_hooks'
import { realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { defaultPodCacheDir } from './cache-layout.js'
import { PodExitError, PodUsageError, PodValueError } from './errors.js'
import { type DependencySet, ensureDependencySet } from './install.js'
import type { HostRequest } from './protocol.js'
import { PodLogs, PodNotStartedError, type Runtime, type RuntimeSpec, startRuntime } from './runtime.js'
import { osSandbox, type SandboxMode, sandboxFlags, takeSandboxWarning } from './sandbox.js'
import { type Dependencies, normalizeDependencies } from './specs.js'
import { unsendableReason } from './values.js'
import { ensureView } from './view.js'

/** Limits Forklift holds each pod to. */
export interface PodLimits {
  /** Wall-clock limit of one call, in ms; past it the pod is killed and replaced (default 30 000). */
  timeoutMs?: number
  /** V8 heap limit in MB (`--max-old-space-size`); past it the pod dies and is replaced (default 512). */
  heapMb?: number
  /** The largest reply Forklift reads from the pod, in MB (default 64); a larger value fails the call. */
  replyMb?: number
}

export interface PodOptions {
  /** `{ name: range }` as in package.json, or `name@range`, folders and tarballs. */
  dependencies?: Dependencies
  /** Folders the pod may read and load modules from (first match wins for relative module names). */
  paths?: string[]
  limits?: PodLimits
  /** Relative folders, tarballs and paths are taken from here (default: the current directory). */
  baseDir?: string
  /** The dependency-set cache (default `$XDG_CACHE_HOME/forklift/pods`). */
  cacheDir?: string
  /** The pod's whole environment (default: empty; nothing of Forklift's own leaks in). */
  env?: Record<string, string>
  /** Each chunk the pod writes to stdout or stderr (kept apart from returned values). */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void
  /** Runs after every start of the pod's process, a replacement included, before any call is served. */
  init?: (pod: Pod) => unknown
  /**
   * The OS isolation (default `auto`: bubblewrap, else unshare with a warning, else PodSandboxError);
   * `node-only` opts down to Node's permission model alone, with a warning.
   */
  sandbox?: SandboxMode
}

/** An isolated Node runtime with its own dependencies. */
export interface Pod {
  /** The installed dependency set the pod runs on. */
  readonly set: { hash: string; dir: string; packages: { name: string; version: string }[] }
  /** The process id while one runs. */
  readonly pid: number | undefined
  readonly destroyed: boolean
  /** Evaluate code in the pod (the value of its last statement; a promise is awaited). */
  eval<T = unknown>(code: string, bindings?: Record<string, unknown>): Promise<T>
  /** Import `module` in the pod and call its export (`module#export`, default export when none is named). */
  call<T = unknown>(target: string, ...args: unknown[]): Promise<T>
  /** Load a module ahead of use; it is loaded again whenever the pod's process is replaced. */
  require(module: string): Promise<void>
  /** The last 64 KB the pod wrote to stdout and stderr. */
  logs(): { stdout: string; stderr: string }
}

/** Everything resolved once for pods of the same environment: a pool starts many from one plan. */
export interface PodPlan {
  set: DependencySet
  spec: RuntimeSpec
  init?: (pod: Pod) => unknown
}

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_HEAP_MB = 512
const DEFAULT_REPLY_MB = 64
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/
const RESERVED = new Set(['require', 'arguments', 'eval', 'this', 'await', 'yield', 'let', 'static', 'enum'])

function checkLimits(limits: PodLimits): { timeoutMs: number; heapMb: number; replyBytes: number } {
  const timeoutMs = limits.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const heapMb = limits.heapMb ?? DEFAULT_HEAP_MB
  const replyMb = limits.replyMb ?? DEFAULT_REPLY_MB
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new PodUsageError(`timeoutMs must be a positive integer (got ${timeoutMs})`)
  if (!Number.isInteger(heapMb) || heapMb < 16)
    throw new PodUsageError(`heapMb must be an integer of at least 16 (got ${heapMb})`)
  if (typeof replyMb !== 'number' || !(replyMb > 0) || replyMb > 2048)
    throw new PodUsageError(`replyMb must be a number of MB above 0 and at most 2048 (got ${replyMb})`)
  return { timeoutMs, heapMb, replyBytes: Math.floor(replyMb * 1024 * 1024) }
}

async function realFolder(path: string, baseDir: string): Promise<string> {
  const absolute = resolve(baseDir, path)
  const info = await stat(absolute).catch(() => undefined)
  if (!info?.isDirectory()) throw new PodUsageError(`pod path ${absolute} is not a folder`)
  return realpath(absolute)
}

/** Resolve and install the dependency set, lay out the pod's view and its sandbox flags. */
export async function preparePod(options: PodOptions = {}): Promise<PodPlan> {
  const sandbox = osSandbox(options.sandbox ?? 'auto')
  // Found before anything is installed: a refusal comes first, and costs nothing.
  await sandbox
  const baseDir = options.baseDir ?? process.cwd()
  const limits = checkLimits(options.limits ?? {})
  const dependencies = await normalizeDependencies(options.dependencies, baseDir)
  const paths: string[] = []
  for (const path of options.paths ?? []) paths.push(await realFolder(path, baseDir))
  const set = await ensureDependencySet(dependencies, options.cacheDir ?? defaultPodCacheDir())
  const view = await ensureView(set, paths)
  const os = await sandbox
  // Said once per process; the CLI takes it first and says it its own way.
  const warning = takeSandboxWarning(os)
  if (warning) process.emitWarning(warning, { code: 'FORKLIFT_SANDBOX' })
  const spec: RuntimeSpec = {
    prefix: os.prefix(view.binds, view.dir),
    ...(os.seccomp ? { seccomp: os.seccomp } : {}),
    ...(os.kind === 'bwrap' ? { signalAsStatus: true } : {}),
    nodeArgs: sandboxFlags(view.readable, limits.heapMb),
    host: view.host,
    config: {
      links: view.links,
      context: pathToFileURL(join(view.dir, 'context.js')).href,
      replyBytes: limits.replyBytes,
      clearPwd: os.kind === 'bwrap' && !Object.hasOwn(options.env ?? {}, 'PWD'),
    },
    cwd: view.dir,
    env: { ...(options.env ?? {}) },
    ...limits,
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  }
  return { set, spec, ...(options.init ? { init: options.init } : {}) }
}

/** Split `module#export`; a leading `#` belongs to the module name (package imports). */
export function parseTarget(target: string): { module: string; export: string } {
  const at = target.lastIndexOf('#')
  if (at <= 0) {
    if (!target) throw new PodUsageError('the module to call is empty')
    return { module: target, export: 'default' }
  }
  const module = target.slice(0, at)
  const name = target.slice(at + 1)
  if (!name) throw new PodUsageError(`"${target}": the export after # is empty`)
  return { module, export: name }
}

/** An absolute module path as the pod's links know it (they point at real paths). */
async function realModulePath(module: string): Promise<string> {
  if (!isAbsolute(module)) return module
  return realpath(module).catch(() => module)
}

// Calls the init hook makes while a process is starting go straight to that process.
const initScope = new AsyncLocalStorage<{ pod: PodHandle; runtime: Runtime }>()

/** A pod: one process at a time, replaced when it dies; the owner of that process's state. */
export class PodHandle implements Pod {
  readonly plan: PodPlan
  /** Start a new process when the current one dies (pools turn this off: they promote a warm pod). */
  autoRestart = true
  /** Where calls still waiting when the process ends go if it is not restarted (a pool's current pod). */
  successor: (() => PodHandle | undefined) | undefined
  #live: Runtime | undefined
  /** The process whose start (preloads, init hooks) completed. */
  #ready: Runtime | undefined
  #starting: Promise<Runtime> | undefined
  #preloaded: string[] = []
  #logs = new PodLogs()
  #exitListeners: ((error: PodExitError) => void)[] = []
  #destroyed = false
  #stopped: Promise<void> | undefined
  readonly #hooks: ((pod: Pod) => unknown)[]

  constructor(plan: PodPlan, hooks: ((pod: Pod) => unknown)[] = []) {
    this.plan = plan
    this.#hooks = [...(plan.init ? [plan.init] : []), ...hooks]
    this.#begin()
  }

  get set() {
    const { hash, dir, packages } = this.plan.set
    return { hash, dir, packages }
  }

  get pid() {
    return this.#live && !this.#live.exited ? this.#live.pid : undefined
  }

  get destroyed() {
    return this.#destroyed
  }

  #begin(): Promise<Runtime> {
    this.#ready = undefined
    const starting = this.#start()
    this.#starting = starting
    starting.catch(() => {
      if (this.#starting === starting) this.#starting = undefined
    })
    return starting
  }

  async #start(): Promise<Runtime> {
    const runtime = await startRuntime(this.plan.spec, this.#logs)
    this.#live = runtime
    if (this.#destroyed) {
      await runtime.stop()
      throw new PodExitError('the pod was destroyed', 'destroyed')
    }
    try {
      for (const module of this.#preloaded)
        await runtime.request({ op: 'require', module }, `require ${module}`)
      for (const hook of this.#hooks) await initScope.run({ pod: this, runtime }, () => hook(this))
    } catch (error) {
      await runtime.stop()
      throw error
    }
    // Watch for a death only once started: a start that fails is retried by the next call, not in a loop.
    runtime.onExit((error) => {
      if (this.#ready !== runtime) return
      for (const listener of this.#exitListeners) listener(error)
      if (this.autoRestart && !this.#destroyed) this.#begin()
    })
    this.#ready = runtime
    return runtime
  }

  #runtime(): Promise<Runtime> {
    const scoped = initScope.getStore()
    if (scoped?.pod === this) return Promise.resolve(scoped.runtime)
    if (this.#destroyed) return Promise.reject(new PodExitError('the pod was destroyed', 'destroyed'))
    if (this.#ready?.exited) this.#starting = undefined
    return this.#starting ?? this.#begin()
  }

  /** Resolves once a process is up and initialised. */
  async ready(): Promise<void> {
    await this.#runtime()
  }

  /** Called when a process of this pod ends on its own (timeout, heap, crash). */
  onExit(listener: (error: PodExitError) => void): void {
    this.#exitListeners.push(listener)
  }

  /** Send one request to the pod's process, starting one if none runs. */
  async request(request: HostRequest, label: string): Promise<unknown> {
    const scoped = initScope.getStore()?.pod === this
    const runtime = await this.#runtime()
    try {
      return await runtime.request(request, label)
    } catch (error) {
      // A call the process never got is not the one that ended it: it runs on the replacement.
      if (scoped || !(error instanceof PodNotStartedError)) throw error
      const next = this.autoRestart ? this : this.successor?.()
      if (!next || (next === this && this.#destroyed)) throw error
      return next.request(request, label)
    }
  }

  async eval<T = unknown>(code: string, bindings: Record<string, unknown> = {}): Promise<T> {
    if (typeof code !== 'string') throw new PodUsageError('pod.eval takes the code as a string')
    for (const name of Object.keys(bindings)) {
      if (!IDENTIFIER.test(name) || RESERVED.has(name))
        throw new PodUsageError(`binding "${name}" is not a name code can use`)
    }
    const reason = unsendableReason(bindings, 'bindings')
    if (reason) throw new PodValueError(reason)
    return (await this.request({ op: 'eval', code, bindings }, 'eval')) as T
  }

  async call<T = unknown>(target: string, ...args: unknown[]): Promise<T> {
    const parsed = parseTarget(target)
    const reason = unsendableReason(args, 'args')
    if (reason) throw new PodValueError(reason)
    const module = await realModulePath(parsed.module)
    return (await this.request({ op: 'call', module, export: parsed.export, args }, `call ${target}`)) as T
  }

  async require(module: string): Promise<void> {
    const real = await realModulePath(module)
    await this.request({ op: 'require', module: real }, `require ${module}`)
    if (!this.#preloaded.includes(real)) this.#preloaded.push(real)
  }

  logs(): { stdout: string; stderr: string } {
    return { stdout: this.#logs.stdout, stderr: this.#logs.stderr }
  }

  /** End the process (and any that is starting) and wait until it is gone. */
  destroy(): Promise<void> {
    if (!this.#stopped) {
      this.#destroyed = true
      this.#stopped = (async () => {
        await this.#live?.stop()
        // A process still starting stops itself once it sees the pod destroyed.
        await this.#starting?.catch(() => {})
        await this.#live?.stop()
      })()
    }
    return this.#stopped
  }
}

/**
 * Resolve the dependency set (installing it into the cache once), start the pod and wait until it
 * answers. Throws PodInstallError with npm's message for a package or version that does not exist.
 */
export async function makePod(options: PodOptions = {}): Promise<Pod> {
  const pod = new PodHandle(await preparePod(options))
  try {
    await pod.ready()
  } catch (error) {
    await pod.destroy()
    throw error
  }
  return pod
}

/** End a pod's process and free what it held; calls still running fail. */
export async function destroyPod(pod: Pod): Promise<void> {
  if (!(pod instanceof PodHandle)) throw new PodUsageError('destroyPod takes a pod made by makePod or a pool')
  await pod.destroy()
}
