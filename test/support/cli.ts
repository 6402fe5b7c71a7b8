import { spawn } from 'node:child_process'
import { forkliftBin } from './paths.js'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Run `forklift ARGS` as a user would (non-TTY, so plain output), returning its exit code and output. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; onSpawn?: (pid: number) => void } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [forkliftBin, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c
    })
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    if (child.pid) options.onSpawn?.(child.pid)
    child.stdin.end(options.input ?? '')
  })
}
