import { extname } from 'node:path'
import { z } from 'zod'
import { ConfigError } from '../../core/config/errors.js'
import { isPlainObject } from '../../core/config/issues.js'
import { NAME_PATTERN } from '../../core/config/schema.js'
import { type KeyPath, type ParsedYaml, parseYaml } from '../../core/config/yaml.js'

const text = z.string().min(1)
const port = z.int().min(1).max(65535)

/** One static host of a node-list provider. */
const staticNode = z
  .object({
    name: text.describe('Node name, unique within its group'),
    address: text.describe('Host name or IP address'),
    port: port.optional().describe('SSH port (default 22)'),
    user: text.optional().describe('Login user for this node'),
    group: z
      .union([z.string().regex(NAME_PATTERN), z.array(z.string().regex(NAME_PATTERN)).min(1)])
      .describe('Group (or groups) the node belongs to'),
    'identity-file': text
      .optional()
      .describe('Private key file (relative to forklift.yaml, ~/ for your home)'),
  })
  .strict()

/** Settings of the node-list provider: static `nodes`, an Ansible `inventory` file, or both. */
export const nodeListSettings = z
  .object({
    nodes: z.array(staticNode).optional(),
    inventory: text
      .optional()
      .describe('Ansible inventory file, INI or YAML (relative to forklift.yaml, ~/ for your home)'),
  })
  .strict()
  .superRefine((settings, ctx) => {
    if (settings.nodes === undefined && settings.inventory === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a node-list needs `nodes`, `inventory` or both' })
    }
    const seen = new Set<string>()
    settings.nodes?.forEach((node, index) => {
      for (const group of Array.isArray(node.group) ? node.group : [node.group]) {
        const key = `${group}\0${node.name}`
        if (seen.has(key)) {
          ctx.addIssue({
            code: 'custom',
            path: ['nodes', index, 'name'],
            message: `node "${node.name}" appears twice in group "${group}"`,
          })
        }
        seen.add(key)
      }
    })
  })

/** Validated node-list settings. */
export type NodeListSettings = z.output<typeof nodeListSettings>

/** A host from an Ansible inventory, with the connection variables Forklift uses. */
export interface InventoryHost {
  /** Inventory host name. */
  name: string
  /** `ansible_host`, else the name. */
  address: string
  port?: number
  user?: string
  /** `ansible_ssh_private_key_file`, as written (relative paths are the caller's to resolve). */
  identityFile?: string
  /** Every group the host belongs to, parents of its groups included (never `all`). */
  groups: string[]
}

type Vars = Record<string, unknown>

/** The inventory as groups of hosts, before variables are applied. */
interface Inventory {
  groups: Map<string, { hosts: Set<string>; children: string[]; vars: Vars }>
  hosts: Map<string, { vars: Vars; order: number }>
}

/** Where a group is first defined, for error messages about it. */
type Locate = (group: string) => { line: number; column: number }

/**
 * Parse an Ansible inventory (INI or YAML; YAML when the file is `.yml`/`.yaml` or starts like a
 * YAML map) into hosts with their address, port, user, key file and groups. Mistakes are
 * ConfigErrors naming file and line.
 */
export function parseAnsibleInventory(text: string, file: string): InventoryHost[] {
  const yaml = ['.yml', '.yaml', '.json'].includes(extname(file).toLowerCase()) || looksLikeYaml(text)
  if (!yaml) return readIniInventory(text, file)
  const { inventory, locate } = readYamlInventory(text, file)
  return resolveHosts(inventory, file, locate)
}

