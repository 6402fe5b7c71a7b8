import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { collector, sudoRefusal } from './output.js'
import { ABORT_GRACE_MS, type Connection, type ExecResult, type RunOptions, TransportError } from './types.js'

export interface LocalTarget {
  /** Node name for messages; default `local`. */
  name?: string
  /** Working folder of the scripts, also given to them as FORKLIFT_ROOT. */
  root?: string
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal)
  } catch {
    // Already gone.
  }
}

// Scratch folders of open connections, removed however the process ends (a script killed before its
// own trap ran leaves its temp folder, which may hold an exec script and its secrets, in there); and
// scripts still running then, which live in process groups of their own, so nothing would end them.
const scratches = new Set<string>()
const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of live) signalGroup(child, 'SIGKILL')
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true })
})

/** A connection to this machine: each script runs in `/bin/sh -s`, through `sudo -n` when asked and not root. */
export async function connectLocal(target: LocalTarget = {}): Promise<Connection> {
  const label = `${target.name ?? 'local'} (local)`
  const isRoot = process.getuid?.() === 0
  const running = new Set<ChildProcess>()
  let channels = 0
  let closed = false
  // The phase scripts make their private temp folder here (FORKLIFT_TMPDIR; not through sudo, which
  // resets the environment, so those fall back to TMPDIR and their own trap).
  const scratch = mkdtempSync(join(tmpdir(), 'forklift-local-'))
  scratches.add(scratch)

  const run = (script: string, options: RunOptions = {}): Promise<ExecResult> => {
    if (closed) return Promise.reject(new TransportError(`${label}: connection is closed`, 'dropped'))
    if (options.signal?.aborted) return Promise.reject(new TransportError(`${label}: aborted`, 'aborted'))
    const sudo = Boolean(options.sudo) && !isRoot
    channels++
    return new Promise((resolve, reject) => {
      const [command, args] = sudo ? ['sudo', ['-n', '/bin/sh', '-s']] : ['/bin/sh', ['-s']]
      // Its own process group, so an abort ends the script's children too, not just the shell.
      const child = spawn(command as string, args as string[], {
        ...(target.root !== undefined ? { cwd: target.root } : {}),
        env: {
          ...process.env,
          FORKLIFT_TMPDIR: scratch,
          ...(target.root !== undefined ? { FORKLIFT_ROOT: target.root } : {}),
        },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      })
      running.add(child)
      live.add(child)
      let aborted = false
      let killer: NodeJS.Timeout | undefined
      // An abort asks first (SIGTERM: the script's trap removes its temp folder), then kills what is left.
      const onAbort = () => {
        aborted = true
        signalGroup(child, 'SIGTERM')
        killer = setTimeout(() => signalGroup(child, 'SIGKILL'), ABORT_GRACE_MS)
      }
      child.on('exit', () => {
        if (!aborted) return
        clearTimeout(killer)
        // The shell is gone; whatever it started and did not end goes too.
        signalGroup(child, 'SIGKILL')
      })
      options.signal?.addEventListener('abort', onAbort, { once: true })
      const stdout = collector(options.onStdout)
      const stderr = collector()
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
      // A script that does not read all of stdin closes the pipe early; that is not an error.
      child.stdin.on('error', () => {})
      child.on('error', (error: NodeJS.ErrnoException) => {
        running.delete(child)
        live.delete(child)
        options.signal?.removeEventListener('abort', onAbort)
        reject(new TransportError(`${label}: cannot start ${command}: ${error.message}`, 'other'))
      })
      child.on('close', (code, signal) => {
        running.delete(child)
        live.delete(child)
        options.signal?.removeEventListener('abort', onAbort)
        if (aborted) return reject(new TransportError(`${label}: aborted`, 'aborted'))
        if (closed) {
          const output = { stdout: stdout.text(), stderr: stderr.text() }
          return reject(
            new TransportError(`${label}: connection closed while running a script`, 'dropped', output),
          )
        }
        const result: ExecResult = { stdout: stdout.text(), stderr: stderr.text(), code }
        if (signal) result.signal = signal
        const refusal = sudo ? sudoRefusal(result, label, process.env.USER ?? 'this user') : undefined
        if (refusal) return reject(refusal)
        resolve(result)
      })
      child.stdin.end(script)
    })
  }

  return {
    run,
    get channels() {
      return channels
    },
    async close() {
      closed = true
      for (const child of running) signalGroup(child, 'SIGKILL')
      await rm(scratch, { recursive: true, force: true })
      scratches.delete(scratch)
    },
  }
}
