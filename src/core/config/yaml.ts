import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  visit,
  type YAMLMap,
} from 'yaml'
import { errorMessage } from '../errors.js'
import { ConfigError } from './errors.js'
import { secretTag } from './secrets.js'

/** A key path in a YAML file: map keys and list indexes. */
export type { KeyPath } from '../text/values.js'

import type { KeyPath } from '../text/values.js'

/** A line and column, both counted from 1. */
export interface Position {
  line: number
  column: number
}

/** A parsed YAML file: its data (with `!secret` values still wrapped) and a way back to positions. */
export interface ParsedYaml {
  file: string
  /** Plain data; `undefined` for a file with no content (empty or only comments). */
  data: unknown
  /**
   * Where a key path sits in the file. With `atKey`, the position of the last segment's key
   * (for unknown or badly named keys) rather than its value. A path that does not exist
   * resolves to its nearest existing ancestor.
   */
  locate(path: KeyPath, atKey?: boolean): Position
}

const KNOWN_TAGS = ['!secret']

/** Keys that would reach an object's prototype once the data is copied into plain objects. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** Why a key may not be used, or undefined when it may. */
export function forbiddenKey(key: unknown): string | undefined {
  return typeof key === 'string' && FORBIDDEN_KEYS.has(key)
    ? `the key "${key}" is not allowed (it would reach JavaScript's object prototypes)`
    : undefined
}

/** Parse YAML text with forklift's tags; a syntax error becomes a ConfigError at its line and column. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, customTags: [secretTag], merge: true, prettyErrors: false })

  const first = doc.errors[0]
  if (first) {
    const [line, column] = positionOf(lineCounter, errorOffset(doc, first.code, first.pos[0]))
    throw new ConfigError({ file, line, column, message: `invalid YAML: ${firstLine(first.message)}` })
  }
  const unresolved = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED')
  if (unresolved) {
    const [line, column] = positionOf(lineCounter, unresolved.pos[0])
    const tag = /Unresolved tag: (\S+)/.exec(unresolved.message)?.[1] ?? 'tag'
    const message = KNOWN_TAGS.includes(tag)
      ? `${tag} marks a single value (a string), not a map or a list`
      : `unknown tag ${tag} (known tags: ${KNOWN_TAGS.join(', ')})`
    throw new ConfigError({ file, line, column, message })
  }

  const fail = (at: number | undefined, message: string): never => {
    const [line, column] = positionOf(lineCounter, at ?? 0)
    throw new ConfigError({ file, line, column, message })
  }
  visit(doc, {
    Alias(_, node, path) {
      const target = node.resolve(doc)
      if (target === undefined)
        fail(node.range?.[0], `invalid YAML: no anchor &${node.source} before this alias`)
      if (path.includes(target as never))
        fail(
          node.range?.[0],
          `invalid YAML: the alias *${node.source} sits inside its own anchor &${node.source} (a cycle)`,
        )
    },
    Pair(_, pair) {
      const key = isScalar(pair.key) ? pair.key.value : undefined
      const problem = forbiddenKey(key)
      if (problem) fail((pair.key as Node).range?.[0], problem)
    },
  })
  let data: unknown
  try {
    data = doc.contents === null ? undefined : doc.toJS()
  } catch (error) {
    // yaml refuses documents whose aliases expand without bound.
    throw new ConfigError({ file, line: 1, column: 1, message: `invalid YAML: ${errorMessage(error)}` })
  }
  return {
    file,
    data,
    locate(path, atKey = false) {
      const offset = offsetOf(doc, path, atKey)
      const [line, column] = positionOf(lineCounter, offset)
      return { line, column }
    },
  }
}

/** Where to point for a YAML error: an unclosed quote is shown where its string starts, not at the file's end. */
function errorOffset(doc: Document, code: string, offset: number): number {
  if (code !== 'MISSING_CHAR') return offset
  let start = offset
  visit(doc, {
    Scalar(_, node) {
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE'
      if (quoted && node.range && node.range[1] >= offset && node.range[0] < start) start = node.range[0]
    },
  })
  return start
}

function firstLine(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/:$/, '')
}

function positionOf(lineCounter: LineCounter, offset: number): [number, number] {
  const { line, col } = lineCounter.linePos(offset)
  return [line, col]
}

/** Offset of a path's node (or key), falling back to the closest ancestor that exists. */
function offsetOf(doc: Document, path: KeyPath, atKey: boolean): number {
  let node: Node | null | undefined = doc.contents as Node | null
  let offset = node?.range?.[0] ?? 0
  for (let i = 0; i < path.length; i++) {
    node = deref(doc, node)
    const segment = path[i]!
    const last = i === path.length - 1
    if (isMap(node)) {
      const pair = findPair(doc, node, String(segment))
      if (!pair) return offset
      const key = pair.key as Node | null
      const value = pair.value as Node | null
      if (last && atKey) return key?.range?.[0] ?? offset
      const valueIsEmpty = !value || (isScalar(value) && value.value === null && value.source === '')
      offset = (valueIsEmpty ? key?.range?.[0] : value.range?.[0]) ?? offset
      node = value
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined
      if (!item) return offset
      offset = (isPair(item) ? (item.key as Node | null)?.range?.[0] : item.range?.[0]) ?? offset
      node = item
    } else {
      return offset
    }
  }
  return offset
}

function deref(doc: Document, node: Node | null | undefined): Node | null | undefined {
  return isAlias(node) ? (node.resolve(doc) as Node | undefined) : node
}

/** A map's pair for a key, looking through `<<` merge keys as YAML merges do. */
function findPair(doc: Document, map: YAMLMap, key: string): Pair | undefined {
  for (const pair of map.items) {
    if (isScalar(pair.key) && String(pair.key.value) === key) return pair
  }
  for (const pair of map.items) {
    if (!isScalar(pair.key) || String(pair.key.value) !== '<<') continue
    const value = deref(doc, pair.value as Node | null)
    const sources = isSeq(value) ? value.items.map((item) => deref(doc, item as Node)) : [value]
    for (const source of sources) {
      if (isMap(source)) {
        const found = findPair(doc, source, key)
        if (found) return found
      }
    }
  }
  return undefined
}
