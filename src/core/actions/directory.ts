import { type ActionDefinition, assign, normalMode } from './definition.js'
import type { DirectoryAction } from './types.js'

/** A directory: present with attributes (below it too when recursive), or absent with all it holds. */
export const directory: ActionDefinition<DirectoryAction> = {
  describe: (action) => `directory ${action.path}`,
  compile(action) {
    if (action.state === 'absent') return { body: `${assign({ P: action.path })}\n_rmd`, helpers: ['rmd'] }
    const vars = assign({
      P: action.path,
      MO: normalMode(action.mode),
      OW: action.owner,
      GR: action.group,
      RC: action.recursive,
    })
    return { body: `${vars}\n_dir`, helpers: ['dir'] }
  },
}
