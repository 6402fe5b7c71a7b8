import assert from 'node:assert/strict'
import { forkliftBin } from './paths.js'
import { type ProcessResult, runProcess } from './process.js'

export type CliResult = ProcessResult

/** The error object a command printed under --json; stdout must be exactly that one object. */
export interface JsonError {
  message: string
  code: string
  exitCode: number
  hint?: string
}

/** Check that stdout is one `{"error": {message, code, exitCode[, hint]}}` object with the exit status; return it. */
export function jsonError(result: CliResult): JsonError {
  const parsed = JSON.parse(result.stdout) as { error: JsonError }
  assert.deepEqual(Object.keys(parsed), ['error'], result.stdout)
  const keys = Object.keys(parsed.error)
  assert.deepEqual(keys.slice(0, 3), ['message', 'code', 'exitCode'], result.stdout)
  assert.ok(keys.length === 3 || (keys.length === 4 && keys[3] === 'hint'), result.stdout)
  assert.equal(parsed.error.exitCode, result.code, result.stdout)
  return parsed.error
}

/** Run `forklift ARGS` as a user would (non-TTY, so plain output), returning its exit code and output. */
export function runCli(
  args: string[],
  options: {
    cwd?: string
    env?: NodeJS.ProcessEnv
    input?: string
    onSpawn?: (pid: number) => void
    onStdout?: (chunk: string) => void
    onStderr?: (chunk: string) => void
  } = {},
): Promise<CliResult> {
  return runProcess(process.execPath, [forkliftBin, ...args], {
    ...options,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  })
}
