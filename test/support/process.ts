import { spawn } from 'node:child_process'

export interface ProcessResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface ProcessOptions {
  cwd?: string
  /** The whole environment of the process (not merged with this one's). */
  env?: NodeJS.ProcessEnv
  /** Written to its stdin, which is then closed (closed at once without it). */
  input?: string | Uint8Array
  onSpawn?: (pid: number) => void
  /** Called with stdout as it arrives. */
  onStdout?: (chunk: string) => void
  /** Called with stderr as it arrives. */
  onStderr?: (chunk: string) => void
}

/** Run a program to its end, collecting its exit code, stdout and stderr as text. */
export function runProcess(
  command: string,
  args: string[],
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c
      options.onStdout?.(c)
    })
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c
      options.onStderr?.(c)
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    if (child.pid) options.onSpawn?.(child.pid)
    // A program that exits without reading its input must not fail the run.
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}
