import { type ChildProcess, spawn } from 'node:child_process'
import type { Socket } from 'node:net'
import { constants } from 'node:os'
import { errorMessage } from '../errors.js'
import { CHANNEL_FD, encodeFrame, FrameReader } from './channel.js'
import {
  PodError,
  PodExitError,
  PodTimeoutError,
  PodUsageError,
  PodValueError,
  type RemoteErrorData,
} from './errors.js'
import { checkMessage, replyProblem } from './messages.js'
import { endWithForklift } from './orphans.js'
import type { HostConfig, HostRequest } from './protocol.js'
import { SECCOMP_FD } from './sandbox.js'

/** How a pod's process is started and held to its limits. */
export interface RuntimeSpec {
  /** The command that runs node for the pod (the parent-death signal's), or none to run node itself. */
  prefix: string[]
  /** Node flags (sandbox, heap) before the host program. */
  nodeArgs: string[]
  host: string
  config: HostConfig
  cwd: string
  env: Record<string, string>
  timeoutMs: number
  heapMb: number
  /** The largest reply Forklift reads from the pod, in bytes; a larger one ends the pod. */
  replyBytes: number
  /** A seccomp program the prefix (bubblewrap) reads on descriptor 4. */
  seccomp?: Buffer
  /** The prefix reports node's death by signal N as exit status 128 + N (bubblewrap does). */
  signalAsStatus?: boolean
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void
}

/** One running pod process. */
export interface Runtime {
  readonly pid: number
  readonly exited: boolean
  /** Run one call; calls wait their turn, one runs at a time, timed from when it is sent. */
  request(request: HostRequest, label: string): Promise<unknown>
  /** Kill the process and wait until it is gone. */
  stop(): Promise<void>
  /** Called once, when the process ends for any reason but stop(). */
  onExit(listener: (error: PodExitError) => void): void
}

const LOG_LIMIT = 64 * 1024

/** The last bytes a pod wrote to stdout and stderr. */
export class PodLogs {
  stdout = ''
  stderr = ''
  add(stream: 'stdout' | 'stderr', text: string): void {
    const next = this[stream] + text
    this[stream] = next.length > LOG_LIMIT ? next.slice(next.length - LOG_LIMIT) : next
  }
}

const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .pop()
    ?.trim()

/** Errors the host raises for the boundary's own rules come back as Forklift's; the rest as PodError. */
function remoteError(data: RemoteErrorData): Error {
  if (data.name === 'PodValueError') return new PodValueError(data.message)
  if (data.name === 'PodUsageError') return new PodUsageError(data.message)
  return new PodError(data)
}

/** The process ended before this call was sent to it: the call is safe to make again elsewhere. */
export class PodNotStartedError extends PodExitError {}

interface Call {
  id: number
  request: HostRequest
  label: string
  resolve(value: unknown): void
  reject(error: Error): void
  timer?: NodeJS.Timeout
}

