import { createRedactor } from '../config/secrets.js'
import { type Clock, systemClock } from './clock.js'
import { storeDirOf, type WatcherConfig } from './config.js'
import { dirBackend } from './dir-profile.js'
import type { HttpOptions } from './http.js'
import { hydraSource } from './hydra.js'
import type { HailLevel, HailLog, HailLogger } from './log.js'
import { manifestSource } from './manifest.js'
import { loadNetrc, type NetrcEntry } from './netrc.js'
import { nixBackend } from './nix-profile.js'
import { openState } from './state.js'
import { createWatcher, type Watcher, type WatcherLog } from './watcher.js'
import { permitted } from './writable.js'

/** The labels of a hail log record: never redacted. */
const HAIL_LABELS = ['time', 'level', 'event', 'profile', 'stage', 'build', 'generation']

function hailRedactor(secrets: string[]) {
  return createRedactor(secrets, { labels: HAIL_LABELS })
}

/** The password of a URL with credentials, as given and decoded. */
function urlSecrets(url: string): string[] {
  try {
    const password = new URL(url).password
    return password ? [password, decodeURIComponent(password)] : []
  } catch {
    return []
  }
}

/** netrc passwords, and the Basic credentials made of them. */
function netrcSecrets(entries: NetrcEntry[]): string[] {
  return entries.flatMap((e) =>
    e.password ? [e.password, Buffer.from(`${e.login ?? ''}:${e.password}`).toString('base64')] : [],
  )
}

/**
 * Wire a watcher for one profile from its config: the state folder, netrc credentials, the source
 * and the backend that deploys that source's builds, and a log that redacts every credential.
 */
export async function openWatcher(
  config: WatcherConfig,
  logger: HailLogger,
  clock: Clock = systemClock,
): Promise<Watcher> {
  const { paths } = config
  const state = openState(paths.stateDir)
  const sourceUrl = config.source.kind === 'hydra' ? config.source.jobUri : config.source.url
  await permitted(paths.stateDir, () => state.ensure())
  const netrc = config.netrcFile ? await loadNetrc(config.netrcFile) : undefined
  // Every record goes out redacted: the source URL's password, and netrc's.
  const redact = hailRedactor([...urlSecrets(sourceUrl), ...netrcSecrets(netrc?.entries ?? [])])
  const log: WatcherLog = (level: HailLevel, event: string, msg: string, fields: Partial<HailLog> = {}) =>
    logger(redact({ time: clock.now().toISOString(), level, event, msg, profile: paths.profile, ...fields }))
  if (netrc?.warning) log('warn', 'warning', netrc.warning)
  const http: HttpOptions = {
    timeoutMs: config.httpTimeoutMs,
    allowSelfSigned: config.allowSelfSigned,
    ...(netrc ? { netrc: netrc.entries } : {}),
  }
  const fetchHttp = { ...http, timeoutMs: config.fetchTimeoutMs }
  const parts = { config, state, clock, log, env: config.env ?? process.env }
  if (config.source.kind === 'manifest') {
    return createWatcher({
      ...parts,
      source: manifestSource({ url: config.source.url, http }),
      backend: dirBackend({ profilePath: paths.profilePath, storeDir: storeDirOf(paths), http: fetchHttp }),
    })
  }
  return createWatcher({
    ...parts,
    source: hydraSource({
      jobUri: config.source.jobUri,
      requireEvalSuccess: config.source.requireEvalSuccess,
      http,
    }),
    backend: nixBackend({
      profilePath: paths.profilePath,
      rootsDir: state.files.gcroots,
      nixOptions: config.nixOptions,
      fetchTimeoutMs: config.fetchTimeoutMs,
      ...(config.env ? { env: config.env } : {}),
    }),
  })
}
