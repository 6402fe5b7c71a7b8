import { join } from 'node:path'
import { HailError, type HailStage } from './errors.js'
import { describeExit, type ProcessResult, runProcess, succeeded } from './process.js'

/** What activate, health checks and hooks learn from their environment. */
export interface HailEnv {
  HAIL_PROFILE: string
  HAIL_GENERATION?: string
  HAIL_BUILD_ID?: string
  HAIL_PATH?: string
  HAIL_EVENT?: 'change' | 'failure'
  HAIL_STAGE?: HailStage
  HAIL_ERROR?: string
  HAIL_PREVIOUS_BUILD_ID?: string
}

export type OutputLine = (line: string, stream: 'stdout' | 'stderr') => void

function childEnv(base: NodeJS.ProcessEnv, extra: HailEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value
  return env
}

/** Run PROFILE/bin/activate (through the profile link, as hail did); throws a HailError when it fails. */
export async function activate(
  profilePath: string,
  env: HailEnv,
  options: { timeoutMs: number; baseEnv?: NodeJS.ProcessEnv; onLine?: OutputLine },
): Promise<ProcessResult> {
  const script = join(profilePath, 'bin', 'activate')
  const result = await runProcess(script, [], {
    timeoutMs: options.timeoutMs,
    env: childEnv(options.baseEnv ?? process.env, env),
    ...(options.onLine ? { onLine: options.onLine } : {}),
  })
  if (!succeeded(result)) throw new HailError('activate', describeExit(script, result, options.timeoutMs))
  return result
}

/** Run a shell command (health check or hook) with the hail environment. */
export function runShell(
  command: string,
  env: HailEnv,
  options: { timeoutMs: number; baseEnv?: NodeJS.ProcessEnv; onLine?: OutputLine },
): Promise<ProcessResult> {
  return runProcess('/bin/sh', ['-c', command], {
    timeoutMs: options.timeoutMs,
    env: childEnv(options.baseEnv ?? process.env, env),
    ...(options.onLine ? { onLine: options.onLine } : {}),
  })
}

/** Run the health check; a non-zero exit (or a timeout) is a failed activation. */
export async function healthCheck(
  command: string,
  env: HailEnv,
  options: { timeoutMs: number; baseEnv?: NodeJS.ProcessEnv; onLine?: OutputLine },
): Promise<ProcessResult> {
  const result = await runShell(command, env, options)
  if (!succeeded(result))
    throw new HailError('health-check', describeExit(`health check "${command}"`, result, options.timeoutMs))
  return result
}
