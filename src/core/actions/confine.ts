import { posix } from 'node:path'
import { describeAction } from './script.js'
import type { Action } from './types.js'
import { ActionError } from './validate.js'

/** A node whose files live in a folder of this machine. */
export interface FolderNode {
  name: string
  /** Absolute; none means the node is the whole machine. */
  root?: string
}

/**
 * Whether the node's actions are confined to a folder: whenever it has a root, whatever the root
 * (confinement is off only when no root is asked for). A root that is not an absolute path is an error.
 */
export function isFolderNode(node: FolderNode): node is FolderNode & { root: string } {
  if (node.root === undefined) return false
  if (!node.root.startsWith('/'))
    throw new ActionError(`node ${node.name}'s root ${JSON.stringify(node.root)} is not an absolute path`)
  return true
}

/**
 * Keep a folder node's actions inside its folder, so one crate serves a folder node and a real one:
 * an absolute path is a path on the node and is rebased under the root (`/etc/motd` →
 * `ROOT/etc/motd`; `..` never climbs above it); a path already inside the root stays as it is, so
 * crates that prefix `ctx.node.root` keep working. A symlink's absolute target is rebased the same
 * way, a relative one may not climb out. Types that act on the machine itself are refused. Runs on
 * validated actions (after prepareActions, so `localFile` and `template` are content by then).
 */
export function confineToFolder(actions: Action[], node: FolderNode): Action[] {
  if (!isFolderNode(node)) return actions
  const root = posix.resolve(node.root)
  const inside = (path: string): string => {
    const normal = posix.normalize(path)
    if (normal === root || normal.startsWith(`${root}/`)) return normal
    return normal === '/' ? root : root + normal
  }
  return actions.map((action, index) => {
    const where = `action ${index} (${describeAction(action)})`
    switch (action.type) {
      case 'file':
      case 'directory':
      case 'remote-file':
      case 'line':
        return { ...action, path: inside(action.path) }
      case 'symlink': {
        const path = inside(action.path)
        if (action.target === undefined) return { ...action, path }
        if (action.target.startsWith('/')) return { ...action, path, target: inside(action.target) }
        // Relative: resolved from the link's folder as the node sees it, which must stay at or below its `/`.
        const from = posix.dirname(path.slice(root.length) || '/')
        let depth = from.split('/').filter(Boolean).length
        for (const part of action.target.split('/')) {
          depth += part === '..' ? -1 : part === '.' || part === '' ? 0 : 1
          if (depth < 0) {
            throw new ActionError(
              `${where}: \`target\` ${JSON.stringify(action.target)} climbs out of node ${node.name}'s folder (${root})`,
            )
          }
        }
        return { ...action, path }
      }
      case 'exec':
        return {
          ...action,
          ...(action.cwd !== undefined ? { cwd: inside(action.cwd) } : {}),
          ...(action.creates?.startsWith('/') ? { creates: inside(action.creates) } : {}),
        }
      // These change the machine itself (its packages, logins, services), whatever the folder.
      case 'package':
      case 'package-source':
      case 'package-update':
      case 'user':
      case 'group':
      case 'service':
        throw new ActionError(
          `${where}: node ${node.name} is the folder ${root}, and a ${action.type} action would change this machine itself; folder nodes take only exec, file, directory, symlink, remote-file and line actions`,
        )
      default:
        return unknownType(action)
    }
  })
}

/** Every type is handled above: a new one fails to compile until it is. */
function unknownType(action: never): never {
  throw new ActionError(`unknown action type ${JSON.stringify((action as Action).type)}`)
}