function looksLikeYaml(text: string): boolean {
  const first = text.split('\n').find((line) => line.trim() !== '' && !/^\s*[#;]/.test(line))
  return (
    first !== undefined && (first.startsWith('---') || /^[A-Za-z0-9_.-]+:\s*(#.*)?$/.test(first.trimEnd()))
  )
}

function emptyInventory(): Inventory {
  const inventory: Inventory = { groups: new Map(), hosts: new Map() }
  group(inventory, 'all')
  group(inventory, 'ungrouped')
  return inventory
}

function group(inventory: Inventory, name: string) {
  let entry = inventory.groups.get(name)
  if (!entry) {
    entry = { hosts: new Set(), children: [], vars: {} }
    inventory.groups.set(name, entry)
  }
  return entry
}

function addHost(inventory: Inventory, groupName: string, name: string, vars: Vars) {
  let host = inventory.hosts.get(name)
  if (!host) {
    host = { vars: {}, order: inventory.hosts.size }
    inventory.hosts.set(name, host)
  }
  Object.assign(host.vars, vars)
  // Hosts placed directly under `all` are what Ansible calls ungrouped.
  group(inventory, groupName === 'all' ? 'ungrouped' : groupName).hosts.add(name)
}

// ---------------------------------------------------------------- host patterns

const MAX_RANGE = 10000

function rangeSize(start: string, end: string): number {
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) return Number(end) - Number(start)
  return end.charCodeAt(0) - start.charCodeAt(0)
}

/** Expand `web[01:03].example.com` (and `[a:c]`, `[1:9:2]`) into host names. */
function expandPattern(pattern: string, fail: (message: string) => never): string[] {
  const open = pattern.indexOf('[')
  if (open < 0) return [pattern]
  const close = pattern.indexOf(']', open)
  if (close < 0) fail(`host range in "${pattern}" has no closing ]`)
  const range = pattern.slice(open + 1, close)
  const parts = range.split(':')
  if (parts.length < 2 || parts.length > 3)
    fail(`bad host range [${range}] in "${pattern}": expected [START:END] or [START:END:STEP]`)
  const [start, end, stepText] = parts as [string, string, string?]
  const step = stepText === undefined ? 1 : Number(stepText)
  if (!Number.isInteger(step) || step < 1) fail(`bad step "${stepText}" in host range [${range}]`)
  if (Math.abs(rangeSize(start, end) / step) > MAX_RANGE)
    fail(`host range [${range}] holds more than ${MAX_RANGE} hosts`)
  const before = pattern.slice(0, open)
  const after = pattern.slice(close + 1)
  const values: string[] = []
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const from = Number(start)
    const to = Number(end)
    if (to < from) fail(`host range [${range}] ends before it starts`)
    // A leading zero fixes the width: [01:10] gives 01 … 10.
    const width = start.startsWith('0') && start.length > 1 ? start.length : 0
    for (let n = from; n <= to; n += step) values.push(String(n).padStart(width, '0'))
  } else if (/^[a-zA-Z]$/.test(start) && /^[a-zA-Z]$/.test(end)) {
    const from = start.charCodeAt(0)
    const to = end.charCodeAt(0)
    if (to < from) fail(`host range [${range}] ends before it starts`)
    for (let c = from; c <= to; c += step) values.push(String.fromCharCode(c))
  } else {
    fail(`bad host range [${range}] in "${pattern}": use numbers ([01:20]) or single letters ([a:f])`)
  }
  return values.flatMap((value) => expandPattern(`${before}${value}${after}`, fail))
}

// ---------------------------------------------------------------- INI

/** Split a host line into words; quotes group, an unquoted `#` starts a comment. */
function words(line: string): { word: string; column: number }[] {
  const out: { word: string; column: number }[] = []
  let i = 0
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++
    if (i >= line.length || line[i] === '#') break
    const column = i + 1
    let word = ''
    while (i < line.length && !/\s/.test(line[i]!)) {
      const c = line[i]!
      if (c === '"' || c === "'") {
        const end = line.indexOf(c, i + 1)
        if (end < 0) throw new SyntaxError(`unclosed ${c} quote`)
        word += line.slice(i + 1, end)
        i = end + 1
      } else {
        word += c
        i++
      }
    }
    out.push({ word, column })
  }
  return out
}

function unquote(value: string): string {
  const v = value.trim()
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) return v.slice(1, -1)
  return v
}

