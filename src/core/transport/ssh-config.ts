import { readdir, readFile } from 'node:fs/promises'
import { homedir, hostname as localHostname, userInfo } from 'node:os'
import { basename, dirname, isAbsolute, join } from 'node:path'
import SSHConfig from 'ssh-config'
import { errorMessage } from '../errors.js'
import { TransportError } from './types.js'

/** One ProxyJump hop as written: `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
export interface JumpSpec {
  host: string
  port?: number
  user?: string
}

/** What OpenSSH's client config says about one host, with tokens and `~` expanded. */
export interface ResolvedHost {
  /** The name asked for (maybe an alias). */
  alias: string
  /** The address to dial (HostName, else the alias). */
  hostname: string
  port: number
  user: string
  identityFiles: string[]
  identitiesOnly: boolean
  proxyJump: JumpSpec[]
  /** UserKnownHostsFile, when the config sets it (`none`: an empty list). */
  knownHostsFiles?: string[]
  /** GlobalKnownHostsFile, when the config sets it (`none`: an empty list). */
  globalKnownHostsFiles?: string[]
  /** StrictHostKeyChecking as written (lower case), when set. */
  strictHostKeyChecking?: string
  /** The name host keys are recorded and looked up under, when not the host name. */
  hostKeyAlias?: string
  connectTimeoutMs?: number
}

export interface ResolveEnv {
  home?: string
  localUser?: string
}

/** The files an Include pattern names: `~` and ~/.ssh-relative paths, `*` and `?` in the last part. */
async function includedFiles(pattern: string, home: string): Promise<string[]> {
  const expanded = pattern.startsWith('~/') ? join(home, pattern.slice(2)) : pattern
  const path = isAbsolute(expanded) ? expanded : join(home, '.ssh', expanded)
  const name = basename(path)
  if (!/[*?]/.test(name)) return [path]
  const source = name
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.')
  const matcher = new RegExp(`^${source}$`)
  const entries = await readdir(dirname(path)).catch(() => [] as string[])
  return entries
    .filter((e) => matcher.test(e))
    .sort()
    .map((e) => join(dirname(path), e))
}

/** Config text with each Include line replaced by the files it names, as ssh reads them in place. */
async function withIncludes(file: string, home: string, depth: number): Promise<string | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new TransportError(`cannot read ssh config ${file}: ${errorMessage(error)}`, 'other')
  }
  if (depth > 16) throw new TransportError(`ssh config Include nests too deep at ${file}`, 'other')
  const lines: string[] = []
  // The Host or Match line whose block we are in: after an included file, ssh goes on in it (or at
  // the top level, which `Match all` stands for), whatever blocks that file opened.
  let block = 'Match all'
  for (const line of text.split('\n')) {
    const include = /^\s*Include\s*[=\s]\s*(.+?)\s*$/i.exec(line)
    if (!include) {
      if (/^\s*(Host|Match)(\s|=)/i.test(line)) block = line
      lines.push(line)
      continue
    }
    for (const pattern of include[1]!.split(/\s+/)) {
      for (const path of await includedFiles(pattern.replace(/^"|"$/g, ''), home)) {
        const inner = await withIncludes(path, home, depth + 1)
        if (inner !== undefined) lines.push(inner, block.trimStart())
      }
    }
  }
  return lines.join('\n')
}

/** Parse an ssh client config file with its Includes; a missing file is an empty config. */
export async function loadSshConfig(file: string, home = homedir()): Promise<SSHConfig | undefined> {
  const text = await withIncludes(file, home, 0)
  if (text === undefined) return undefined
  try {
    return SSHConfig.parse(text)
  } catch (error) {
    throw new TransportError(`cannot parse ssh config ${file}: ${errorMessage(error)}`, 'other')
  }
}

/** Parse a ProxyJump value into hops; `none` means no jump. */
export function parseProxyJump(value: string): JumpSpec[] {
  if (value.trim().toLowerCase() === 'none') return []
  return value.split(',').map((raw) => {
    const spec = raw.trim().replace(/^ssh:\/\//, '')
    const at = spec.lastIndexOf('@')
    const user = at >= 0 ? spec.slice(0, at) : undefined
    const rest = at >= 0 ? spec.slice(at + 1) : spec
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest)
    if (!m?.[1]) throw new TransportError(`bad ProxyJump hop '${raw.trim()}' in ssh config`, 'other')
    return { host: m[1], ...(m[2] ? { port: Number(m[2]) } : {}), ...(user ? { user } : {}) }
  })
}

