import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { UsageError } from '../errors.js'

/** Nix's own profiles folder, hail's default. */
export const DEFAULT_PROFILES_DIR = '/nix/var/nix/profiles'

/** Where a watcher keeps its files for one profile. */
export interface HailPaths {
  profile: string
  profilesDir: string
  /** The profile symlink: profilesDir/profile. */
  profilePath: string
  stateDir: string
}

/** Profile names as Nix allows them, with subfolders (hail's bootstrap used `hail-profiles/NAME`). */
export function checkProfileName(profile: string): void {
  const ok =
    /^[A-Za-z0-9+_.-]+(\/[A-Za-z0-9+_.-]+)*$/.test(profile) &&
    !profile.split('/').some((part) => part === '.' || part === '..')
  if (!ok)
    throw new UsageError(`--profile "${profile}": expected a profile name like "web" or "hail-profiles/web"`)
}

/** Where root's watchers (the systemd units) keep their state. */
export const SYSTEM_STATE_ROOT = '/var/lib/forklift/hail'

/** The default state folder: /var/lib for root, the XDG state folder otherwise. */
export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return SYSTEM_STATE_ROOT
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'forklift', 'hail')
}

/**
 * For commands that only read a watcher's state: without --state-dir, a user's own folder when a
 * watcher of theirs has written there, else the system one, so a monitor need not run as root.
 */
export function readableStatePaths(
  paths: HailPaths,
  explicit: boolean,
  systemRoot = SYSTEM_STATE_ROOT,
): HailPaths {
  if (explicit || existsSync(join(paths.stateDir, 'status.json'))) return paths
  const system = join(systemRoot, paths.profile)
  return existsSync(join(system, 'status.json')) ? { ...paths, stateDir: system } : paths
}

/** Resolve the profile path and state folder from the flags every hail command shares. */
export function resolvePaths(options: {
  profile: string
  profilesDir?: string
  stateDir?: string
}): HailPaths {
  checkProfileName(options.profile)
  const profilesDir = resolve(options.profilesDir ?? DEFAULT_PROFILES_DIR)
  const stateDir = options.stateDir ? resolve(options.stateDir) : join(defaultStateRoot(), options.profile)
  if (options.stateDir !== undefined && !isAbsolute(stateDir))
    throw new UsageError('--state-dir must be a path')
  return { profile: options.profile, profilesDir, profilePath: join(profilesDir, options.profile), stateDir }
}
