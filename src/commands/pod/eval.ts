import { inspect } from 'node:util'
import { Args, Command, Flags } from '@oclif/core'
import {
  destroyPod,
  makePod,
  type Pod,
  PodError,
  PodExitError,
  PodInstallError,
  PodTimeoutError,
  PodUsageError,
  PodValueError,
  toJsonValue,
} from '../../core/pods/index.js'

// Shared by `pod eval` and `pod call` (a helper file here would be taken for a command).

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
  timeout: Flags.integer({ description: 'Wall-clock limit of the call, in seconds', default: 30, min: 1 }),
  heap: Flags.integer({ description: 'Heap limit of the pod, in MB', default: 512, min: 16 }),
  json: Flags.boolean({ description: 'Print the value as JSON' }),
}

/** Start a pod for a command. */
export function podFor(flags: {
  dep?: string[]
  path?: string[]
  timeout: number
  heap: number
}): Promise<Pod> {
  return makePod({
    dependencies: flags.dep ?? [],
    paths: flags.path ?? [],
    limits: { timeoutMs: flags.timeout * 1000, heapMb: flags.heap },
  })
}

/**
 * What the code printed goes to stderr, so stdout holds only the value; left out when the pod died at
 * its heap limit (V8's dump is no output of the code).
 */
export function showPodOutput(pod: Pod, error?: unknown): void {
  if (error instanceof PodExitError && error.reason === 'heap') return
  const { stdout, stderr } = pod.logs()
  if (stdout) process.stderr.write(stdout)
  if (stderr) process.stderr.write(stderr)
}

/** How a value is shown: strings as they are, JSON with --json, anything else as Node shows it. */
export function renderValue(value: unknown, json: boolean): string {
  if (json) return JSON.stringify(toJsonValue(value), null, 2)
  if (typeof value === 'string') return value
  return inspect(value, { depth: null, colors: false, breakLength: 100 })
}

/** A pod failure is one line for the user (exit 2): what the code threw, and where in the pod. */
export function podFailure(error: unknown): { message: string } | undefined {
  if (error instanceof PodError) {
    // Where in the pod's code it happened: the first frame's location.
    const frame = error.podStack.split('\n').find((line) => /^\s+at /.test(line))
    const where = frame?.match(/\(([^()]+)\)\s*$/)?.[1] ?? frame?.trim().replace(/^at /, '')
    return { message: `${error.remoteName}: ${error.message.split('\n')[0]}${where ? ` (at ${where})` : ''}` }
  }
  const known = [PodUsageError, PodInstallError, PodValueError, PodTimeoutError, PodExitError]
  if (known.some((kind) => error instanceof kind)) return { message: (error as Error).message }
  return undefined
}

export default class PodEval extends Command {
  static override summary = 'Evaluate JavaScript in a sandboxed pod and print the value'
  static override description =
    'The value of the last statement is printed (a promise is awaited). Code reaches its dependencies with require() or import().'
  static override args = {
    code: Args.string({ description: 'The code; - reads it from stdin', required: true }),
  }
  static override flags = podRunFlags
  static override examples = [
    `<%= config.bin %> pod eval '1 + 2'`,
    `<%= config.bin %> pod eval --dep yaml@2 "require('yaml').parse('a: 1')" --json`,
  ]

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PodEval)
    const code = args.code === '-' ? await readStdin() : args.code
    let pod: Pod | undefined
    let value: unknown
    let failed: { error: unknown } | undefined
    try {
      pod = await podFor(flags)
      value = await pod.eval(code)
    } catch (error) {
      failed = { error }
    } finally {
      if (pod) {
        // Destroyed first: then all the pod printed has arrived.
        await destroyPod(pod)
        showPodOutput(pod, failed?.error)
      }
    }
    if (failed) {
      const failure = podFailure(failed.error)
      if (failure) this.error(failure.message, { exit: 2 })
      throw failed.error
    }
    this.log(renderValue(value, flags.json))
  }
}

async function readStdin(): Promise<string> {
  let text = ''
  for await (const chunk of process.stdin) text += chunk
  return text
}
