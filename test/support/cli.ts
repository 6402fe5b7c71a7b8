import { forkliftBin } from './paths.js'
import { type ProcessResult, runProcess } from './process.js'

export type CliResult = ProcessResult

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
