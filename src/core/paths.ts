import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * A path on this machine as forklift.yaml, an inventory or a flag writes it: a leading `~` or `~/`
 * is the home folder of the user running forklift (as a shell would expand it, also where no shell
 * did: `--env=~/x`, YAML values), and a relative path is relative to `base`. `~user` is not expanded.
 */
export function localPath(base: string, path: string): string {
  if (path === '~') return homedir()
  if (path.startsWith('~/')) return join(homedir(), path.slice(2))
  return resolve(base, path)
}
