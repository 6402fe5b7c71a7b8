import type { Action } from './types.js'

// The node reports what it did as words from a fixed vocabulary (never user data, so a path with a
// newline cannot break the protocol); the control side turns them into sentences here.

type Phrase = readonly [done: string, would: string]
type Words = Record<string, Phrase | ((action: Action) => Phrase)>

const field = (action: Action, key: string): string =>
  String((action as unknown as Record<string, unknown>)[key] ?? '')

const attribute = (action: Action, key: string): Phrase => {
  const value = field(action, key)
  const phrase = value ? `set ${key} ${value}` : `fix ${key}`
  return [value ? phrase : `fixed ${key}`, phrase]
}

const changes: Words = {
  create: ['created', 'create'],
  content: ['updated content', 'update content'],
  unlink: ['replaced a symlink', 'replace a symlink'],
  owner: (a) => attribute(a, 'owner'),
  group: (a) => attribute(a, 'group'),
  mode: (a) => attribute(a, 'mode'),
  'owner-r': ['set owner below', 'set owner below'],
  'group-r': ['set group below', 'set group below'],
  'mode-r': ['set mode below', 'set mode below'],
  remove: ['removed', 'remove'],
  relink: (a) => [`pointed to ${field(a, 'target')}`, `point to ${field(a, 'target')}`],
  run: ['ran', 'run'],
  line: (a) =>
    a.type === 'line' && a.state === 'absent'
      ? ['removed the line', 'remove the line']
      : ['set the line', 'set the line'],
  keys: ['wrote authorized keys', 'write authorized keys'],
  sudo: ['granted passwordless sudo', 'grant passwordless sudo'],
  unsudo: ['revoked sudo', 'revoke sudo'],
  home: ['changed home', 'change home'],
  shell: ['changed shell', 'change shell'],
  groups: ['changed groups', 'change groups'],
  gid: ['changed gid', 'change gid'],
  enable: ['enabled', 'enable'],
  disable: ['disabled', 'disable'],
  start: ['started', 'start'],
  stop: ['stopped', 'stop'],
  restart: ['restarted', 'restart'],
  reload: ['reloaded', 'reload'],
  install: ['installed', 'install'],
  latest: ['installed the latest version', 'install the latest version'],
  refresh: ['refreshed the package index', 'refresh the package index'],
  key: ['wrote the key', 'write the key'],
  source: ['wrote the source', 'write the source'],
}

/** Words a creation makes redundant. */
const ATTRIBUTES = new Set(['owner', 'group', 'mode', 'owner-r', 'group-r', 'mode-r'])

const reasons: Record<string, (action: Action, exit: number) => string> = {
  creates: (a) => `skipped: ${field(a, 'creates')} exists`,
  unless: () => 'skipped: `unless` succeeded',
  onlyif: () => 'skipped: `onlyIf` failed',
  already: () => 'already refreshed in this run',
  dry: () => 'not refreshed in a dry run',
  fresh: () => 'package index already up to date',
  quiet: () => 'running; not restarted (no notifying action changed)',
  isdir: () => 'a directory is in the way',
  notfile: () => 'something other than a regular file is in the way',
  notdir: () => 'exists and is not a directory',
  notlink: () => 'exists and is not a symlink; left alone',
  write: () => 'could not write the file',
  attrs: () => 'could not set owner, group or mode',
  backup: () => 'could not keep the old version as .forklift-backup',
  exit: (_a, exit) => `exited with status ${exit}`,
  nofetch: () => 'neither curl nor wget is installed on the node',
  argurl: () =>
    'the node has no curl and its wget (busybox) reads URLs only from its command line, where any user could see this one’s credentials or query: install curl',
  fetch: () => 'download failed',
  noparent: (a) => {
    const path = field(a, 'path')
    const folder = path ? path.slice(0, path.lastIndexOf('/')) || '/' : "the file's"
    return `the folder ${folder} does not exist: create it first (a directory action before this one)`
  },
  nosha: () => 'sha256sum is not installed on the node',
  edit: () => 'could not edit the file',
  nopm: () => 'no supported package manager on the node (apt, dnf, yum, apk)',
  refresh: () => 'refreshing the package index failed',
  nosource: () => "no source for the node's package manager (apt nodes need `apt`, dnf/yum nodes need `yum`)",
  nousermod: () => 'usermod is not installed on the node (install shadow)',
  nogroupmod: () => 'groupmod is not installed on the node (install shadow)',
  nohome: () => 'the home directory does not exist',
  visudo: () => 'visudo rejected the sudoers entry',
  noinit: (a) => `no init script /etc/init.d/${field(a, 'name')}`,
  noenable: () => 'neither update-rc.d nor chkconfig is installed on the node',
}

/** One sentence for an action's outcome, from the words and reason the node reported. */
export function describeOutcome(
  action: Action,
  outcome: {
    status: 'ok' | 'changed' | 'failed'
    reason?: string
    words: string[]
    exit: number
    detail?: string
    dryRun: boolean
  },
): string {
  const { status, reason, exit } = outcome
  if (status === 'changed') {
    let words = [...new Set(outcome.words)]
    if (words.includes('create') || words.includes('unlink')) words = words.filter((w) => !ATTRIBUTES.has(w))
    if (words.includes('unlink')) words = words.filter((w) => w !== 'create')
    const phrases = words.map((w) => {
      const entry = changes[w]
      const phrase = typeof entry === 'function' ? entry(action) : entry
      return phrase ? phrase[outcome.dryRun ? 1 : 0] : w
    })
    return outcome.dryRun ? `would ${phrases.join(', ')}` : phrases.join(', ')
  }
  if (status === 'ok') {
    if (reason && reasons[reason]) return reasons[reason](action, exit)
    return 'state' in action && action.state === 'absent' ? 'already absent' : 'up to date'
  }
  let text: string
  const checksum = /^checksum:([0-9a-f]{64})$/.exec(reason ?? '')
  if (reason?.startsWith('run:')) text = `${reason.slice(4)} failed`
  else if (checksum)
    text = `the download's sha256 is ${checksum[1]}, not ${field(action, 'sha256')}; the old file was left alone`
  else
    text = reason && reasons[reason] ? reasons[reason](action, exit) : `failed${reason ? ` (${reason})` : ''}`
  if (exit !== 0 && reason !== 'exit') text += ` (exit ${exit})`
  return outcome.detail ? `${text}: ${outcome.detail}` : text
}
