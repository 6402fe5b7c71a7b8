import { spawn } from 'node:child_process'
import { ProviderError } from './errors.js'
import { type MachineRecord, parseMachineReadable } from './machine-readable.js'

/** How one `vagrant` command ended. */
export interface VagrantResult {
  /** Exit status, or null when the process ended by a signal. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** The machine-readable records of stdout. */
  records: MachineRecord[]
}

export interface VagrantRunOptions {
  /** The vagrant executable. */
  executable: string
  /** The machine folder (its Vagrantfile and `.vagrant` data). */
  cwd: string
  /** Provider used for machines that do not exist yet (status, up). */
  defaultProvider?: string
  /** Ends the command: SIGINT first (Vagrant cleans up), SIGKILL if it has not ended after a grace. */
  signal?: AbortSignal
  /** Called for each machine-readable record as it arrives. */
  onRecord?: (record: MachineRecord) => void
}

/** How long Vagrant may clean up after SIGINT before it is killed. */
const ABORT_GRACE_MS = 60_000

/**
 * Run `vagrant ARGS --machine-readable` in a machine folder. Resolves with the exit status and
 * output whatever the status (callers decide what a failure means); rejects only when vagrant
 * cannot be started or the signal aborted it, and always after the process has ended.
 */
export function runVagrant(args: string[], options: VagrantRunOptions): Promise<VagrantResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ProviderError(`vagrant ${args[0]} was not started: interrupted`))
      return
    }
    const child = spawn(options.executable, [...args, '--machine-readable'], {
      cwd: options.cwd,
      env: {
        ...process.env,
        VAGRANT_CWD: options.cwd,
        // Never phone home for version or box update checks.
        VAGRANT_CHECKPOINT_DISABLE: '1',
        VAGRANT_BOX_UPDATE_CHECK_DISABLE: '1',
        ...(options.defaultProvider ? { VAGRANT_DEFAULT_PROVIDER: options.defaultProvider } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let pending = ''
    let killTimer: NodeJS.Timeout | undefined
    const onAbort = () => {
      child.kill('SIGINT')
      killTimer = setTimeout(() => child.kill('SIGKILL'), ABORT_GRACE_MS)
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })

    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      if (!options.onRecord) return
      pending += chunk
      const end = pending.lastIndexOf('\n')
      if (end < 0) return
      for (const record of parseMachineReadable(pending.slice(0, end))) options.onRecord(record)
      pending = pending.slice(end + 1)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.on('error', (error: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', onAbort)
      reject(new ProviderError(`cannot run ${options.executable}: ${error.code ?? error.message}`))
    })
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort)
      clearTimeout(killTimer)
      if (options.onRecord && pending)
        for (const record of parseMachineReadable(pending)) options.onRecord(record)
      if (options.signal?.aborted) {
        reject(new ProviderError(`vagrant ${args[0]} was interrupted`))
        return
      }
      resolve({ code, signal, stdout, stderr, records: parseMachineReadable(stdout) })
    })
  })
}
