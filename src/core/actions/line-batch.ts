import { fileDiffOfText, tooLargeForDiff } from './diff.js'
import { shq } from './quote.js'
import { parseRegex } from './regex.js'
import type { Action, LineAction } from './types.js'

// Consecutive `line` actions on one file share one awk pass and one rewrite (the prelude's _lb):
// 2,000 lines cost one read and one write of the file, not 2,000 of each. Each action keeps its
// own status, and its own diff: the node sends the file once and, per changed action, what it did
// by record id (appended, replaced, removed); LineReplay rebuilds each step's before and after here.

/** Runs of two or more consecutive `line` actions on the same path, as [first, last] indexes. */
export function lineRuns(actions: readonly Action[]): Map<number, number> {
  const runs = new Map<number, number>()
  let i = 0
  while (i < actions.length) {
    const a = actions[i]!
    let j = i
    if (a.type === 'line') {
      while (j + 1 < actions.length) {
        const b = actions[j + 1]!
        if (b.type !== 'line' || b.path !== a.path) break
        j++
      }
    }
    if (j > i) runs.set(i, j)
    i = j + 1
  }
  return runs
}

/** Arguments per printf when writing the run's actions for awk (a builtin: no limit but readability). */
const PER_PRINTF = 300

/** The shell block of one run (between _a FIRST and _zb): the actions written for awk, then _lb. */
export function compileLineRun(actions: readonly LineAction[], first: number): string {
  const words: string[] = []
  for (const action of actions) {
    const absent = action.state === 'absent'
    if (action.match === undefined) words.push(absent ? 'a-' : 'p-')
    else words.push(absent ? 'ar' : 'pr', shq(parseRegex(action.match).awk, 'match'))
    words.push(shq(action.line ?? '', 'line'))
  }
  const printfs: string[] = []
  for (let i = 0; i < words.length; i += PER_PRINTF)
    printfs.push(`printf '%s\\n' ${words.slice(i, i + PER_PRINTF).join(' ')}`)
  let leadingAbsent = 0
  while (leadingAbsent < actions.length && actions[leadingAbsent]!.state === 'absent') leadingAbsent++
  const last = first + actions.length - 1
  return [
    `P=${shq(actions[0]!.path, 'P')} _l0=${first} _l1=${last} _lf=${first} _lm=`,
    `{\n${printfs.join('\n')}\n} >"$T/ls" || _f write`,
    `[ "$S" = failed ] || _lb ${first} ${last} ${leadingAbsent}`,
  ].join('\n')
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Whether a line (latin1: one char per byte) can be shown as text: UTF-8, no NUL. */
function textual(line: string): boolean {
  if (line.includes('\0')) return false
  // ASCII needs no decoder.
  if (!/[^\x00-\x7f]/.test(line)) return true
  try {
    utf8.decode(Buffer.from(line, 'latin1'))
    return true
  } catch {
    return false
  }
}

/** Lines of context a hunk shows, and how many more a window keeps on each side. */
const MARGIN = 10

/**
 * A file as the node's awk sees it through a run: records (latin1 strings) in order, each with the
 * id awk gave it. `base` is the file before the run (undefined: there was none; longer than the
 * diff limit: cut short, so no step can be shown).
 */
export class LineReplay {
  private lines: string[] = []
  private ids: number[] = []
  private next = 1
  /** The file's own bytes until the first rewrite (a last line may lack its newline). */
  private pristine: string | undefined
  private bytes = 0
  private opaque = 0
  private readonly cut: boolean

  constructor(
    private readonly path: string,
    base: Uint8Array | undefined,
    baseCut: boolean,
  ) {
    this.cut = baseCut
    if (base === undefined || baseCut) return
    const text = Buffer.from(base).toString('latin1')
    this.pristine = text
    const records = text === '' ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n')
    for (const record of records) this.push(record)
    this.bytes = text.length
  }

  private push(line: string): void {
    this.lines.push(line)
    this.ids.push(this.next++)
    this.bytes += line.length + 1
    if (!textual(line)) this.opaque++
  }

  private positionOf(id: number): number {
    let lo = 0
    let hi = this.ids.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const at = this.ids[mid]!
      if (at === id) return mid
      if (at < id) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }

  private text(from: number, to: number, last: boolean): string {
    const out = this.lines.slice(from, to).map((l) => `${l}\n`)
    // Before the first rewrite the file's end is its own: maybe no newline after the last line.
    if (last && this.pristine !== undefined && !this.pristine.endsWith('\n') && out.length > 0)
      out[out.length - 1] = out[out.length - 1]!.slice(0, -1)
    return out.join('')
  }

  /**
   * Apply what the node reported for one changed action (`a`, `r ID`, `d ID…`, with its line) and
   * return that step's diff, the same one a lone action would have got; undefined for a report
   * that does not fit the file as known here.
   */
  apply(edit: readonly string[], line: string): string | undefined {
    if (this.cut) return tooLargeForDiff(this.path)
    const bytes = Buffer.from(line, 'utf8').toString('latin1')
    const [kind, ...rest] = edit
    const beforeBytes = this.pristine !== undefined ? this.pristine.length : this.bytes
    const beforeOpaque = this.opaque
    const length = this.lines.length
    let from: number
    let to: number
    let after: () => void
    if (kind === 'a') {
      from = Math.max(0, length - MARGIN)
      to = length
      after = () => this.push(bytes)
    } else if (kind === 'r') {
      const at = this.positionOf(Number(rest[0]))
      if (at < 0) return this.lost()
      from = Math.max(0, at - MARGIN)
      to = Math.min(length, at + 1 + MARGIN)
      after = () => {
        const old = this.lines[at]!
        this.bytes += bytes.length - old.length
        if (!textual(old)) this.opaque--
        if (!textual(bytes)) this.opaque++
        this.lines[at] = bytes
      }
    } else if (kind === 'd' && rest.length > 0) {
      const positions = rest.map(Number).map((id) => this.positionOf(id))
      if (positions.some((p) => p < 0)) return this.lost()
      positions.sort((a, b) => a - b)
      from = Math.max(0, positions[0]! - MARGIN)
      to = Math.min(length, positions.at(-1)! + 1 + MARGIN)
      after = () => {
        for (const p of positions.reverse()) {
          const old = this.lines[p]!
          this.bytes -= old.length + 1
          if (!textual(old)) this.opaque--
          this.lines.splice(p, 1)
          this.ids.splice(p, 1)
        }
      }
    } else {
      return this.lost()
    }
    // The first rewrite of a file whose last line had no newline also changes that last line.
    if (this.pristine !== undefined && !this.pristine.endsWith('\n')) to = length
    const before = this.text(from, to, to === length)
    const wasPristine = this.pristine
    if (wasPristine !== undefined) this.bytes = this.lines.reduce((n, l) => n + l.length + 1, 0)
    this.pristine = undefined
    after()
    const grown = this.lines.length - length
    const window = this.text(from, to + grown, to + grown === this.lines.length)
    return fileDiffOfText(this.path, {
      before,
      after: window,
      offset: from,
      beforeBytes,
      afterBytes: this.bytes,
      opaque: beforeOpaque > 0 || this.opaque > 0,
    })
  }

  private lost(): undefined {
    return undefined
  }
}
