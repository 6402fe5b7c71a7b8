import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { UsageError } from '../errors.js'
import { parseDuration } from './duration.js'
import { normalizeJobUri } from './hydra.js'
import { type HailPaths, resolvePaths } from './paths.js'

/** Where builds come from. */
export type SourceConfig =
  | { kind: 'hydra'; jobUri: string; requireEvalSuccess: boolean }
  | { kind: 'manifest'; url: string }

/** Everything a watcher needs, validated. */
export interface WatcherConfig {
  paths: HailPaths
  source: SourceConfig
  netrcFile?: string
  allowSelfSigned: boolean
  httpTimeoutMs: number
  fetchTimeoutMs: number
  pollPeriodMs: number
  maxBackoffMs: number
  oneshot: boolean
  dryRun: boolean
  activateTimeoutMs: number
  healthCheck?: string
  healthCheckTimeoutMs: number
  onChange?: string
  onFailure?: string
  hookTimeoutMs: number
  /** `--nix-option NAME=VALUE`, in order. */
  nixOptions: [string, string][]
  /** Environment for nix, activate, checks and hooks (default: this process's). */
  env?: NodeJS.ProcessEnv
}

/** The watcher's flags as the command parsed them (strings as typed). */
export interface WatcherFlags {
  profile: string
  'job-uri'?: string
  source: string
  url?: string
  'netrc-file'?: string
  'poll-period': string
  oneshot: boolean
  'profiles-dir'?: string
  'state-dir'?: string
  'require-eval-success': boolean
  'health-check'?: string
  'health-check-timeout': string
  'activate-timeout': string
  'on-change'?: string
  'on-failure'?: string
  'dry-run': boolean
  'nix-option'?: string[]
  'allow-self-signed': boolean
  'http-timeout': string
  'fetch-timeout': string
  'max-backoff': string
}

/** hail's default netrc, used only when it exists. */
export const DEFAULT_NETRC = '/etc/netrc'

/** Parse `NAME=VALUE` nix options. */
export function parseNixOptions(values: string[]): [string, string][] {
  return values.map((value) => {
    const match = /^([A-Za-z0-9_-]+)=(.*)$/s.exec(value)
    if (!match)
      throw new UsageError(
        `--nix-option "${value}": expected NAME=VALUE, e.g. substituters=https://cache.example.org`,
      )
    return [match[1]!, match[2]!]
  })
}

/** Validate the watcher's flags into a config; every mistake is one line naming the flag. */
export function watcherConfig(flags: WatcherFlags, netrcDefault = DEFAULT_NETRC): WatcherConfig {
  const paths = resolvePaths({
    profile: flags.profile,
    ...(flags['profiles-dir'] !== undefined ? { profilesDir: flags['profiles-dir'] } : {}),
    ...(flags['state-dir'] !== undefined ? { stateDir: flags['state-dir'] } : {}),
  })
  let source: SourceConfig
  if (flags.source === 'hydra') {
    if (!flags['job-uri']) throw new UsageError('--job-uri is required (or use --source manifest --url URL)')
    if (flags.url) throw new UsageError('--url belongs to --source manifest; Hydra is read from --job-uri')
    source = {
      kind: 'hydra',
      jobUri: normalizeJobUri(flags['job-uri']),
      requireEvalSuccess: flags['require-eval-success'],
    }
  } else if (flags.source === 'manifest') {
    if (!flags.url) throw new UsageError('--source manifest needs --url URL (the JSON manifest)')
    if (flags['job-uri'])
      throw new UsageError('--job-uri belongs to --source hydra; a manifest is read from --url')
    if (flags['require-eval-success']) throw new UsageError('--require-eval-success needs --source hydra')
    if (flags['nix-option']?.length)
      throw new UsageError('--nix-option needs --source hydra (manifest mode uses no Nix)')
    let url: URL
    try {
      url = new URL(flags.url)
    } catch {
      throw new UsageError(`--url "${flags.url}": not a URL`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UsageError(`--url "${flags.url}": expected http or https`)
    source = { kind: 'manifest', url: url.toString() }
  } else {
    throw new UsageError(`--source "${flags.source}": expected hydra or manifest`)
  }
  const netrcFile = flags['netrc-file'] ?? (existsSync(netrcDefault) ? netrcDefault : undefined)
  const pollPeriodMs = parseDuration(flags['poll-period'], '--poll-period', 'm')
  const config: WatcherConfig = {
    paths,
    source,
    allowSelfSigned: flags['allow-self-signed'],
    httpTimeoutMs: parseDuration(flags['http-timeout'], '--http-timeout', 's'),
    fetchTimeoutMs: parseDuration(flags['fetch-timeout'], '--fetch-timeout', 's'),
    pollPeriodMs,
    maxBackoffMs: Math.max(pollPeriodMs, parseDuration(flags['max-backoff'], '--max-backoff', 'm')),
    oneshot: flags.oneshot,
    dryRun: flags['dry-run'],
    activateTimeoutMs: parseDuration(flags['activate-timeout'], '--activate-timeout', 's'),
    healthCheckTimeoutMs: parseDuration(flags['health-check-timeout'], '--health-check-timeout', 's'),
    hookTimeoutMs: 60_000,
    nixOptions: parseNixOptions(flags['nix-option'] ?? []),
  }
  if (netrcFile) config.netrcFile = netrcFile
  if (flags['health-check']) config.healthCheck = flags['health-check']
  if (flags['on-change']) config.onChange = flags['on-change']
  if (flags['on-failure']) config.onFailure = flags['on-failure']
  return config
}

/** Where the manifest backend unpacks builds. */
export function storeDirOf(paths: HailPaths): string {
  return join(paths.profilesDir, '.forklift-store')
}
