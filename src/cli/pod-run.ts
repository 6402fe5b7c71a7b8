import { inspect } from 'node:util'
import { Flags } from '@oclif/core'
import { EXIT, errorMessage, ForkliftError } from '../core/errors.js'
import { remoteSummary } from '../core/pods/errors.js'
import {
  destroyPod,
  makePod,
  osSandbox,
  type Pod,
  PodError,
  PodExitError,
  PodInstallError,
  PodSandboxError,
  PodTimeoutError,
  PodUsageError,
  PodValueError,
  type SandboxMode,
  takeSandboxWarning,
  toJsonValue,
} from '../core/pods/index.js'
import { sandboxFlag } from './flags.js'
import { showable } from './render/showable.js'

// What `pod eval` and `pod call` share: their flags, one pod per command, and how results are shown.

/** Flags of the commands that run code in a pod. */
export const podRunFlags = {
  dep: Flags.string({
    char: 'd',
    description: 'Dependency: NAME@RANGE, a folder or a .tgz (repeatable)',
    multiple: true,
    multipleNonGreedy: true,
  }),
  path: Flags.string({
    char: 'p',
    description: 'Folder the pod may read and load modules from (repeatable)',
    multiple: true,
    multipleNonGreedy: true,
  }),
  timeout: Flags.integer({
    description: 'Wall-clock limit of the call, in seconds (1–86400)',
    default: 30,
    min: 1,
    max: 86400,
  }),
  heap: Flags.integer({
    description: 'Heap limit of the pod, in MB (16–65536)',
    default: 512,
    min: 16,
    max: 65536,
  }),
  json: Flags.boolean({ description: 'Print the value as JSON' }),
  'max-reply': Flags.integer({
    description: 'Largest value the pod may send back, in MB',
    default: 64,
    min: 1,
  }),
  sandbox: sandboxFlag,
}

/** Start a pod for a command. */
/** The flag values a pod is made from. */
export interface PodRunFlags {
  dep?: string[]
  path?: string[]
  timeout: number
  heap: number
  'max-reply': number
  sandbox?: string
}

async function podFor(flags: PodRunFlags): Promise<Pod> {
  const sandbox = (flags.sandbox ?? 'auto') as SandboxMode
  // Said once, as the command's own warning, before the pod starts.
  const warning = takeSandboxWarning(await osSandbox(sandbox))
  if (warning) process.stderr.write(`Warning: ${warning}\n`)
  return makePod({
    dependencies: flags.dep ?? [],
    paths: flags.path ?? [],
    limits: { timeoutMs: flags.timeout * 1000, heapMb: flags.heap, replyMb: flags['max-reply'] },
    sandbox,
  })
}

/**
 * What the code printed goes to stderr, so stdout holds only the value; left out when the pod died at
 * its heap limit (V8's dump is no output of the code).
 */
function showPodOutput(pod: Pod, error?: unknown): void {
  if (error instanceof PodExitError && error.reason === 'heap') return
  const { stdout, stderr } = pod.logs()
  if (stdout) process.stderr.write(showable(stdout))
  if (stderr) process.stderr.write(showable(stderr))
}

/** How a value is shown: strings as they are, JSON with --json, anything else as Node shows it. */
export function renderValue(value: unknown, json: boolean): string {
  if (json) return JSON.stringify(toJsonValue(value), null, 2)
  if (typeof value === 'string') return showable(value)
  return showable(inspect(value, { depth: null, colors: false, breakLength: 100 }))
}

/** A pod failure is one line for the user (exit 2): what the code threw, and where in the pod. */
function podFailure(error: unknown): { message: string } | undefined {
  if (error instanceof PodError) {
    // Where in the pod's code it happened: the first frame that is not Node's own.
    const frame = error.podStack
      .split('\n')
      .find((line) => /^\s+at /.test(line) && !/\(node:|^\s+at node:/.test(line))
    const where = frame?.match(/\(([^()]+)\)\s*$/)?.[1] ?? frame?.trim().replace(/^at /, '')
    return { message: remoteSummary(error, where) }
  }
  const known = [
    PodUsageError,
    PodInstallError,
    PodValueError,
    PodTimeoutError,
    PodExitError,
    PodSandboxError,
  ]
  if (known.some((kind) => error instanceof kind)) return { message: errorMessage(error) }
  return undefined
}

/**
 * Run `use` in a fresh pod for these flags and destroy the pod after; what the code printed goes to
 * stderr, and a pod failure becomes a one-line error (exit 2).
 */
export async function runInPod(flags: PodRunFlags, use: (pod: Pod) => Promise<unknown>): Promise<unknown> {
  let pod: Pod | undefined
  try {
    pod = await podFor(flags)
    const value = await use(pod)
    await destroyPod(pod)
    showPodOutput(pod)
    return value
  } catch (error) {
    if (pod) {
      // Destroyed first: then all the pod printed has arrived.
      await destroyPod(pod)
      showPodOutput(pod, error)
    }
    const failure = podFailure(error)
    if (failure) throw new ForkliftError(failure.message, { code: 'POD', exitCode: EXIT.usage, cause: error })
    throw error
  }
}
