import { Args } from '@oclif/core'
import { ForkliftCommand } from '../../cli/command.js'
import { podRunFlags, renderValue, runInPod } from '../../cli/pod-run.js'

export default class PodEval extends ForkliftCommand {
  static override summary = 'Evaluate JavaScript in a sandboxed pod and print the value'
  static override description =
    'The value of the last statement is printed (a promise is awaited). Code reaches its dependencies with require() or import().'
  static override args = {
    code: Args.string({ description: 'The code; - reads it from stdin', required: true }),
  }
  static override flags = podRunFlags
  static override examples = [
    `<%= config.bin %> pod eval '1 + 2'`,
    `<%= config.bin %> pod eval --dep yaml@2 "require('yaml').parse('a: 1')" --json`,
  ]

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PodEval)
    const code = args.code === '-' ? await readStdin() : args.code
    const value = await runInPod(flags, (pod) => pod.eval(code))
    this.log(renderValue(value, flags.json))
  }
}

async function readStdin(): Promise<string> {
  let text = ''
  for await (const chunk of process.stdin) text += chunk
  return text
}
