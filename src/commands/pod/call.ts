import { Args } from '@oclif/core'
import { ForkliftCommand } from '../../cli/command.js'
import { podRunFlags, renderValue, runInPod } from '../../cli/pod-run.js'
import { errorMessage, UsageError } from '../../core/errors.js'

export default class PodCall extends ForkliftCommand {
  static override summary =
    'Import a module in a sandboxed pod, call one of its exports and print what it returns'
  static override description =
    'MODULE is a package of the pod, a file relative to one of its --path folders, or node:NAME; #EXPORT defaults to the default export. Each ARG is JSON.'
  static override strict = false
  static override args = {
    target: Args.string({ description: 'MODULE#EXPORT', required: true }),
    arg: Args.string({ description: 'Arguments, each as JSON' }),
  }
  static override flags = podRunFlags
  static override examples = [
    `<%= config.bin %> pod call --dep yaml@2 yaml#parse '"a: 1"'`,
    `<%= config.bin %> pod call --path ./lib ./math.js#add 1 2`,
  ]

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(PodCall)
    const values = (argv as string[]).slice(1).map((text, i) => {
      try {
        return JSON.parse(text) as unknown
      } catch (error) {
        throw new UsageError(`argument ${i + 1} is not JSON (${errorMessage(error)}): ${text}`)
      }
    })
    const value = await runInPod(flags, (pod) => pod.call(args.target, ...values))
    this.log(renderValue(value, flags.json))
  }
}
