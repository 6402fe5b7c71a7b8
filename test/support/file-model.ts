import { parseRegex } from '../../src/core/actions/regex.js'

// What `line` and `file` should leave in a file, written plainly: a file is a latin1 string (one
// char per byte) or undefined when there is none. Property tests hold the shell to this model.

export type FileState = string | undefined

export interface LineSpec {
  line: string
  match?: string
  state?: 'present' | 'absent'
}

/** The latin1 form of a string's UTF-8 bytes: how a crate's string looks as bytes on the node. */
export const bytesOf = (text: string): string => Buffer.from(text, 'utf8').toString('latin1')

/** Apply one `line` action; `changed` says whether the file is rewritten. */
export function applyLine(before: FileState, spec: LineSpec): { after: FileState; changed: boolean } {
  const line = bytesOf(spec.line)
  const absent = spec.state === 'absent'
  if (before === undefined)
    return absent ? { after: before, changed: false } : { after: `${line}\n`, changed: true }
  const matcher = spec.match === undefined ? undefined : parseRegex(spec.match).bytes
  const selects = (l: string) => (matcher ? matcher.test(l) : l === line)
  const records = before === '' ? [] : (before.endsWith('\n') ? before.slice(0, -1) : before).split('\n')
  let changed = false
  let out: string[]
  if (absent) {
    out = records.filter((l) => !selects(l))
    changed = out.length !== records.length
  } else {
    const first = records.findIndex(selects)
    out = [...records]
    if (first >= 0) {
      if (records[first] !== line) changed = true
      out[first] = line
    } else if (!records.includes(line)) {
      out.push(line)
      changed = true
    }
  }
  return changed ? { after: out.map((l) => `${l}\n`).join(''), changed } : { after: before, changed }
}
