import { resolve } from 'node:path'
import type { Command, Config } from '@oclif/core'
import type { DeclaredNames } from '../core/declared-names.js'

/** What a shell offers for the word being typed. */
export interface Completion {
  candidates: string[]
  /** Offer file names instead (the word is a path). */
  files: boolean
  /** No space after the candidate (`--count web=` then the number). */
  noSpace: boolean
}

type Flag = Command.Loadable['flags'][string]

/** Flags whose value is a group name; `count` takes GROUP=N. */
const GROUP_FLAGS = new Set(['consider'])
/** Flags and arguments whose value is a path. */
const PATH_NAMES = /^(config|env|dir|file|forklift)$|-(dir|file)$/

function optionFlag(flags: Record<string, Flag>, word: string): [string, Flag] | undefined {
  const found = word.startsWith('--')
    ? Object.entries(flags).find(([name]) => `--${name}` === word)
    : Object.entries(flags).find(([, f]) => f.char !== undefined && `-${f.char}` === word)
  return found && found[1].type === 'option' ? found : undefined
}

/** The -c/--config value among the words, else forklift.yaml, as a path. */
function configFile(words: readonly string[]): string {
  let file = 'forklift.yaml'
  words.forEach((word, i) => {
    if ((word === '-c' || word === '--config') && words[i + 1] !== undefined) file = words[i + 1]!
    else if (word.startsWith('--config=')) file = word.slice('--config='.length)
    else if (/^-c./.test(word)) file = word.slice(2)
  })
  return resolve(file)
}

/**
 * Candidates for the last of WORDS (what follows the program name, the last one being typed, maybe
 * empty): commands and topics as typed with spaces, flags, flag options, and the group and phase
 * names that forklift.yaml declares (NAMES reads them, only when needed).
 */
export async function complete(
  config: Config,
  words: readonly string[],
  names: (configFile: string) => Promise<DeclaredNames>,
): Promise<Completion> {
  const partial = words.at(-1) ?? ''
  const before = words.slice(0, -1)
  const visible = config.commands.filter((c) => !c.hidden)
  const result = (candidates: readonly string[], extra: Partial<Completion> = {}): Completion => ({
    candidates: [...new Set(candidates)].filter((c) => c.startsWith(partial)).sort(),
    files: false,
    noSpace: false,
    ...extra,
  })

  // The command: the longest run of leading words that names a topic or command.
  const path: string[] = []
  for (const word of before) {
    const id = [...path, word].join(':')
    if (word.startsWith('-') || !visible.some((c) => c.id === id || c.id.startsWith(`${id}:`))) break
    path.push(word)
  }
  const rest = before.slice(path.length)
  const command = visible.find((c) => c.id === path.join(':'))
  const subcommands = visible
    .filter((c) => path.length === 0 || c.id.startsWith(`${path.join(':')}:`))
    .map((c) => c.id.split(':')[path.length]!)
  if (!command) return result(partial.startsWith('-') ? [] : subcommands)

  const flags = command.flags
  const previous = rest.at(-1)
  const takesValue = previous === undefined ? undefined : optionFlag(flags, previous)
  if (takesValue) {
    const [name, flag] = takesValue
    if (name === 'phase') return result((await names(configFile(before))).phases)
    if (GROUP_FLAGS.has(name)) return result((await names(configFile(before))).groups)
    if (name === 'count')
      return result(
        (await names(configFile(before))).groups.map((g) => `${g}=`),
        { noSpace: true },
      )
    if (flag.type === 'option' && flag.options?.length) return result(flag.options)
    return result([], { files: PATH_NAMES.test(name) })
  }
  if (partial.startsWith('-')) {
    const used = new Set(rest)
    const offered = Object.entries(flags)
      .filter(([name, f]) => !f.hidden && (f.type === 'option' && f.multiple ? true : !used.has(`--${name}`)))
      .map(([name]) => `--${name}`)
    return result([...offered, '--help'])
  }

  // Positional words typed so far: the others are flags and their values.
  let position = 0
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!
    if (!word.startsWith('-')) position++
    else if (!word.includes('=') && optionFlag(flags, word)) i++
  }
  const args = Object.entries(command.args)
  const arg = args[Math.min(position, args.length - 1)]
  const more = position < args.length || command.strict === false
  // A command that is also a topic (hail) takes its subcommands where its first argument would go.
  const below =
    position === 0
      ? visible.filter((c) => c.id.startsWith(`${command.id}:`)).map((c) => c.id.split(':')[path.length]!)
      : []
  if (!arg || !more) return result(below)
  const [argName, argSpec] = arg
  if (argName === 'group') {
    const declared = (await names(configFile(before))).groups
    return result(declared.filter((g) => !rest.includes(g)))
  }
  if (argSpec.options?.length) return result([...argSpec.options, ...below])
  return result(below, { files: PATH_NAMES.test(argName) })
}
