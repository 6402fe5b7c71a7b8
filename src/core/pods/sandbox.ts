import { execFile, spawn } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
import { delimiter, isAbsolute, join } from 'node:path'
import { EXIT, ForkliftError, type ForkliftErrorOptions } from '../errors.js'
import { PodUsageError } from './errors.js'
import { deathSignalPrefix } from './orphans.js'
import { seccompProgram } from './seccomp.js'

const flags = process.allowedNodeEnvironmentFlags

/** Node's flag that turns the permission model on: `--permission` (Node 22.13+, 24) or its Node 20 name. */
export const permissionFlag = flags.has('--permission') ? '--permission' : '--experimental-permission'

/**
 * The node flags of a pod: the permission model with read access to exactly `readable` and nothing
 * else (no writes, child processes, worker threads, native addons or WASI), and a heap limit.
 */
export function sandboxFlags(readable: string[], heapMb: number): string[] {
  const out = [permissionFlag]
  for (const path of readable) {
    // Node 20 reads a comma as a list separator inside this flag.
    if (path.includes(','))
      throw new PodUsageError(`path ${path} has a comma, which Node's permission flags cannot express`)
    out.push(`--allow-fs-read=${path}`)
  }
  out.push(`--max-old-space-size=${heapMb}`, '--preserve-symlinks')
  // trace_events writes its log into the working folder, which the permission model does not stop.
  out.push('--trace-event-file-pattern=/dev/null')
  // Node 20 warns that the permission model is experimental on every start: not the pod's output.
  if (flags.has('--disable-warning')) out.push('--disable-warning=ExperimentalWarning')
  return out
}

/** How pods are isolated from the system: `auto` is bubblewrap, else unshare, else a refusal. */
export type SandboxMode = 'auto' | 'bwrap' | 'unshare' | 'node-only'

export const SANDBOX_MODES: readonly SandboxMode[] = ['auto', 'bwrap', 'unshare', 'node-only']

/** Pods cannot be isolated the way the sandbox setting asks (no bubblewrap, no user namespaces). */
export class PodSandboxError extends ForkliftError {
  override name = 'PodSandboxError'
  constructor(message: string, options: ForkliftErrorOptions = {}) {
    super(message, { ...options, code: 'SANDBOX', exitCode: EXIT.usage })
  }
}

/** The OS isolation pods start in, found once per process and mode. */
export interface OsSandbox {
  kind: 'bwrap' | 'unshare' | 'node-only'
  /** Why pods are less isolated than under bubblewrap, for a warning once per run. */
  warning?: string
  /** The command that starts a pod's node, given the real folders and files it may read. */
  prefix(readable: string[], cwd: string): string[]
  /** The seccomp filter handed to bubblewrap on descriptor 4, if any. */
  seccomp?: Buffer
}

/** The descriptor bubblewrap reads the seccomp filter from (0–2 stdio, 3 the pod's channel). */
export const SECCOMP_FD = 4

const INSTALL_HINT =
  'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)'
const OPT_DOWN = 'or opt down with `sandbox: node-only` in forklift.yaml (or --sandbox node-only)'

const executable = (path: string) =>
  access(path, constants.X_OK).then(
    () => true,
    () => false,
  )

/** A program on PATH (absolute entries only: a relative one would let the current folder choose). */
async function which(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(isAbsolute)) {
    const path = join(dir, name)
    if (await executable(path)) return path
  }
  return undefined
}

/** The shared libraries node loads (ldd), else the usual library folders. */
function nodeLibraries(): Promise<string[]> {
  return new Promise((resolve) =>
    execFile('ldd', [process.execPath], { timeout: 5000 }, (error, stdout) => {
      const found = error
        ? []
        : stdout
            .split('\n')
            .map((line) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1])
            .filter((path): path is string => path !== undefined)
      resolve(found)
    }),
  )
}

/** Run `node --version` under a prefix: does the sandbox start a program here, and if not, why. */
function probe(prefix: string[], seccomp?: Buffer): Promise<string | undefined> {
  return new Promise((resolve) => {
    const [command, ...args] = [...prefix, process.execPath, '--version']
    const child = spawn(command!, args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ignore', ...(seccomp ? (['pipe'] as const) : [])],
      env: {},
    })
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      out += text
    })
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      out += text
    })
    if (seccomp) (child.stdio[SECCOMP_FD] as NodeJS.WritableStream).end(seccomp)
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      resolve(error.message)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 0 && out.startsWith('v')) return resolve(undefined)
      resolve(out.trim().split('\n').pop()?.trim() || `exit status ${code}`)
    })
  })
}

