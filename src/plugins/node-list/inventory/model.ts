// The inventory as Ansible sees it (groups of hosts with variables) and the variables Forklift reads.

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

export type Vars = Record<string, unknown>

/** The inventory as groups of hosts, before variables are applied. */
export interface Inventory {
  groups: Map<string, { hosts: Set<string>; children: string[]; vars: Vars }>
  hosts: Map<string, { vars: Vars; order: number }>
}

/** Where a group is first defined, for error messages about it. */
export type Locate = (group: string) => { line: number; column: number }

/** An inventory holding only Ansible's implicit groups, `all` and `ungrouped`. */
export function emptyInventory(): Inventory {
  const inventory: Inventory = { groups: new Map(), hosts: new Map() }
  group(inventory, 'all')
  group(inventory, 'ungrouped')
  return inventory
}

/** The named group, made empty on first use. */
export function group(inventory: Inventory, name: string) {
  let entry = inventory.groups.get(name)
  if (!entry) {
    entry = { hosts: new Set(), children: [], vars: {} }
    inventory.groups.set(name, entry)
  }
  return entry
}

/** Add a host (or more variables for it) to a group. */
export function addHost(inventory: Inventory, groupName: string, name: string, vars: Vars) {
  let host = inventory.hosts.get(name)
  if (!host) {
    host = { vars: {}, order: inventory.hosts.size }
    inventory.hosts.set(name, host)
  }
  Object.assign(host.vars, vars)
  // Hosts placed directly under `all` are what Ansible calls ungrouped.
  group(inventory, groupName === 'all' ? 'ungrouped' : groupName).hosts.add(name)
}

/**
 * `host:port` is Ansible's shorthand for ansible_port, in INI and YAML inventories alike (the host may
 * hold a [1:3] range, not a bare IPv6 address).
 */
export function splitHostPort(pattern: string): { host: string; port?: string } {
  const hostPort = /^(.+):(\d+)$/.exec(pattern)
  if (hostPort === null || /[:[\]]/.test(hostPort[1]!.replace(/\[[^\]]*\]/g, ''))) return { host: pattern }
  return { host: hostPort[1]!, port: hostPort[2]! }
}

/** Check the connection variables Forklift reads; others pass through untouched. */
export function connectionVar(key: string, value: unknown, fail: (message: string) => never): unknown {
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

export const HOST_VARS = ['ansible_host', 'ansible_ssh_host']
export const PORT_VARS = ['ansible_port', 'ansible_ssh_port']
export const USER_VARS = ['ansible_user', 'ansible_ssh_user']
export const KEY_VARS = ['ansible_ssh_private_key_file', 'ansible_private_key_file']
