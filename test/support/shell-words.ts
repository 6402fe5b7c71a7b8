/**
 * Enough of the POSIX shell's word splitting to read the command lines shown in docs: quotes,
 * backslashes, comments, line continuations, and the operators that separate commands (`&&`, `||`,
 * `;`, `|`, `&`) or redirect (`>`, `>>`, `<`, `2>`). No expansion is done: `$PWD` stays as written.
 */

export interface ShellCommand {
  /** `NAME=value` words before the program. */
  assignments: string[]
  /** The program and its arguments, quotes removed. */
  words: string[]
  /** Redirection targets, by operator (`>`: file). */
  redirects: { op: string; target: string }[]
  /** The source text of the line it came from. */
  line: string
}

const OPERATORS = ['&&', '||', ';', '|', '&']
const REDIRECTS = ['>>', '2>', '>', '<']

/** Split a script into simple commands; throws on an unterminated quote. */
export function shellCommands(script: string): ShellCommand[] {
  const commands: ShellCommand[] = []
  const lines = script.replace(/\\\n/g, ' ').split('\n')
  for (const line of lines) {
    let current: ShellCommand = { assignments: [], words: [], redirects: [], line }
    let pendingRedirect: string | undefined
    const flush = () => {
      if (current.words.length || current.assignments.length) commands.push(current)
      current = { assignments: [], words: [], redirects: [], line }
    }
    const addWord = (word: string, quoted: boolean) => {
      if (pendingRedirect) {
        current.redirects.push({ op: pendingRedirect, target: word })
        pendingRedirect = undefined
      } else if (!quoted && !current.words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) {
        current.assignments.push(word)
      } else current.words.push(word)
    }
    let i = 0
    while (i < line.length) {
      const c = line[i]!
      if (c === ' ' || c === '\t') {
        i++
        continue
      }
      if (c === '#') break
      const op = OPERATORS.find((o) => line.startsWith(o, i))
      const redirect = REDIRECTS.find((o) => line.startsWith(o, i))
      if (redirect && (redirect !== '2>' || line[i - 1] === ' ' || i === 0)) {
        pendingRedirect = redirect
        i += redirect.length
        continue
      }
      if (op) {
        flush()
        i += op.length
        continue
      }
      let word = ''
      let quoted = false
      while (i < line.length && !' \t'.includes(line[i]!)) {
        const ch = line[i]!
        if (ch === "'") {
          const end = line.indexOf("'", i + 1)
          if (end < 0) throw new Error(`unterminated ' in: ${line}`)
          word += line.slice(i + 1, end)
          quoted = true
          i = end + 1
        } else if (ch === '"') {
          let j = i + 1
          for (; j < line.length && line[j] !== '"'; j++) {
            if (line[j] === '\\' && j + 1 < line.length) j++
            word += line[j]
          }
          if (j >= line.length) throw new Error(`unterminated " in: ${line}`)
          quoted = true
          i = j + 1
        } else if (ch === '\\' && i + 1 < line.length) {
          word += line[i + 1]
          i += 2
        } else if (OPERATORS.some((o) => line.startsWith(o, i)) || '<>'.includes(ch)) break
        else {
          word += ch
          i++
        }
      }
      addWord(word, quoted)
    }
    flush()
  }
  return commands
}
