import {
  type ActionDefinition,
  assign,
  checkContent,
  checkOwnership,
  contentFunction,
  normalMode,
  PRESENCE,
} from './definition.js'
import { toBytes } from './quote.js'
import type { RemoteFileAction } from './types.js'

const SOURCES = ['content', 'template', 'localFile', 'url'] as const

/**
 * A file from content, a template, a local file (both made content by prepareActions) or a URL
 * fetched on the node and checked against its sha256. The old version stays as PATH.forklift-backup.
 */
export const remoteFile: ActionDefinition<RemoteFileAction> = {
  fields: ['path', 'state', ...SOURCES, 'sha256', 'mode', 'owner', 'group', 'backup'],
  validate(action, check) {
    check.path('path')
    check.oneOf('state', PRESENCE)
    checkContent(check, action.content)
    check.str('template', { empty: true })
    check.str('localFile')
    const url = check.str('url', { line: true })
    const sha = check.str('sha256')
    checkOwnership(check)
    check.bool('backup')
    const given = SOURCES.filter((k) => action[k] !== undefined)
    if (action.state === 'absent') return
    if (given.length !== 1) {
      const got = given.length ? given.map((s) => `\`${s}\``).join(' and ') : 'none'
      check.fail('', `needs exactly one of \`content\`, \`template\`, \`localFile\`, \`url\`; got ${got}`)
    }
    if (url !== undefined) {
      if (!/^(https?|ftp):\/\/\S+$/.test(url))
        check.fail('url', `must be an http, https or ftp URL, got ${JSON.stringify(url)}`)
      if (sha === undefined) check.fail('sha256', 'is required with `url`, so the download can be checked')
    }
    if (sha !== undefined && !/^[0-9a-fA-F]{64}$/.test(sha)) check.fail('sha256', 'must be 64 hex digits')
  },
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
      const url = assign({ ...vars, UR: action.url, H: action.sha256!.toLowerCase() })
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
