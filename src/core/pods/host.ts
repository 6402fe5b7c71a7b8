// The program a pod runs. It is copied next to the pod's dependency folder and started under Node's
// permission model, so it may import nothing of Forklift but the files copied with it.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Socket } from 'node:net'
import { isAbsolute, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { inspect } from 'node:util'
import type { CrateContext, CrateContextData, CrateDefinition } from '../crates/types.js'
import { CHANNEL_FD, encodeFrame, FrameReader } from './channel.js'
import type { RemoteErrorData } from './errors.js'
import type { HostConfig, HostMessage, HostRequest } from './protocol.js'
import { unsendableReason } from './values.js'

type MakeContext = (data: CrateContextData, published: Record<string, unknown>) => CrateContext

const config = JSON.parse(process.argv[2] ?? '{}') as HostConfig
if (config.clearPwd) delete process.env.PWD

// Ctrl-C at a terminal reaches the whole process group: what an interrupt means is Forklift's to
// decide (a first one lets running work finish), and Forklift ends its pods itself.
process.on('SIGINT', () => {})

// Node's permission model lets any process signal any other of the same user: a pod signals only itself.
const rawKill = (process as unknown as { _kill: (pid: number, signal: number) => number })._kill
Object.defineProperty(process, '_kill', {
  value(pid: number, signal: number) {
    if (pid !== process.pid) {
      throw Object.assign(new Error('Access to this API has been restricted: a pod may signal only itself'), {
        code: 'ERR_ACCESS_DENIED',
      })
    }
    return rawKill.call(process, pid, signal)
  },
  writable: false,
  configurable: false,
})
const hostFile = fileURLToPath(import.meta.url)
// `require` for evaluated code: rooted in the pod's own dependency folder, like `import` from here.
const podRequire = createRequire(hostFile)

/** An error that is not a bug of the pod's code but a rule of the boundary, named like Forklift's own. */
function namedError(name: string, message: string): Error {
  const error = new Error(message)
  error.name = name
  return error
}

const within = (path: string, dir: string) => path === dir || path.startsWith(dir + sep)

/** Map a real path inside one of the pod's paths to the link the pod can read it through. */
function toView(path: string): string {
  for (const link of config.links)
    if (within(path, link.real)) return link.view + path.slice(link.real.length)
  return path
}

/** The reverse, for messages and stacks: show the user's own paths, not the links. */
function toReal(text: string): string {
  let out = text
  // Longest first: l10 before l1.
  for (const link of [...config.links].sort((a, b) => b.view.length - a.view.length)) {
    out = out
      .replaceAll(pathToFileURL(link.view).href, pathToFileURL(link.real).href)
      .replaceAll(link.view, link.real)
  }
  return out
}

// Frames of this file and of Node's IPC plumbing say nothing about the pod's code: left out of stacks.
const HOST_FRAME = 'forklift-pod-host'
const hostUrl = import.meta.url
const plumbing = (line: string) =>
  /^\s+at /.test(line) &&
  (line.includes(hostUrl) ||
    line.includes(HOST_FRAME) ||
    /\(node:(internal|events|child_process)|at node:internal/.test(line))

const cleanStack = (stack: string) =>
  stack
    .split('\n')
    .filter((line) => !plumbing(line))
    .join('\n')

const isRelative = (spec: string) => spec.startsWith('./') || spec.startsWith('../')

async function importModule(spec: string): Promise<Record<string, unknown>> {
  if (isAbsolute(spec)) return import(pathToFileURL(toView(spec)).href)
  if (isRelative(spec)) {
    for (const link of config.links) {
      const candidate = resolve(link.view, spec)
      if (existsSync(candidate)) return import(pathToFileURL(candidate).href)
    }
    throw namedError('PodUsageError', `module "${spec}" is in none of the pod's paths`)
  }
  try {
    return await import(spec)
  } catch (error) {
    // A bare name the dependencies lack may still be a file in one of the pod's paths.
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error
    for (const link of config.links) {
      const candidate = resolve(link.view, spec)
      if (existsSync(candidate)) return import(pathToFileURL(candidate).href)
    }
    throw error
  }
}

function evaluate(code: string, bindings: Record<string, unknown>): unknown {
  const names = Object.keys(bindings)
  // A direct eval inside a function: the bindings are in scope and the completion value comes back.
  const run = new Function(
    'require',
    ...names,
    `return eval(arguments[${names.length + 1}])\n//# sourceURL=${HOST_FRAME}`,
  )
  return run(podRequire, ...names.map((name) => bindings[name]), `${code}\n//# sourceURL=pod-eval`)
}

async function callExport(module: string, name: string, args: unknown[]): Promise<unknown> {
  const namespace = await importModule(module)
  let owner: unknown = namespace
  let target = namespace[name]
  if (target === undefined && name !== 'default') {
    // CommonJS modules whose exports the loader could not list: look on module.exports.
    const fallback = namespace.default as Record<string, unknown> | undefined
    if (fallback && typeof fallback === 'object') {
      owner = fallback
      target = fallback[name]
    }
  }
  if (target === undefined) throw namedError('PodUsageError', `module "${module}" has no export "${name}"`)
  if (typeof target !== 'function') {
    if (args.length === 0) return target
    throw namedError('PodUsageError', `${module}#${name} is not a function`)
  }
  return (target as (...a: unknown[]) => unknown).apply(owner, args)
}

/** A crate as loaded: its phase functions and defaults read once, so later reads cannot change them. */
interface LoadedCrate {
  phases: Map<string, (ctx: CrateContext) => unknown>
  defaults: Record<string, unknown>
}

const crates = new Map<string, Promise<LoadedCrate>>()

/** What a value is, for messages: `a string ("nope")`, `an array`, `null`. */
function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return `a string (${shown(value)})`
  if (typeof value === 'object') return 'an object that is not a plain one'
  return `${/^[aeiou]/.test(typeof value) ? 'an' : 'a'} ${typeof value} (${shown(value)})`
}

const isPlain = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Check a crate module's default export once, naming the key that is wrong. */
function checkCrate(crate: string, entry: string, module: { default?: CrateDefinition }): LoadedCrate {
  const fail = (what: string) => namedError('CrateError', `crate "${crate}": ${what} (in ${entry})`)
  const definition = module.default as unknown
  const isMap = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
  if (!isMap(definition) || !isMap(definition.phases)) {
    throw fail('the module must export default { phases: { … } }')
  }
  const phases = new Map<string, (ctx: CrateContext) => unknown>()
  for (const name of Object.keys(definition.phases)) {
    const phase = definition.phases[name]
    if (typeof phase !== 'function') throw fail(`phases.${name} is ${kindOf(phase)}, not a function`)
    phases.set(name, phase as (ctx: CrateContext) => unknown)
  }
  const defaults = definition.defaults
  if (defaults !== undefined && !isPlain(defaults)) {
    throw fail(`defaults is ${kindOf(defaults)}, not a map of settings`)
  }
  return { phases, defaults: defaults ?? {} }
}

function loadCrate(crate: string, entry: string): Promise<LoadedCrate> {
  let loading = crates.get(entry)
  if (!loading) {
    loading = import(pathToFileURL(toView(entry)).href).then((module: { default?: CrateDefinition }) =>
      checkCrate(crate, entry, module),
    )
    crates.set(entry, loading)
  }
  return loading
}

let makeContext: Promise<MakeContext> | undefined

async function runCrate(crate: string, entry: string, data: CrateContextData) {
  const loaded = await loadCrate(crate, entry)
  const phase = loaded.phases.get(data.phase)
  if (!phase) return { actions: [], published: {}, defaults: loaded.defaults }
  makeContext ??= import(config.context).then((m: { makeCrateContext: MakeContext }) => m.makeCrateContext)
  // No prototype: a facility named `__proto__` is a key like any other.
  const published = Object.create(null) as Record<string, unknown>
  const settings = { ...loaded.defaults, ...data.settings }
  const actions = await phase((await makeContext)({ ...data, settings }, published))
  if (!Array.isArray(actions)) {
    throw namedError('CrateError', `the phase returned ${shown(actions)}, not a list of actions`)
  }
  return { actions, published, defaults: loaded.defaults }
}

async function handle(request: HostRequest): Promise<unknown> {
  switch (request.op) {
    case 'eval':
      return evaluate(request.code, request.bindings)
    case 'call':
      return callExport(request.module, request.export, request.args)
    case 'require':
      await importModule(request.module)
      return undefined
    case 'crate-phases':
      return [...(await loadCrate(request.crate, request.entry)).phases.keys()]
    case 'crate-run':
      return runCrate(request.crate, request.entry, request.data)
  }
}

/** Why a reply cannot go back, naming the path inside it the way the caller knows it. */
function unsendable(request: HostRequest, value: unknown): string | undefined {
  if (request.op !== 'crate-run') return unsendableReason(value, 'value')
  const output = value as { actions: unknown; published: unknown }
  const reason =
    unsendableReason(output.actions, 'actions') ??
    unsendableReason(output.published, 'published') ??
    unsendableReason((output as { defaults?: unknown }).defaults, 'defaults')
  // Forklift names the crate, the phase and the node.
  return reason
}

/**
 * Any value as one short line, as Node shows it (`{}`, `null`, `[ 1, 2 ]`), never running the
 * value's own code (no getters, no custom inspect, proxies shown as such).
 */
function shown(value: unknown): string {
  try {
    const text = inspect(value, {
      depth: 2,
      breakLength: Number.POSITIVE_INFINITY,
      maxArrayLength: 10,
      maxStringLength: 200,
      customInspect: false,
      getters: false,
      showProxy: true,
    }).replace(/\s*\n\s*/g, ' ')
    return text.length > 300 ? `${text.slice(0, 299)}…` : text
  } catch {
    return 'a value that cannot be shown'
  }
}

/** An error as data: name, message, stack and code; a thrown value that is no error as what it is. */
function errorData(error: unknown): RemoteErrorData {
  try {
    if (error instanceof Error || (error !== null && typeof error === 'object' && 'message' in error)) {
      const e = error as Error & { code?: unknown }
      const name = typeof e.name === 'string' && e.name ? e.name : 'Error'
      const data: RemoteErrorData = { name, message: toReal(String(e.message)) }
      if (typeof e.stack === 'string') data.stack = toReal(cleanStack(e.stack))
      if (typeof e.code === 'string') data.code = e.code
      return data
    }
  } catch {
    // A getter that throws, a proxy: shown below as the value it is.
  }
  // A string reads as a message; anything else is shown as Node would show it, null and undefined named.
  return { name: 'Error', message: typeof error === 'string' ? toReal(error) : `threw ${shown(error)}` }
}

const channel = new Socket({ fd: CHANNEL_FD, readable: true, writable: true })

function send(message: HostMessage): void {
  channel.write(encodeFrame(message))
}

/** A reply as a frame, or the error saying why it cannot go back (not data, too large). */
function replyFrame(request: HostRequest, id: number, value: unknown): Buffer {
  const reason = unsendable(request, value)
  if (reason) throw namedError('PodValueError', reason)
  let frame: Buffer
  try {
    frame = encodeFrame({ type: 'reply', id, ok: true, value } satisfies HostMessage)
  } catch (error) {
    throw namedError('PodValueError', `the value cannot be sent: ${(error as Error).message}`)
  }
  if (frame.length - 4 > config.replyBytes) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`
    throw namedError(
      'PodValueError',
      `the reply is ${mb(frame.length - 4)}, over the pod's limit of ${mb(config.replyBytes)} (limits.replyMb)`,
    )
  }
  return frame
}

async function serve(message: HostRequest & { id: number }): Promise<void> {
  const { id } = message
  try {
    channel.write(replyFrame(message, id, await handle(message)))
  } catch (error) {
    send({ type: 'reply', id, ok: false, error: errorData(error) })
  }
}

// Requests come from Forklift, one at a time: a frame that does not parse means Forklift is gone.
const reader = new FrameReader(
  Number.MAX_SAFE_INTEGER,
  (message) => void serve(message as HostRequest & { id: number }),
  () => process.exit(70),
)
channel.on('data', (chunk: Buffer) => reader.push(chunk))
// Forklift went away: so does the pod.
channel.on('end', () => process.exit(0))
channel.on('error', () => process.exit(0))
send({ type: 'ready' })
