import { ConfigError } from '../../../core/config/errors.js'
import { errorMessage } from '../../../core/errors.js'
import {
  addHost,
  connectionVar,
  emptyInventory,
  group,
  type InventoryHost,
  splitHostPort,
  type Vars,
} from './model.js'
import { expandPattern } from './patterns.js'
import { resolveHosts } from './resolve.js'

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

/** Read an INI inventory into hosts; mistakes are ConfigErrors naming file, line and column. */
export function readIniInventory(text: string, file: string): InventoryHost[] {
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
      fail(errorMessage(error), indent + 1)
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
