// `line`'s `match` is a POSIX extended regex, but the awks on nodes disagree at the edges: mawk
// 1.3.4 takes `{2}` literally, mawk and busybox read `[\]]` differently, and `\d` means something
// else to each. So the control side parses `match` here, refuses what is not portable, and hands
// the node one canonical form every awk reads the same way (repetitions written out). The same
// tree gives a JavaScript RegExp over bytes (latin1 strings) that predicts what the node will do.

/** A `match` that is not a portable extended regex. */
export class RegexError extends Error {}

interface CharSet {
  negated: boolean
  singles: Set<string>
  ranges: [string, string][]
  classes: string[]
}

type Node =
  | { kind: 'alt'; branches: Node[][] }
  | { kind: 'lit'; text: string }
  | { kind: 'any' }
  | { kind: 'bol' }
  | { kind: 'eol' }
  | ({ kind: 'set' } & CharSet)
  | { kind: 'rep'; atom: Node; min: number; max: number | undefined }

/** A parsed `match`: the form awk on the node reads, and the same language as a RegExp over bytes. */
export interface PortableRegex {
  awk: string
  /** Matches a latin1 string (one char per byte) exactly when awk in the C locale matches those bytes. */
  bytes: RegExp
}

// The C locale's classes, as JavaScript ranges.
const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\v\\f\\r',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
}
const SPECIAL = '.[\\()*+?{|^$'
/** What a backslash may precede in `match`: the special characters and a few harmless others. */
const ESCAPABLE = `${SPECIAL})}]/`
/** Characters that cannot end a range inside [ ] in every awk alike. */
const AWKWARD_IN_SET = ']-^[\\'
const MAX_REPEAT = 255
const MAX_AWK_LENGTH = 16384

/** Parse `source` as a portable extended regex; throws RegexError saying what is wrong and where. */
export function parseRegex(source: string): PortableRegex {
  const tree = new Parser(source).parse()
  const awk = toAwk(tree, true)
  if (awk.length > MAX_AWK_LENGTH)
    throw new RegexError(`its repetitions are too long once written out (over ${MAX_AWK_LENGTH} characters)`)
  return { awk, bytes: new RegExp(toJs(tree)) }
}

class Parser {
  private at = 0
  constructor(private readonly source: string) {}

  parse(): Node {
    const node = this.alternation()
    if (this.at < this.source.length) this.fail('unbalanced ")"')
    return node
  }

  private fail(problem: string): never {
    throw new RegexError(`${problem} at character ${this.at + 1}`)
  }

  private alternation(): Node {
    const branches: Node[][] = [this.branch()]
    while (this.source[this.at] === '|') {
      this.at++
      branches.push(this.branch())
    }
    return { kind: 'alt', branches }
  }

  private branch(): Node[] {
    const pieces: Node[] = []
    for (;;) {
      const c = this.source[this.at]
      if (c === undefined || c === '|' || c === ')') break
      pieces.push(this.piece())
    }
    if (pieces.length === 0) this.fail('an empty alternative (nothing around | or inside parentheses)')
    return pieces
  }

  private piece(): Node {
    const atom = this.atom()
    const c = this.source[this.at]
    let min: number
    let max: number | undefined
    if (c === '*') [min, max] = [0, undefined]
    else if (c === '+') [min, max] = [1, undefined]
    else if (c === '?') [min, max] = [0, 1]
    else if (c === '{') [min, max] = this.interval()
    else return atom
    if (c !== '{') this.at++
    if (atom.kind === 'bol' || atom.kind === 'eol') this.fail(`"${c}" repeats an anchor`)
    // glibc's matcher (busybox awk) and mawk disagree on `(a|^ )+x`
    if (hasAnchor(atom)) this.fail(`"${c}" repeats a group holding ^ or $, which awks read differently`)
    const next = this.source[this.at]
    if (next !== undefined && '*+?{'.includes(next))
      this.fail(`"${next}" repeats a repetition, which awks read differently (use parentheses)`)
    return { kind: 'rep', atom, min, max }
  }

  private interval(): [number, number | undefined] {
    const found = /^\{(\d{1,3})(,(\d{0,3}))?\}/.exec(this.source.slice(this.at))
    if (!found) this.fail('"{" starts no repetition such as {2} or {1,3} (write \\{ for the character)')
    const min = Number(found[1])
    const max = found[2] === undefined ? min : found[3] === '' ? undefined : Number(found[3])
    if (min > MAX_REPEAT || (max !== undefined && max > MAX_REPEAT))
      this.fail(`a repetition may count up to ${MAX_REPEAT}`)
    if (max !== undefined && max < min) this.fail(`the repetition {${min},${max}} counts down`)
    if (max === 0) this.fail('a repetition of zero times matches nothing; remove it')
    this.at += found[0].length
    return [min, max]
  }

  private atom(): Node {
    const c = String.fromCodePoint(this.source.codePointAt(this.at)!)
    if (c === '(') {
      this.at++
      if (this.at === this.source.length) this.fail('unbalanced "("')
      const inner = this.alternation()
      if (this.source[this.at] !== ')') this.fail('unbalanced "("')
      this.at++
      return inner
    }
    if ('*+?{'.includes(c)) this.fail(`"${c}" has nothing to repeat`)
    if (c === '.' || c === '^' || c === '$') {
      this.at++
      return { kind: c === '.' ? 'any' : c === '^' ? 'bol' : 'eol' }
    }
    if (c === '[') return this.set()
    if (c === '\\') {
      const next = this.source[this.at + 1]
      if (next === undefined) this.fail('a trailing backslash')
      if (!ESCAPABLE.includes(next))
        this.fail(
          `"\\${next}" means different things to different awks (a backslash may only precede one of ${ESCAPABLE})`,
        )
      this.at += 2
      return { kind: 'lit', text: next }
    }
    const code = c.codePointAt(0)!
    if (code < 0x20 || code === 0x7f) this.fail('a control character')
    if (code >= 0xd800 && code <= 0xdfff) this.fail('a lone UTF-16 surrogate')
    this.at += c.length
    return { kind: 'lit', text: c }
  }

