import type { ActionDefinition } from './definition.js'
import { directory } from './directory.js'
import { exec } from './exec.js'
import { file } from './file.js'
import { group } from './group.js'
import { line } from './line.js'
import { pkg } from './package.js'
import { packageSource } from './package-source.js'
import { packageUpdate } from './package-update.js'
import { remoteFile } from './remote-file.js'
import { service } from './service.js'
import { symlink } from './symlink.js'
import type { Action, ActionType } from './types.js'
import { user } from './user.js'

type Definitions = { [T in ActionType]: ActionDefinition<Extract<Action, { type: T }>> }

const definitions: Definitions = {
  exec,
  file,
  directory,
  symlink,
  'remote-file': remoteFile,
  line,
  package: pkg,
  'package-source': packageSource,
  'package-update': packageUpdate,
  user,
  group,
  service,
}

/** The definition of a known action type, or undefined. */
export function definitionOf(type: unknown): ActionDefinition<Action> | undefined {
  if (typeof type !== 'string' || !Object.hasOwn(definitions, type)) return undefined
  return definitions[type as ActionType] as ActionDefinition<Action>
}
