import { Args } from '@oclif/core'
import { ForkliftCommand } from '../cli/command.js'
import { completionScript, SHELLS, type Shell } from '../cli/completion-scripts.js'

export default class Autocomplete extends ForkliftCommand {
  static override summary = 'Print the tab-completion script of bash, zsh or fish'
  static override description =
    "Completes commands (topics with spaces: pod eval), flags, flag values, and the group and phase names of the project's forklift.yaml (or the one -c names) as you type. Without SHELL, prints how to set it up for each shell."
  static override args = {
    shell: Args.string({ description: 'Shell to print the script of', options: [...SHELLS] }),
  }
  static override examples = [
    'source <(<%= config.bin %> autocomplete bash)   # in ~/.bashrc',
    'source <(<%= config.bin %> autocomplete zsh)    # in ~/.zshrc, after compinit',
    '<%= config.bin %> autocomplete fish > ~/.config/fish/completions/<%= config.bin %>.fish',
  ]

  async run(): Promise<void> {
    const { args } = await this.parse(Autocomplete)
    const bin = this.config.bin
    if (args.shell) {
      process.stdout.write(completionScript(args.shell as Shell, bin))
      return
    }
    this.log(`bash: add to ~/.bashrc   source <(${bin} autocomplete bash)`)
    this.log(`zsh:  add to ~/.zshrc    source <(${bin} autocomplete zsh)   (after compinit)`)
    this.log(`fish: run once           ${bin} autocomplete fish > ~/.config/fish/completions/${bin}.fish`)
  }
}