function readIniInventory(text: string, file: string): InventoryHost[] {
  const inventory = emptyInventory()
  const lines = text.split(/\r?\n/)
  let lineNo = 0
  const fail: (message: string, column?: number) => never = (message, column = 1) => {
    throw new ConfigError({ file, line: lineNo, column, message })
  }
  const lineOf = new Map<string, number>()
  let section: { name: string; kind: 'hosts' | 'vars' | 'children' } = { name: 'ungrouped', kind: 'hosts' }

  for (const raw of lines) {
    lineNo++
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const indent = raw.length - raw.trimStart().length

    if (line.startsWith('[')) {
      const match = /^\[([^\]]*)\]\s*([#;].*)?$/.exec(line)
      if (!match)
        fail('a section header needs a closing ]: [group], [group:vars] or [group:children]', indent + 1)
      const [name, suffix, extra] = match![1]!.trim().split(':') as [string, string?, string?]
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
        fail(
          `bad group name "${name}": use letters, digits, _ and -, starting with a letter or _`,
          indent + 2,
        )
      }
      if (extra !== undefined || (suffix !== undefined && suffix !== 'vars' && suffix !== 'children')) {
        fail(
          `unknown section [${match![1]}]: expected [${name}], [${name}:vars] or [${name}:children]`,
          indent + 1,
        )
      }
      section = { name, kind: suffix === 'vars' ? 'vars' : suffix === 'children' ? 'children' : 'hosts' }
      group(inventory, name)
      if (!lineOf.has(name)) lineOf.set(name, lineNo)
      continue
    }

    if (section.kind === 'vars') {
      const eq = line.indexOf('=')
      if (eq <= 0) fail(`expected key=value in [${section.name}:vars], got "${line}"`, indent + 1)
      const key = line.slice(0, eq).trim()
      group(inventory, section.name).vars[key] = connectionVar(key, unquote(line.slice(eq + 1)), (m) =>
        fail(m, indent + 1),
      )
      continue
    }

    if (section.kind === 'children') {
      const child = line.split(/\s+/)[0]!
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(child))
        fail(`bad group name "${child}" in [${section.name}:children]`, indent + 1)
      const children = group(inventory, section.name).children
      if (!children.includes(child)) children.push(child)
      group(inventory, child)
      if (!lineOf.has(child)) lineOf.set(child, lineNo)
      continue
    }

    let tokens: { word: string; column: number }[]
    try {
      tokens = words(raw)
    } catch (error) {
      fail((error as Error).message, indent + 1)
    }
    const [pattern, ...assignments] = tokens!
    if (!pattern) continue
    const vars: Vars = {}
    for (const { word, column } of assignments) {
      const eq = word.indexOf('=')
      if (eq <= 0) fail(`expected key=value after the host name, got "${word}"`, column)
      const key = word.slice(0, eq)
      vars[key] = connectionVar(key, word.slice(eq + 1), (m) => fail(m, column))
    }
    const { host: hostPattern, port: hostPort } = splitHostPort(pattern.word)
    if (hostPort !== undefined && vars.ansible_port === undefined) {
      vars.ansible_port = connectionVar('ansible_port', hostPort, (m) => fail(m, pattern.column))
    }
    for (const name of expandPattern(hostPattern, (m) => fail(m, pattern.column))) {
      addHost(inventory, section.name, name, vars)
    }
  }
  return resolveHosts(inventory, file, (name) => ({ line: lineOf.get(name) ?? 1, column: 1 }))
}

/**
 * `host:port` is Ansible's shorthand for ansible_port, in INI and YAML inventories alike (the host may
 * hold a [1:3] range, not a bare IPv6 address).
 */
