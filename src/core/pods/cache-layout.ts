import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'

/** Where installed dependency sets live: `$XDG_CACHE_HOME/forklift/pods` (default ~/.cache/forklift/pods). */
export function defaultPodCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache')
  return join(base, 'forklift', 'pods')
}

/** The cache's layout: one folder per installed set, named by its hash; bookkeeping in dot-folders. */
export function cacheLayout(root: string) {
  return {
    root,
    set: (hash: string) => join(root, hash),
    /** Maps a dependency list as written to the set it resolved to. */
    specIndex: (key: string) => join(root, '.specs', `${key}.json`),
    lock: (key: string) => join(root, '.locks', key),
    tmp: join(root, '.tmp'),
  }
}

/** Inside a set: what it holds and when it was last used (the file's mtime). */
export const SET_META = 'forklift-set.json'

/** Set hashes are hex; anything else in the cache folder is bookkeeping. */
export const isSetName = (name: string) => /^[0-9a-f]{32}$/.test(name)
