import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import Mustache from 'mustache'
import type { WatcherFlags } from './config.js'
import { parseDuration } from './duration.js'

/** What a watcher's systemd unit says. */
export interface UnitSpec {
  /** Unit name without `.service`. */
  name: string
  profile: string
  description: string
  /** The watcher's command line: forklift's own command, then `hail` and its flags. */
  argv: string[]
  stopTimeoutSec: number
  user?: string
  manager?: boolean
}

/** Defaults the flags have; only values that differ are written into the unit. */
const DEFAULTS: Partial<Record<keyof WatcherFlags, string>> = {
  source: 'hydra',
  'poll-period': '5',
  'health-check-timeout': '2m',
  'activate-timeout': '5m',
  'http-timeout': '30s',
  'fetch-timeout': '30m',
  'max-backoff': '1h',
}

/** The flag order in a unit's ExecStart (also the crate's, so their units are the same). */
const ORDER: (keyof WatcherFlags)[] = [
  'profile',
  'source',
  'job-uri',
  'url',
  'profiles-dir',
  'state-dir',
  'netrc-file',
  'poll-period',
  'require-eval-success',
  'dry-run',
  'health-check',
  'health-check-timeout',
  'activate-timeout',
  'on-change',
  'on-failure',
  'nix-option',
  'allow-self-signed',
  'http-timeout',
  'fetch-timeout',
  'max-backoff',
]

/** The `hail` arguments that reproduce these flags (defaults left out). */
export function watcherArgs(flags: Partial<WatcherFlags> & { json?: boolean }): string[] {
  const args = ['hail']
  for (const key of ORDER) {
    const value = flags[key]
    if (value === undefined || value === false || value === DEFAULTS[key]) continue
    if (value === true) args.push(`--${key}`)
    else if (Array.isArray(value)) for (const item of value) args.push(`--${key}`, item)
    else args.push(`--${key}`, String(value))
  }
  if (flags.json) args.push('--json')
  return args
}

/** Quote one argument for a systemd ExecStart line (systemd expands `%` and `$` itself). */
export function systemdQuote(arg: string): string {
  const escaped = arg.replaceAll('%', '%%').replaceAll('$', '$$$$')
  if (escaped !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped
  return `"${escaped.replace(/[\\"]/g, '\\$&').replaceAll('\n', '\\n')}"`
}

/** The default unit name of a profile's watcher. */
export function unitName(profile: string, manager = false): string {
  return manager ? 'forklift-hail-manager' : `forklift-hail-${profile.replaceAll('/', '-')}`
}

/** Seconds systemd waits on stop: the watcher may be finishing an activation and health check. */
export function stopTimeoutSec(
  flags: Pick<WatcherFlags, 'activate-timeout' | 'health-check-timeout'>,
): number {
  const ms =
    parseDuration(flags['activate-timeout'], '--activate-timeout', 's') +
    parseDuration(flags['health-check-timeout'], '--health-check-timeout', 's')
  return Math.ceil(ms / 1000) + 30
}

/** Render a unit from templates/hail/forklift-hail.service. */
export function renderUnit(template: string, spec: UnitSpec): string {
  return Mustache.render(template, {
    comment: spec.manager
      ? `the hail manager for profile ${spec.profile} (its builds carry other watchers' units)`
      : `the hail watcher for profile ${spec.profile}`,
    description: spec.description,
    execStart: spec.argv.map(systemdQuote).join(' '),
    name: `${spec.name}.service`,
    stopTimeoutSec: spec.stopTimeoutSec,
    user: spec.user,
  })
}

/** Read a template shipped in templates/hail. */
export function readHailTemplate(
  templatesDir: string,
  name: 'forklift-hail.service' | 'manager-activate.sh',
): Promise<string> {
  return readFile(join(templatesDir, 'hail', name), 'utf8')
}