function splitHostPort(pattern: string): { host: string; port?: string } {
  const hostPort = /^(.+):(\d+)$/.exec(pattern)
  if (hostPort === null || /[:[\]]/.test(hostPort[1]!.replace(/\[[^\]]*\]/g, ''))) return { host: pattern }
  return { host: hostPort[1]!, port: hostPort[2]! }
}

/** Check the connection variables Forklift reads; others pass through untouched. */
function connectionVar(key: string, value: unknown, fail: (message: string) => never): unknown {
  if (PORT_VARS.includes(key)) {
    const n = typeof value === 'number' ? value : Number(String(value).trim())
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      fail(`${key}: expected a port number (1–65535), got ${JSON.stringify(value)}`)
    return n
  }
  if (
    [...HOST_VARS, ...USER_VARS, ...KEY_VARS].includes(key) &&
    (typeof value !== 'string' || value === '')
  ) {
    fail(`${key}: expected a non-empty string, got ${JSON.stringify(value ?? null)}`)
  }
  return value
}

const HOST_VARS = ['ansible_host', 'ansible_ssh_host']
const PORT_VARS = ['ansible_port', 'ansible_ssh_port']
const USER_VARS = ['ansible_user', 'ansible_ssh_user']
const KEY_VARS = ['ansible_ssh_private_key_file', 'ansible_private_key_file']

// ---------------------------------------------------------------- YAML

function readYamlInventory(text: string, file: string): { inventory: Inventory; locate: Locate } {
  const source: ParsedYaml = parseYaml(text, file)
  const inventory = emptyInventory()
  const groupPaths = new Map<string, KeyPath>()
  const locate: Locate = (name) => source.locate(groupPaths.get(name) ?? [], true)
  const fail: (path: KeyPath, message: string, atKey?: boolean) => never = (path, message, atKey = false) => {
    throw new ConfigError({ file, ...source.locate(path, atKey), message })
  }
  if (source.data === undefined) return { inventory, locate }
  if (!isPlainObject(source.data))
    fail([], 'expected a map of groups at the top level (all: {hosts, children, vars})')

  const readGroup = (name: string, body: unknown, path: KeyPath) => {
    group(inventory, name)
    if (!groupPaths.has(name)) groupPaths.set(name, path)
    if (body === null || body === undefined) return
    if (!isPlainObject(body)) fail(path, `group "${name}": expected a map with hosts, children or vars`)
    for (const key of Object.keys(body)) {
      if (!['hosts', 'children', 'vars'].includes(key)) {
        fail(
          [...path, key],
          `unknown key \`${key}\` in group "${name}" (expected hosts, children or vars)`,
          true,
        )
      }
    }
    const { hosts, children, vars } = body as Record<string, unknown>
    if (vars !== undefined && vars !== null) {
      if (!isPlainObject(vars)) fail([...path, 'vars'], `group "${name}": vars must be a map`)
      for (const [key, value] of Object.entries(vars)) {
        group(inventory, name).vars[key] = connectionVar(key, value, (m) => fail([...path, 'vars', key], m))
      }
    }
    if (hosts !== undefined && hosts !== null) {
      if (!isPlainObject(hosts))
        fail([...path, 'hosts'], `group "${name}": hosts must be a map of host names`)
      for (const [pattern, hostVars] of Object.entries(hosts)) {
        const hostPath = [...path, 'hosts', pattern]
        if (hostVars !== null && !isPlainObject(hostVars))
          fail(hostPath, `host "${pattern}": expected a map of variables or nothing`)
        const checked: Vars = {}
        for (const [key, value] of Object.entries(hostVars ?? {})) {
          checked[key] = connectionVar(key, value, (m) => fail([...hostPath, key], m))
        }
        const { host: hostPattern, port: hostPort } = splitHostPort(pattern)
        if (hostPort !== undefined && checked.ansible_port === undefined)
          checked.ansible_port = connectionVar('ansible_port', hostPort, (m) => fail(hostPath, m, true))
        for (const host of expandPattern(hostPattern, (m) => fail(hostPath, m, true)))
          addHost(inventory, name, host, checked)
      }
    }
    if (children !== undefined && children !== null) {
      if (!isPlainObject(children))
        fail([...path, 'children'], `group "${name}": children must be a map of groups`)
      for (const [child, childBody] of Object.entries(children)) {
        const list = group(inventory, name).children
        if (!list.includes(child)) list.push(child)
        readGroup(child, childBody, [...path, 'children', child])
      }
    }
  }
  for (const [name, body] of Object.entries(source.data as Record<string, unknown>))
    readGroup(name, body, [name])
  return { inventory, locate }
}

