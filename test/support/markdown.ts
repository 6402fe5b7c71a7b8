/**
 * The fenced code blocks of a Markdown file, as CommonMark reads them: a line of three or more backticks
 * or tildes (indented up to three spaces, or inside a list item) opens a block that the same fence, at
 * least as long, closes. The info string's first word is the language.
 *
 * A block is an excerpt when the line right above its opening fence is `<!-- excerpt -->`: it is shown
 * to be read, not run, and the doc tests count it but do not run it.
 */

export interface CodeBlock {
  /** The Markdown file, as given. */
  file: string
  /** 1-based line of the opening fence. */
  line: number
  /** First word of the info string (`yaml`, `sh` …), '' when none. */
  lang: string
  /** The block's lines, the fence's indentation removed, joined with newlines (a final newline added). */
  body: string
  /** Marked `<!-- excerpt -->` just above the fence. */
  excerpt: boolean
}

const EXCERPT = /^\s*<!--\s*excerpt\s*-->\s*$/
const OPEN = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/

/** Every fenced code block of `text`, in order; an unclosed block runs to the end, as CommonMark says. */
export function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]!)
    if (!open) continue
    const indent = open[1]!.length
    const fence = open[2]!
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`)
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length && !close.test(lines[j]!); j++) {
      const line = lines[j]!
      // Content lines lose at most the fence's own indentation.
      const strip = Math.min(indent, line.length - line.trimStart().length)
      body.push(line.slice(strip))
    }
    blocks.push({
      file,
      line: i + 1,
      lang: open[3]!.toLowerCase(),
      body: body.length ? `${body.join('\n')}\n` : '',
      excerpt: i > 0 && EXCERPT.test(lines[i - 1]!),
    })
    i = j
  }
  return blocks
}
