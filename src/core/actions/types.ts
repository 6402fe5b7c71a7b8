/**
 * Actions are plain data. Crates and forklift.yaml produce them; the compiler turns each into a
 * POSIX sh fragment (check, then change only what differs).
 */

export type Presence = 'present' | 'absent'

interface ActionBase {
  /** Name other actions use to refer to this one (service `notify`). */
  id?: string
}

export interface ExecAction extends ActionBase {
  type: 'exec'
  script: string
  /** Skip when this path exists. */
  creates?: string
  /** Skip when this command succeeds. */
  unless?: string
  /** Run only when this command succeeds. */
  onlyIf?: string
  env?: Record<string, string>
  cwd?: string
}

export interface FileAction extends ActionBase {
  type: 'file'
  path: string
  state?: Presence
  /** Bytes are written as given; a string is written as UTF-8. */
  content?: string | Uint8Array
  mode?: string
  owner?: string
  group?: string
}

export interface DirectoryAction extends ActionBase {
  type: 'directory'
  path: string
  state?: Presence
  mode?: string
  owner?: string
  group?: string
  /** Apply owner/group/mode to everything below as well. */
  recursive?: boolean
}

export interface SymlinkAction extends ActionBase {
  type: 'symlink'
  path: string
  target?: string
  state?: Presence
}

export interface RemoteFileAction extends ActionBase {
  type: 'remote-file'
  path: string
  state?: Presence
  /** Exactly one source: content, template (rendered with settings and environment), localFile or url. */
  content?: string | Uint8Array
  template?: string
  localFile?: string
  url?: string
  /** Required with url: the content's sha256 in hex. */
  sha256?: string
  mode?: string
  owner?: string
  group?: string
  /** Keep the previous version as PATH.forklift-backup (default true). */
  backup?: boolean
}

export interface LineAction extends ActionBase {
  type: 'line'
  path: string
  line: string
  /** Extended regex: a matching line is replaced by `line` (or removed when absent). */
  match?: string
  state?: Presence
}

export interface PackageAction extends ActionBase {
  type: 'package'
  name: string | string[]
  state?: 'present' | 'absent' | 'latest'
}

export interface PackageSourceAction extends ActionBase {
  type: 'package-source'
  name: string
  state?: Presence
  /** `key` is the repository's ASCII-armored public key; `trusted` marks an unsigned repository as trusted. */
  apt?: { uri: string; suite: string; components?: string[]; key?: string; arch?: string; trusted?: boolean }
  yum?: { baseurl: string; gpgkey?: string }
}

export interface PackageUpdateAction extends ActionBase {
  type: 'package-update'
}

export interface UserAction extends ActionBase {
  type: 'user'
  name: string
  state?: Presence
  home?: string
  shell?: string
  groups?: string[]
  system?: boolean
  authorizedKeys?: string[]
  /** Passwordless sudo for this login. */
  sudo?: boolean
}

export interface GroupAction extends ActionBase {
  type: 'group'
  name: string
  state?: Presence
  gid?: number
  system?: boolean
}

export interface ServiceAction extends ActionBase {
  type: 'service'
  name: string
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded'
  enabled?: boolean
  /** Restart (or reload, when state is reloaded) only when one of these earlier action ids changed. */
  notify?: string[]
}

export type Action =
  | ExecAction
  | FileAction
  | DirectoryAction
  | SymlinkAction
  | RemoteFileAction
  | LineAction
  | PackageAction
  | PackageSourceAction
  | PackageUpdateAction
  | UserAction
  | GroupAction
  | ServiceAction

export type ActionType = Action['type']
