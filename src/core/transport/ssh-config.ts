import { readdir, readFile } from 'node:fs/promises'
import { homedir, hostname as localHostname, userInfo } from 'node:os'
import { basename, dirname, isAbsolute, join } from 'node:path'
import SSHConfig from 'ssh-config'
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
    throw new TransportError(`cannot read ssh config ${file}: ${(error as Error).message}`, 'other')
  }
  if (depth > 16) throw new TransportError(`ssh config Include nests too deep at ${file}`, 'other')
  const lines: string[] = []
  for (const line of text.split('\n')) {
    const include = /^\s*Include\s*[=\s]\s*(.+?)\s*$/i.exec(line)
    if (!include) {
      lines.push(line)
      continue
    }
    for (const pattern of include[1]!.split(/\s+/)) {
      for (const path of await includedFiles(pattern.replace(/^"|"$/g, ''), home)) {
        const inner = await withIncludes(path, home, depth + 1)
        if (inner !== undefined) lines.push(inner)
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
    throw new TransportError(`cannot parse ssh config ${file}: ${(error as Error).message}`, 'other')
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
  const computed: Record<string, string | string[]> = config
    ? config.compute(
        { Host: alias, ...(explicit.user ? { User: explicit.user } : {}) },
        { ignoreCase: true, matchExec: false },
      )
    : {}
  const get = (key: string) => first(computed[key])
  const hostnameRaw = get('hostname')
  const hostname = hostnameRaw ? hostnameRaw.replaceAll('%h', alias).replaceAll('%%', '%') : alias
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
