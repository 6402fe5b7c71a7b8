import { type ChildProcess, spawn } from 'node:child_process'
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
  /**
   * Ends the command: SIGINT to its process group (Vagrant's graceful stop), SIGKILL to the group if it
   * has not ended after `graceMs`.
   */
  signal?: AbortSignal
  /** Ended the same way when it runs longer than this. */
  timeoutMs?: number
  /** How long Vagrant may clean up after SIGINT before its process group is killed. Default 60 s. */
  graceMs?: number
  /** Called for each machine-readable record as it arrives. */
  onRecord?: (record: MachineRecord) => void
}

const DEFAULT_GRACE_MS = 60_000

/**
 * Variables that would point Vagrant away from the machine folder: its data (`.vagrant`) or its
 * Vagrantfile. Forklift's calls never inherit them.
 */
const FOLDER_OVERRIDES = ['VAGRANT_DOTFILE_PATH', 'VAGRANT_VAGRANTFILE']

/** Process groups of the vagrant commands running now: killed if Forklift exits before they end. */
const running = new Set<number>()
process.on('exit', () => {
  for (const group of running) killGroup(group, 'SIGKILL')
})

function killGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal)
  } catch {
    // ESRCH: the group has ended.
  }
}

/** The environment of a vagrant command: Forklift's, less the folder overrides, plus what every call sets. */
export function vagrantEnvironment(cwd: string, defaultProvider?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of FOLDER_OVERRIDES) delete env[name]
  return {
    ...env,
    VAGRANT_CWD: cwd,
    // Never phone home for version or box update checks.
    VAGRANT_CHECKPOINT_DISABLE: '1',
    VAGRANT_BOX_UPDATE_CHECK_DISABLE: '1',
    ...(defaultProvider ? { VAGRANT_DEFAULT_PROVIDER: defaultProvider } : {}),
  }
}

/**
 * Run `vagrant ARGS --machine-readable` in a machine folder, in a process group of its own: the
 * terminal's Ctrl-C (meant for Forklift) does not reach it, and stopping it reaches every process of
 * it (HashiCorp's packaged `vagrant` is a launcher that ignores SIGINT and runs Ruby as its child).
 * Resolves with the exit status and output whatever the status (callers decide what a failure means);
 * rejects only when vagrant cannot be started, was stopped by the signal or the timeout, and always
 * after the process has ended.
 */
export function runVagrant(args: string[], options: VagrantRunOptions): Promise<VagrantResult> {
  const what = `vagrant ${args
    .filter((a) => !a.startsWith('-'))
    .slice(0, 2)
    .join(' ')}`
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ProviderError(`${what} was not started: interrupted`))
      return
    }
    const child: ChildProcess = spawn(options.executable, [...args, '--machine-readable'], {
      cwd: options.cwd,
      env: vagrantEnvironment(options.cwd, options.defaultProvider),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const group = child.pid
    if (group !== undefined) running.add(group)
    let stdout = ''
    let stderr = ''
    let pending = ''
    let stoppedBy: 'interrupt' | 'timeout' | undefined
    let stoppedAt = 0
    let killed = false
    let killTimer: NodeJS.Timeout | undefined
    const graceMs = options.graceMs ?? DEFAULT_GRACE_MS
    const stop = (why: 'interrupt' | 'timeout') => {
      if (stoppedBy || group === undefined) return
      stoppedBy = why
      stoppedAt = Date.now()
      killGroup(group, 'SIGINT')
      killTimer = setTimeout(() => {
        killed = true
        killGroup(group, 'SIGKILL')
      }, graceMs)
    }
    const onAbort = () => stop('interrupt')
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const timeout =
      options.timeoutMs !== undefined ? setTimeout(() => stop('timeout'), options.timeoutMs) : undefined

    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      if (!options.onRecord) return
      pending += chunk
      const end = pending.lastIndexOf('\n')
      if (end < 0) return
      for (const record of parseMachineReadable(pending.slice(0, end))) options.onRecord(record)
      pending = pending.slice(end + 1)
    })
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    const done = () => {
      options.signal?.removeEventListener('abort', onAbort)
      clearTimeout(killTimer)
      clearTimeout(timeout)
      if (group !== undefined) running.delete(group)
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      done()
      const missing =
        error.code === 'ENOENT'
          ? `not found${options.executable.includes('/') ? '' : ' on PATH'} (install Vagrant, or set the provider setting \`vagrant\` to its path)`
          : undefined
      reject(new ProviderError(`cannot run ${options.executable}: ${missing ?? error.code ?? error.message}`))
    })
    child.on('close', (code, signal) => {
      done()
      // Nothing of a stopped command outlives it (a child Ruby left by a launcher, say).
      if (group !== undefined && (stoppedBy || signal)) killGroup(group, 'SIGKILL')
      if (options.onRecord && pending)
        for (const record of parseMachineReadable(pending)) options.onRecord(record)
      if (stoppedBy) {
        const cause =
          stoppedBy === 'timeout' ? `did not finish within ${options.timeoutMs! / 1000} s` : 'was interrupted'
        const end = killed
          ? `killed after ${graceMs / 1000} s without stopping`
          : `it stopped within ${Math.max(1, Math.ceil((Date.now() - stoppedAt) / 1000))} s`
        reject(new ProviderError(`${what} ${cause} (${end})`))
        return
      }
      resolve({ code, signal, stdout, stderr, records: parseMachineReadable(stdout) })
    })
  })
}