async function bubblewrap(): Promise<OsSandbox | string> {
  if (process.platform !== 'linux') return `bubblewrap needs Linux (this is ${process.platform})`
  const bwrap = await which('bwrap')
  if (!bwrap) return 'bubblewrap (bwrap) is not installed'
  const libraries = await nodeLibraries()
  const system = libraries.length
    ? libraries.flatMap((path) => ['--ro-bind', path, path])
    : ['/lib', '/lib64', '/usr/lib', '/usr/lib64'].flatMap((path) => ['--ro-bind-try', path, path])
  const seccomp = seccompProgram()
  const prefix = (readable: string[], cwd: string) => [
    bwrap,
    // Own user, PID, network, IPC, UTS and cgroup namespaces.
    '--unshare-all',
    '--unshare-user',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    // Mounts in order: a fresh /proc, a minimal /dev and a private /tmp first, so binds of folders
    // under /tmp land on top of it rather than under it.
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    '--ro-bind',
    process.execPath,
    process.execPath,
    ...system,
    ...readable.flatMap((path) => ['--ro-bind', path, path]),
    '--remount-ro',
    '/',
    '--chdir',
    cwd,
    ...(seccomp ? ['--seccomp', String(SECCOMP_FD)] : []),
    '--',
  ]
  const failed = await probe(prefix([], '/'), seccomp)
  if (failed) return `bubblewrap does not work here (${failed})`
  return { kind: 'bwrap', prefix, ...(seccomp ? { seccomp } : {}) }
}

async function namespaces(): Promise<OsSandbox | string> {
  if (process.platform !== 'linux') return `unshare needs Linux (this is ${process.platform})`
  const [unshare, setpriv, setsid] = await Promise.all([which('unshare'), which('setpriv'), which('setsid')])
  if (!unshare || !setpriv || !setsid) return 'util-linux unshare, setsid and setpriv are not installed'
  const death = await deathSignalPrefix()
  const command = [
    ...death,
    unshare,
    // Own user (this user mapped to root inside), PID, mount (for a fresh /proc), network, IPC, UTS.
    '--user',
    '--map-root-user',
    '--pid',
    '--fork',
    '--kill-child',
    '--mount',
    '--mount-proc',
    '--net',
    '--ipc',
    '--uts',
    '--',
    // A session of its own: signals to its process group (kill(0, …)) reach no one outside.
    setsid,
    // Root of the namespace only until node starts: no capabilities, no way to gain any.
    setpriv,
    '--no-new-privs',
    '--bounding-set',
    '-all',
    '--inh-caps',
    '-all',
    '--',
  ]
  const failed = await probe(command)
  if (failed) return `unshare cannot make user namespaces here (${failed})`
  return { kind: 'unshare', prefix: () => command }
}

async function resolve(mode: SandboxMode): Promise<OsSandbox> {
  if (mode === 'node-only') {
    const death = await deathSignalPrefix()
    return {
      kind: 'node-only',
      warning:
        "pods run with `sandbox: node-only`: no OS isolation, only Node's permission model, which is no security boundary against malicious code; a crate can signal and trace processes of this user and reach the network",
      prefix: () => death,
    }
  }
  const bwrap = mode === 'unshare' ? 'bubblewrap was not asked for (sandbox: unshare)' : await bubblewrap()
  if (typeof bwrap !== 'string') return bwrap
  if (mode === 'bwrap') throw new PodSandboxError(`cannot sandbox pods: ${bwrap}; ${INSTALL_HINT}`)
  const unshare = await namespaces()
  if (typeof unshare === 'string')
    throw new PodSandboxError(`cannot sandbox pods: ${bwrap}, and ${unshare}; ${INSTALL_HINT}, ${OPT_DOWN}`)
  return {
    ...unshare,
    warning: `${bwrap}: pods run in their own user, PID and network namespaces (unshare), but their files are guarded by Node's permission model alone; ${INSTALL_HINT}`,
  }
}

const resolved = new Map<SandboxMode, Promise<OsSandbox>>()

/**
 * The OS sandbox for a mode, found once per process: bubblewrap; else (auto, unshare) util-linux's
 * unshare with a warning; node-only with a warning. Throws PodSandboxError naming what is missing.
 */
export function osSandbox(mode: SandboxMode = 'auto'): Promise<OsSandbox> {
  if (!SANDBOX_MODES.includes(mode))
    return Promise.reject(
      new PodUsageError(`sandbox must be one of ${SANDBOX_MODES.join(', ')} (got ${mode})`),
    )
  let found = resolved.get(mode)
  if (!found) {
    found = resolve(mode)
    resolved.set(mode, found)
  }
  return found
}

const warned = new Set<string>()

/** The sandbox's warning the first time it is asked for in this process, then nothing: once per run. */
export function takeSandboxWarning(sandbox: OsSandbox): string | undefined {
  if (!sandbox.warning || warned.has(sandbox.warning)) return undefined
  warned.add(sandbox.warning)
  return sandbox.warning
}
