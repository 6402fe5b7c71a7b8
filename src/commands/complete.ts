import { ForkliftCommand } from '../cli/command.js'
import { complete } from '../cli/complete.js'
import { declaredNames } from '../core/declared-names.js'

export default class Complete extends ForkliftCommand {
  static override hidden = true
  static override strict = false
  static override summary =
    'Print the completions of a command line (what the shell scripts of autocomplete call)'
  static override description =
    'WORDS are the words after forklift, the last one being typed (empty after a space). Prints one candidate a line, then a last line: `:files` to offer file names instead, `:nospace` for no space after the candidate, else `:plain`. Group and phase names come from the forklift.yaml that -c names or the one here; nothing is printed on stderr and the status is 0 whatever the words are.'
  static override examples = [
    '<%= config.bin %> complete -- lift --phase ""',
    '<%= config.bin %> complete -- pod e',
  ]

  async run(): Promise<void> {
    // Raw words: they are the user's command line, not this command's flags.
    const words = this.argv[0] === '--' ? this.argv.slice(1) : this.argv
    const found = await complete(this.config, words, declaredNames).catch(() => undefined)
    const lines = found?.candidates ?? []
    const directive = found?.files ? ':files' : found?.noSpace ? ':nospace' : ':plain'
    process.stdout.write(`${[...lines, directive].join('\n')}\n`)
  }
}
