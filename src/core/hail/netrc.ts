import { readFile, stat } from 'node:fs/promises'
import { errorMessage, UsageError } from '../errors.js'

// A small parser written here: the npm netrc parsers are unmaintained, drag in old dependencies, and
// treat `default` as an ordinary entry, so one listed first wins over the exact host (one of hail's faults).

/** One `machine` (or the `default`) entry of a netrc file. */
export interface NetrcEntry {
  /** Host name, or undefined for the `default` entry. */
  machine?: string
  login?: string
  password?: string
  account?: string
  /** 1-based line of the entry's keyword, for error messages. */
  line: number
}

interface Token {
  text: string
  line: number
}

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = []
  let line = 1
  let i = 0
  // After `macdef NAME` the macro body runs to the next blank line; it is not netrc tokens.
  let macro: 'none' | 'name' | 'body' = 'none'
  const skipMacroBody = () => {
    while (i < text.length) {
      const eol = text.indexOf('\n', i)
      const lineEnd = eol === -1 ? text.length : eol
      const blank = text.slice(i, lineEnd).trim() === ''
      i = lineEnd + 1
      line++
      if (blank) return
    }
  }
  while (i < text.length) {
    const ch = text[i]!
    if (ch === '\n') {
      line++
      i++
      if (macro === 'body') {
        macro = 'none'
        skipMacroBody()
      }
    } else if (/\s/.test(ch)) {
      i++
    } else if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++
    } else {
      const start = line
      let value = ''
      if (ch === '"') {
        i++
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++
          if (text[i] === '\n') line++
          value += text[i++]
        }
        if (i >= text.length) throw new UsageError(`${file}:${start}: unterminated quoted string`)
        i++
      } else {
        while (i < text.length && !/\s/.test(text[i]!)) value += text[i++]
      }
      tokens.push({ text: value, line: start })
      if (macro === 'name') macro = 'body'
      else if (macro === 'none' && value === 'macdef') macro = 'name'
    }
  }
  return tokens
}

/** Parse netrc text into its entries, in file order. `file` names the source in errors. */
export function parseNetrc(text: string, file = 'netrc'): NetrcEntry[] {
  const tokens = tokenize(text, file)
  const entries: NetrcEntry[] = []
  let current: NetrcEntry | undefined
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    const value = () => {
      const next = tokens[++i]
      if (!next) throw new UsageError(`${file}:${token.line}: "${token.text}" needs a value`)
      return next.text
    }
    switch (token.text) {
      case 'machine':
        current = { machine: value().toLowerCase(), line: token.line }
        entries.push(current)
        break
      case 'default':
        current = { line: token.line }
        entries.push(current)
        break
      case 'login':
      case 'password':
      case 'account': {
        if (!current)
          throw new UsageError(`${file}:${token.line}: "${token.text}" before any machine or default`)
        current[token.text] = value()
        break
      }
      case 'macdef':
        value()
        break
      default:
        throw new UsageError(`${file}:${token.line}: unexpected "${token.text}"`)
    }
  }
  return entries
}

/** The credentials for a host: the first entry naming it exactly, else `default` wherever it stands. */
export function lookupNetrc(entries: NetrcEntry[], host: string): NetrcEntry | undefined {
  const wanted = host.toLowerCase()
  return entries.find((e) => e.machine === wanted) ?? entries.find((e) => e.machine === undefined)
}

/** A netrc file, read and parsed, plus a warning when others may read it. */
export async function loadNetrc(path: string): Promise<{ entries: NetrcEntry[]; warning?: string }> {
  let text: string
  let mode: number
  try {
    text = await readFile(path, 'utf8')
    mode = (await stat(path)).mode
  } catch (error) {
    throw new UsageError(
      `netrc file ${path}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`,
    )
  }
  const entries = parseNetrc(text, path)
  const warning =
    mode & 0o077
      ? `netrc file ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`
      : undefined
  return warning ? { entries, warning } : { entries }
}