/** Keywords that may be given many times, every value kept in order (the others: first value wins). */
const REPEATABLE = new Set([
  'identityfile',
  'certificatefile',
  'localforward',
  'remoteforward',
  'dynamicforward',
  'sendenv',
])

/** OpenSSH's pattern: `*` any run of characters, `?` exactly one, the rest literal. */
function matchPattern(pattern: string, text: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.')
  return new RegExp(`^${source}$`, 's').test(text)
}

/** A pattern list: false when a negated pattern (`!p`) matches, else whether any other one does. */
function matchList(patterns: string[], text: string): boolean {
  let result = false
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matchPattern(pattern.slice(1), text)) return false
    } else if (matchPattern(pattern, text)) result = true
  }
  return result
}

type ConfigLine = SSHConfig[number]
type Directive = ConfigLine & {
  param: string
  value: unknown
  config?: ConfigLine[]
  criteria?: Record<string, unknown>
}

const words = (value: unknown): string[] =>
  Array.isArray(value) ? value.map((v: { val: string }) => v.val) : typeof value === 'string' ? [value] : []

/**
 * Every keyword's values for `alias`, as OpenSSH's readconf.c computes them: keywords in any case;
 * `Host` patterns compared with the name as given, case-sensitively; `Match host` and `originalhost`
 * case-insensitively, `host` seeing HostName (its `%h` expanded) once one is set; `Match user` the
 * user so far; `exec` is never run (it does not match); a `final` block applies in a second pass.
 */
