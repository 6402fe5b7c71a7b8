import type { HailStage } from './errors.js'

export type HailLevel = 'debug' | 'info' | 'warn' | 'error'

/** One log record of a watcher: the command prints it as a plain line or one JSON object. */
export interface HailLog {
  time: string
  level: HailLevel
  /** What happened: start, poll, new-build, realise, download, switch, activate, output, health-check, deployed, rollback, failed, error, hook, stop … */
  event: string
  msg: string
  profile: string
  build?: string
  path?: string
  generation?: number
  stage?: HailStage
  error?: string
  durationMs?: number
  [field: string]: unknown
}

export type HailLogger = (record: HailLog) => void

/** A plain one-line form of a record, for terminals and the journal. */
export function formatLogLine(record: HailLog): string {
  const level = record.level === 'info' ? '' : `${record.level.toUpperCase()} `
  return `${record.time} ${level}${record.msg}`
}
