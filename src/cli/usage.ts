import { closest } from '../core/text/closest.js'

/** What oclif's parser puts on a "Nonexistent flag" error. */
interface UnknownFlagsError {
  flags: string[]
  parse?: {
    input?: {
      flags?: Record<string, { hidden?: boolean }>
      context?: { id?: string; config?: { bin?: string } }
    }
  }
}

function isUnknownFlags(error: unknown): error is UnknownFlagsError {
  return Array.isArray((error as UnknownFlagsError | undefined)?.flags)
}

/**
 * The one line for flags a command does not have, each with the closest flag it does have
 * (`--dryrun` → `--dry-run`); undefined for any other error.
 */
export function unknownFlagsMessage(error: unknown): string | undefined {
  if (!isUnknownFlags(error)) return undefined
  const defined = error.parse?.input?.flags ?? {}
  const names = [
    ...Object.entries(defined)
      .filter(([, f]) => !f.hidden)
      .map(([name]) => name),
    'help',
  ]
  const each = error.flags.map((flag) => {
    const bare = /^--([^=]+)/.exec(flag)?.[1]
    const match = bare === undefined ? undefined : closest(bare, names)
    return match ? `${flag} (did you mean --${match}?)` : flag
  })
  const context = error.parse?.input?.context
  const command = context?.id?.replaceAll(':', ' ')
  const bin = context?.config?.bin ?? 'forklift'
  const plural = error.flags.length > 1 ? 's' : ''
  return `unknown flag${plural} ${each.join(', ')}; see ${bin}${command ? ` ${command}` : ''} --help`
}