// ---------------------------------------------------------------- groups and variables

function resolveHosts(inventory: Inventory, file: string, locate: Locate): InventoryHost[] {
  // A group that contains itself, through any chain of children, is a mistake Ansible refuses too.
  const done = new Set<string>()
  const check = (name: string, trail: string[]) => {
    if (trail.includes(name)) {
      const cycle = [...trail.slice(trail.indexOf(name)), name]
      throw new ConfigError({
        file,
        ...locate(cycle[0]!),
        message: `groups contain each other: ${cycle.join(' → ')}`,
      })
    }
    if (done.has(name)) return
    for (const child of inventory.groups.get(name)?.children ?? []) check(child, [...trail, name])
    done.add(name)
  }
  for (const name of inventory.groups.keys()) check(name, [])

  // Every group not named as a child sits directly under `all`.
  const childNames = new Set([...inventory.groups.values()].flatMap((g) => g.children))
  const all = inventory.groups.get('all')!
  for (const name of inventory.groups.keys()) {
    if (name !== 'all' && !childNames.has(name) && !all.children.includes(name)) all.children.push(name)
  }

  // Depth from `all` orders group variables: a child's override its parent's.
  const depth = new Map<string, number>()
  const parents = new Map<string, string[]>()
  const walk = (name: string, level: number) => {
    if ((depth.get(name) ?? -1) >= level) return
    depth.set(name, level)
    for (const child of inventory.groups.get(name)?.children ?? []) {
      const list = parents.get(child) ?? []
      if (!list.includes(name)) list.push(name)
      parents.set(child, list)
      walk(child, level + 1)
    }
  }
  walk('all', 0)

  const ancestors = (name: string, out: Set<string>) => {
    for (const parent of parents.get(name) ?? []) {
      if (!out.has(parent)) {
        out.add(parent)
        ancestors(parent, out)
      }
    }
  }

  const out: InventoryHost[] = []
  for (const [name, host] of [...inventory.hosts].sort((a, b) => a[1].order - b[1].order)) {
    const direct = [...inventory.groups].filter(([, g]) => g.hosts.has(name)).map(([g]) => g)
    const member = new Set(direct)
    for (const g of direct) ancestors(g, member)
    member.add('all')
    const vars: Vars = {}
    const ordered = [...member].sort(
      (a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || a.localeCompare(b),
    )
    for (const g of ordered) Object.assign(vars, inventory.groups.get(g)?.vars)
    Object.assign(vars, host.vars)

    const pick = (keys: string[]) => keys.map((k) => vars[k]).find((v) => v !== undefined)
    const groups = [...member].filter((g) => g !== 'all' && !(g === 'ungrouped' && member.size > 2))
    const port = pick(PORT_VARS) as number | undefined
    const user = pick(USER_VARS) as string | undefined
    const identityFile = pick(KEY_VARS) as string | undefined
    out.push({
      name,
      address: (pick(HOST_VARS) as string | undefined) ?? name,
      ...(port !== undefined ? { port } : {}),
      ...(user !== undefined ? { user } : {}),
      ...(identityFile !== undefined ? { identityFile } : {}),
      groups,
    })
  }
  return out
}