/** Start a pod process and wait until its host says it is ready. */
export function startRuntime(spec: RuntimeSpec, logs: PodLogs): Promise<Runtime> {
  const [command, ...args] = [...spec.prefix, process.execPath, ...spec.nodeArgs, spec.host]
  const child: ChildProcess = spawn(command!, [...args, JSON.stringify(spec.config)], {
    cwd: spec.cwd,
    env: spec.env,
    // A process group of its own: a terminal's Ctrl-C reaches Forklift, which decides what it ends.
    detached: true,
    // Descriptor 3 is the channel (a socket pair, see channel.ts), never Node's own IPC.
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', ...(spec.seccomp ? (['pipe'] as const) : [])],
  })
  endWithForklift(child)
  const channel = child.stdio[CHANNEL_FD] as Socket
  if (spec.seccomp) {
    const filter = child.stdio[SECCOMP_FD] as Socket
    filter.on('error', () => {})
    filter.end(spec.seccomp)
  }
  // One call runs at a time, so its time limit counts its own running time, not that of calls before it.
  const waiting: Call[] = []
  let running: Call | undefined
  const exitListeners: ((error: PodExitError) => void)[] = []
  let nextId = 1
  let dead = false
  let stopping = false
  let startupOutput = ''
  // This process's own stderr tail: the pod's log spans its earlier processes too.
  let stderrTail = ''
  let ready = false
  // Gone once its output has all arrived too.
  const gone = new Promise<void>((resolve) => child.once('close', () => resolve()))

  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]?.setEncoding('utf8').on('data', (text: string) => {
      logs.add(stream, text)
      if (!ready) startupOutput = (startupOutput + text).slice(-8192)
      if (stream === 'stderr') stderrTail = (stderrTail + text).slice(-8192)
      spec.onOutput?.(stream, text)
    })
  }

  function exitError(code: number | null, exitSignal: NodeJS.Signals | null): PodExitError {
    const signal =
      exitSignal ??
      (spec.signalAsStatus && code !== null && code > 128 ? signalName(code - 128) : undefined) ??
      null
    if (/heap out of memory|Reached heap limit|Allocation failed/i.test(stderrTail)) {
      return new PodExitError(
        `the pod ran out of memory: it reached its heap limit of ${spec.heapMb} MB and was stopped`,
        'heap',
      )
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`
    const said = lastLine(stderrTail)
    return new PodExitError(`the pod ${how}${said ? `: ${said}` : ''}`, 'crash')
  }

  /** The process is gone or going: fail what waits on it and tell the owner, once, at once. */
  function finish(error: PodExitError, notify: boolean, why = error.message): void {
    if (dead) return
    dead = true
    if (notify && ready) for (const listener of exitListeners) listener(error)
    if (running) {
      clearTimeout(running.timer)
      running.reject(error)
      running = undefined
    }
    for (const call of waiting.splice(0))
      call.reject(new PodNotStartedError(`${call.label} did not start: ${why}`, error.reason))
  }

  function timedOut(call: Call): void {
    if (running !== call) return
    running = undefined
    child.kill('SIGKILL')
    // Told before the caller hears of it, so whoever asks next already gets a replacement.
    const others = `the pod was stopped: another call (${call.label}) ran past the ${spec.timeoutMs} ms time limit`
    finish(new PodExitError(others, 'timeout'), true)
    call.reject(
      new PodTimeoutError(
        `${call.label} ran past the pod's ${spec.timeoutMs} ms time limit; the pod was stopped`,
        spec.timeoutMs,
      ),
    )
  }

  /** Send the next waiting call if none runs. */
  function dispatch(): void {
    while (!running && !dead) {
      const call = waiting.shift()
      if (!call) return
      let frame: Buffer
      try {
        frame = encodeFrame({ ...call.request, id: call.id })
      } catch (error) {
        // The structured clone refused what the data check let through.
        call.reject(new PodValueError(`cannot send ${call.label} to the pod: ${errorMessage(error)}`))
        continue
      }
      running = call
      call.timer = setTimeout(timedOut, spec.timeoutMs, call)
      channel.write(frame, (error) => {
        if (!error || running !== call) return
        // The channel is gone, so is the process: the call never reached it.
        running = undefined
        clearTimeout(call.timer)
        waiting.unshift(call)
        child.kill('SIGKILL')
        finish(new PodExitError(`the pod has stopped (${error.message})`, 'crash'), !stopping)
      })
    }
  }

  const runtime: Runtime = {
    get pid() {
      return child.pid ?? -1
    },
    get exited() {
      return dead
    },
    request(request, label) {
      if (dead)
        return Promise.reject(new PodNotStartedError(`${label} did not start: the pod has stopped`, 'crash'))
      return new Promise((resolve, reject) => {
        waiting.push({ id: nextId++, request, label, resolve, reject })
        dispatch()
      })
    },
    async stop() {
      if (!dead) {
        stopping = true
        child.kill('SIGKILL')
        const error = new PodExitError('the pod was destroyed while the call was running', 'destroyed')
        finish(error, false, 'the pod was destroyed')
      }
      await gone
    },
    onExit(listener) {
      exitListeners.push(listener)
    },
  }

  return new Promise<Runtime>((resolve, reject) => {
    // A host that never says it is ready (a hung start) is ended like a call past its limit.
    const startTimer = setTimeout(() => child.kill('SIGKILL'), Math.max(spec.timeoutMs, 15_000))

    /** The pod broke the protocol: it is ended as crashed, the running call fails with why. */
    function hostile(problem: string): void {
      if (dead) return
      child.kill('SIGKILL')
      const doing = running ? `answering ${running.label}` : 'unasked'
      const error = new PodExitError(`the pod sent ${problem} (${doing}); it was stopped`, 'crash')
      if (!ready) {
        clearTimeout(startTimer)
        dead = true
        reject(error)
        return
      }
      finish(error, !stopping)
    }

    const reader = new FrameReader(
      spec.replyBytes,
      (raw) => {
        let message: ReturnType<typeof checkMessage>
        try {
          message = checkMessage(raw)
        } catch (error) {
          message = `a message that cannot be checked (${errorMessage(error)})`
        }
        if (typeof message === 'string') return hostile(message)
        if (message.type === 'ready') {
          if (ready) return hostile('a second ready message')
          clearTimeout(startTimer)
          ready = true
          startupOutput = ''
          resolve(runtime)
          return
        }
        const call = running
        if (!ready || call?.id !== message.id) return hostile(`a reply to no call (id ${message.id})`)
        if (message.ok) {
          const problem = replyProblem(call.request, message.value)
          if (problem) return hostile(problem)
        }
        running = undefined
        clearTimeout(call.timer)
        dispatch()
        if (message.ok) call.resolve(message.value)
        else call.reject(remoteError(message.error))
      },
      (problem, size) =>
        hostile(
          size === undefined
            ? problem
            : `a reply of ${megabytes(size)}, over its limit of ${megabytes(spec.replyBytes)} (limits.replyMb)`,
        ),
    )
    channel.on('data', (chunk: Buffer) => reader.push(chunk))
    // The channel closes when the process exits; if it lives on, closing it was the pod's doing and
    // ends the pod. A moment's grace first, so that an exit is reported with its own code.
    let ending: NodeJS.Timeout | undefined
    const endIt = () => {
      ending ??= setTimeout(() => {
        if (!dead) child.kill('SIGKILL')
      }, 1000).unref()
    }
    child.once('close', () => clearTimeout(ending))
    channel.on('end', endIt)
    channel.on('error', endIt)
    child.on('error', (error) => {
      if (!ready) reject(new PodExitError(`cannot start the pod: ${error.message}`, 'crash'))
    })
    // 'close', not 'exit': by then all the process wrote to stderr has arrived (the heap message).
    child.on('close', (code, signal) => {
      clearTimeout(startTimer)
      if (!ready) {
        if (dead) return
        dead = true
        const said = startupOutput.trim()
        reject(
          new PodExitError(`the pod could not start (${code ?? signal})${said ? `: ${said}` : ''}`, 'crash'),
        )
        return
      }
      finish(exitError(code, signal), !stopping)
    })
  })
}

const signalName = (number: number) =>
  (Object.entries(constants.signals) as [NodeJS.Signals, number][]).find(([, n]) => n === number)?.[0]

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 0)} MB`
