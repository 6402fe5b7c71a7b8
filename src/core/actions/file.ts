import { type ActionDefinition, assign, contentFunction, normalMode } from './definition.js'
import { toBytes } from './quote.js'
import type { FileAction } from './types.js'

/** A regular file: present (with content, when given) or absent; written atomically, attributes fixed when they differ. */
export const file: ActionDefinition<FileAction> = {
  describe: (action) => `file ${action.path}`,
  compile(action) {
    if (action.state === 'absent') return { body: `${assign({ P: action.path })}\n_rmf`, helpers: ['rmf'] }
    const vars = assign({
      P: action.path,
      MO: normalMode(action.mode),
      OW: action.owner,
      GR: action.group,
      DF: true,
    })
    const content = action.content === undefined ? 'c(){ :; }' : contentFunction(action.content)
    return { body: `${vars}\n${content}\n_put`, helpers: ['put'] }
  },
  desired: (action) =>
    action.state === 'absent' || action.content === undefined
      ? undefined
      : { path: action.path, content: toBytes(action.content) },
}
