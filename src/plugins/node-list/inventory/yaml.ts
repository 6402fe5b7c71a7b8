import { ConfigError } from '../../../core/config/errors.js'
import { type KeyPath, type ParsedYaml, parseYaml } from '../../../core/config/yaml.js'
import { isPlainObject } from '../../../core/text/values.js'
import {
  addHost,
  connectionVar,
  emptyInventory,
  group,
  type Inventory,
  type Locate,
  splitHostPort,
  type Vars,
} from './model.js'
import { expandPattern } from './patterns.js'

/** Whether an inventory of unknown extension starts like a YAML map. */
export function looksLikeYaml(text: string): boolean {
  const first = text.split('\n').find((line) => line.trim() !== '' && !/^\s*[#;]/.test(line))
  return (
    first !== undefined && (first.startsWith('---') || /^[A-Za-z0-9_.-]+:\s*(#.*)?$/.test(first.trimEnd()))
  )
}

/** Read a YAML inventory into groups of hosts; mistakes are ConfigErrors at the key's line. */
export function readYamlInventory(text: string, file: string): { inventory: Inventory; locate: Locate } {
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