  private set(): Node {
    const start = this.at
    this.at++
    const set: CharSet = { negated: false, singles: new Set(), ranges: [], classes: [] }
    if (this.source[this.at] === '^') {
      set.negated = true
      this.at++
    }
    let first = true
    for (;;) {
      const c = this.source[this.at]
      if (c === undefined) {
        this.at = start
        this.fail('unbalanced "["')
      }
      if (c === ']' && !first) break
      first = false
      if (c === '\\')
        this.fail('a backslash inside [ ] is read differently by each awk (put ] first and - last instead)')
      this.printable(c)
      const after = this.source[this.at + 1]
      if (c === '[' && (after === '=' || after === '.'))
        this.fail('equivalence classes and collating elements are not portable')
      if (c === '[' && after === ':') {
        const found = /^\[:([a-z]+):\]/.exec(this.source.slice(this.at))
        if (!found || CLASSES[found[1]!] === undefined) this.fail('an unknown character class')
        set.classes.push(found[1]!)
        this.at += found[0].length
        continue
      }
      const end = this.source[this.at + 2]
      if (after === '-' && end !== undefined && end !== ']') {
        if (AWKWARD_IN_SET.includes(c) || AWKWARD_IN_SET.includes(end))
          this.fail(`a range may not start or end with one of ${AWKWARD_IN_SET}`)
        this.at += 2
        this.printable(end)
        if (end < c) this.fail(`the range ${c}-${end} runs backwards`)
        set.ranges.push([c, end])
        this.at++
        continue
      }
      set.singles.add(c)
      this.at++
    }
    this.at++
    return { kind: 'set', ...set }
  }

  private printable(c: string): void {
    const code = c.charCodeAt(0)
    if (code < 0x20 || code > 0x7e) this.fail('only printable ASCII characters may stand inside [ ]')
  }
}

function hasAnchor(node: Node): boolean {
  if (node.kind === 'bol' || node.kind === 'eol') return true
  if (node.kind === 'alt') return node.branches.some((branch) => branch.some(hasAnchor))
  return node.kind === 'rep' && hasAnchor(node.atom)
}

function toAwk(node: Node, top = false): string {
  switch (node.kind) {
    case 'alt': {
      const text = node.branches.map((branch) => branch.map((piece) => toAwk(piece)).join('')).join('|')
      return top ? text : `(${text})`
    }
    case 'lit':
      if (node.text.length > 1 || node.text.charCodeAt(0) > 0x7f) return `(${node.text})`
      return SPECIAL.includes(node.text) ? `\\${node.text}` : node.text
    case 'any':
      return '.'
    case 'bol':
      return '^'
    case 'eol':
      return '$'
    case 'set':
      return awkSet(node)
    case 'rep': {
      const unit = toAwk(node.atom)
      if (node.max === undefined) return node.min === 1 ? `${unit}+` : `${unit.repeat(node.min)}${unit}*`
      return unit.repeat(node.min) + `${unit}?`.repeat(node.max - node.min)
    }
  }
}

/** A bracket expression every awk reads alike: `]` first, `-` last, `^` never first. */
function awkSet(set: CharSet): string {
  const singles = [...set.singles]
  // `[` last among the plain ones, so that it never opens `[:`, `[=` or `[.`
  const plain = singles.filter((c) => !']-^['.includes(c)).join('') + (set.singles.has('[') ? '[' : '')
  const body = [
    set.singles.has(']') ? ']' : '',
    set.classes.map((c) => `[:${c}:]`).join(''),
    set.ranges.map(([from, to]) => `${from}-${to}`).join(''),
    plain,
  ].join('')
  const caret = set.singles.has('^') ? '^' : ''
  const dash = set.singles.has('-') ? '-' : ''
  if (body === '' && caret && !set.negated) return dash ? '[-^]' : '\\^'
  return `[${set.negated ? '^' : ''}${body}${caret}${dash}]`
}

function toJs(node: Node): string {
  switch (node.kind) {
    case 'alt':
      return `(?:${node.branches.map((branch) => branch.map(toJs).join('')).join('|')})`
    case 'lit':
      return `(?:${[...Buffer.from(node.text, 'utf8')].map(hex).join('')})`
    case 'any':
      return '[\\s\\S]'
    case 'bol':
      return '^'
    case 'eol':
      return '$'
    case 'set': {
      const items = [
        ...node.classes.map((c) => CLASSES[c]),
        ...node.ranges.map(([from, to]) => `${hex(from.charCodeAt(0))}-${hex(to.charCodeAt(0))}`),
        ...[...node.singles].map((c) => hex(c.charCodeAt(0))),
      ]
      return `[${node.negated ? '^' : ''}${items.join('')}]`
    }
    case 'rep':
      return `(?:${toJs(node.atom)}){${node.min},${node.max ?? ''}}`
  }
}

const hex = (byte: number) => `\\x${byte.toString(16).padStart(2, '0')}`