function computeFor(
  config: SSHConfig,
  alias: string,
  explicitUser: string | undefined,
  localUser: string,
): Record<string, string[]> {
  const values: Record<string, string[]> = {}
  const set = (keyword: string, value: string) => {
    const key = keyword.toLowerCase()
    // ssh registers an identity or certificate file once, however often it is named.
    if (REPEATABLE.has(key)) {
      values[key] ??= []
      const list = values[key]
      if (!(key.endsWith('file') && list.includes(value))) list.push(value)
    } else values[key] ??= [value]
  }
  if (explicitUser) set('user', explicitUser)
  const host = () =>
    values.hostname?.[0]?.replace(/%([h%])/g, (_, c: string) => (c === 'h' ? alias : '%')) ?? alias
  let wantsFinal = false
  const matches = (criteria: Record<string, unknown>, final: boolean): boolean =>
    Object.entries(criteria).every(([name, raw]) => {
      const list = words(raw).flatMap((w) => w.split(','))
      switch (name.toLowerCase()) {
        case 'all':
          return true
        case 'host':
          return matchList(
            list.map((p) => p.toLowerCase()),
            host().toLowerCase(),
          )
        case 'originalhost':
          return matchList(
            list.map((p) => p.toLowerCase()),
            alias.toLowerCase(),
          )
        case 'user':
          return matchList(list, values.user?.[0] ?? localUser)
        case 'localuser':
          return matchList(list, localUser)
        case 'final':
          wantsFinal = true
          return final
        default:
          return false
      }
    })
  const pass = (final: boolean) => {
    const apply = (lines: ConfigLine[]) => {
      for (const line of lines as Directive[]) {
        if (line.type !== SSHConfig.DIRECTIVE) continue
        const keyword = line.param.toLowerCase()
        if (keyword === 'host') {
          if (matchList(words(line.value), alias)) apply(line.config ?? [])
        } else if (keyword === 'match') {
          if (matches(line.criteria ?? {}, final)) apply(line.config ?? [])
        } else set(keyword, words(line.value).join(' '))
      }
    }
    apply([...config])
  }
  pass(false)
  if (wantsFinal) pass(true)
  return values
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

/**
 * What the config says for `alias`, OpenSSH-style (first value wins, Host patterns, Match host/user).
 * Values given explicitly (a node's port or user) take precedence over the config, as on ssh's command line.
 */
export function resolveHost(
  config: SSHConfig | undefined,
  alias: string,
  explicit: { port?: number; user?: string } = {},
  env: ResolveEnv = {},
): ResolvedHost {
  const home = env.home ?? homedir()
  const localUser = env.localUser ?? userInfo().username
  const computed: Record<string, string[]> = config
    ? computeFor(config, alias, explicit.user, localUser)
    : explicit.user
      ? { user: [explicit.user] }
      : {}
  const get = (key: string) => first(computed[key])
  // The name dialled: HostName with `%h` expanded, else the name given; lowercased, as ssh.c does.
  const hostnameRaw = get('hostname')
  const expanded = hostnameRaw?.replace(/%([h%])/g, (_, c: string) => (c === 'h' ? alias : '%')) ?? alias
  const hostname = expanded.toLowerCase()
  const port = explicit.port ?? (get('port') ? Number(get('port')) : 22)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TransportError(`bad Port '${get('port')}' for host ${alias} in ssh config`, 'other')
  }
  const user = explicit.user ?? get('user') ?? localUser
  const expand = (path: string) => {
    const tokens: Record<string, string> = {
      '%': '%',
      d: home,
      h: hostname,
      n: alias,
      p: String(port),
      r: user,
      u: localUser,
      l: localHostname(),
    }
    const expanded = path.replace(/%(.)/g, (whole, c: string) => tokens[c] ?? whole)
    if (expanded === '~') return home
    if (expanded.startsWith('~/')) return join(home, expanded.slice(2))
    return isAbsolute(expanded) ? expanded : join(home, '.ssh', expanded)
  }
  // Both keywords take several files in one value; `none` names no file.
  const files = (key: string) =>
    list(computed[key])
      .flatMap((v) => v.split(/\s+/).filter(Boolean))
      .filter((f) => f.toLowerCase() !== 'none')
      .map(expand)
  const knownHostsSet = computed.userknownhostsfile !== undefined
  const globalKnownHostsSet = computed.globalknownhostsfile !== undefined
  const timeout = get('connecttimeout')
  const strict = get('stricthostkeychecking')
  const alias2 = get('hostkeyalias')
  return {
    alias,
    hostname,
    port,
    user,
    identityFiles: list(computed.identityfile)
      .filter((f) => f.toLowerCase() !== 'none')
      .map(expand),
    identitiesOnly: get('identitiesonly')?.toLowerCase() === 'yes',
    proxyJump: get('proxyjump') ? parseProxyJump(get('proxyjump')!) : [],
    ...(knownHostsSet ? { knownHostsFiles: files('userknownhostsfile') } : {}),
    ...(globalKnownHostsSet ? { globalKnownHostsFiles: files('globalknownhostsfile') } : {}),
    ...(strict ? { strictHostKeyChecking: strict.toLowerCase() } : {}),
    ...(alias2 ? { hostKeyAlias: alias2 } : {}),
    ...(timeout && Number(timeout) > 0 ? { connectTimeoutMs: Number(timeout) * 1000 } : {}),
  }
}

/**
 * The hosts to pass through before `target`, in order: its ProxyJump hops, the first of which may
 * have its own ProxyJump (followed, as ssh follows it); later hops are reached through the one before.
 */
export function jumpChain(
  config: SSHConfig | undefined,
  target: ResolvedHost,
  env: ResolveEnv = {},
  depth = 0,
): ResolvedHost[] {
  if (target.proxyJump.length === 0) return []
  if (depth > 8) throw new TransportError(`ProxyJump loop at host ${target.alias} in ssh config`, 'other')
  // As ssh.c: the hop just before the host may not be the host itself.
  const last = target.proxyJump.at(-1)!
  if (
    last.host === target.hostname &&
    (last.port ?? 22) === target.port &&
    (last.user ?? target.user) === target.user
  )
    throw new TransportError(
      `ProxyJump loop at host ${target.alias} in ssh config: it jumps through itself`,
      'other',
    )
  const hops = target.proxyJump.map((hop) =>
    resolveHost(
      config,
      hop.host,
      { ...(hop.port ? { port: hop.port } : {}), ...(hop.user ? { user: hop.user } : {}) },
      env,
    ),
  )
  const [firstHop, ...rest] = hops
  return [...jumpChain(config, firstHop!, env, depth + 1), firstHop!, ...rest]
}
