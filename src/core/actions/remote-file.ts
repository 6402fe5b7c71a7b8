import { type ActionDefinition, assign, contentFunction, normalMode } from './definition.js'
import { curlConfigLine, toBytes } from './quote.js'
import type { RemoteFileAction } from './types.js'

/**
 * A file from content, a template, a local file (both made content by prepareActions) or a URL
 * fetched on the node and checked against its sha256. The old version stays as PATH.forklift-backup.
 */
export const remoteFile: ActionDefinition<RemoteFileAction> = {
  describe: (action) => `remote-file ${action.path}`,
  compile(action) {
    if (action.state === 'absent') return { body: `${assign({ P: action.path })}\n_rmf`, helpers: ['rmf'] }
    if (action.template !== undefined || action.localFile !== undefined) {
      throw new Error(
        `remote-file ${action.path}: template and localFile are read by prepareActions before compiling`,
      )
    }
    const vars = {
      P: action.path,
      MO: normalMode(action.mode),
      OW: action.owner,
      GR: action.group,
      B: action.backup !== false,
    }
    if (action.url !== undefined) {
      const url = assign({
        ...vars,
        UR: action.url,
        UK: curlConfigLine('url', action.url),
        H: action.sha256!.toLowerCase(),
      })
      return { body: `${url}\n_url`, helpers: ['url'] }
    }
    return {
      body: `${assign({ ...vars, DF: true })}\n${contentFunction(action.content!)}\n_put`,
      helpers: ['put'],
    }
  },
  desired: (action) =>
    action.state === 'absent' || action.content === undefined
      ? undefined
      : { path: action.path, content: toBytes(action.content) },
}
