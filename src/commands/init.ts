import { basename, join, resolve } from 'node:path'
import { Args, Flags } from '@oclif/core'
import { ForkliftCommand } from '../cli/command.js'
import { projectSchema } from '../cli/project-schema.js'
import { UsageError } from '../core/errors.js'
import { checkTemplateName, listTemplates, providerTypeName, writeTemplate } from '../core/scaffold.js'

export default class Init extends ForkliftCommand {
  static override summary = 'Write a starter project (or a plugin skeleton) from a template'
  static override description =
    "Writes the template's files into DIR (made if missing) with NAME in place; a starter project has a local provider whose nodes are folders, so it can be lifted at once. Nothing is written if a file would be overwritten or a file stands where a folder must go. A project name is letters, digits, dots, dashes and underscores; a plugin name is an npm package name whose provider type is lowercase letters, digits and dashes."
  static override args = { dir: Args.string({ description: 'Folder to write into', default: '.' }) }
  static override flags = {
    template: Flags.string({
      char: 't',
      description: 'Template: project or provider-plugin',
      default: 'project',
    }),
    name: Flags.string({
      description:
        'Name to use (default: the folder name); a provider plugin brings the type NAME without its scope and forklift-provider- prefix',
    }),
  }
  static override examples = [
    '<%= config.bin %> init myinfra',
    '<%= config.bin %> init --template provider-plugin forklift-provider-acme',
  ]

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Init)
    const target = resolve(args.dir)
    const templatesDir = join(this.config.root, 'templates')
    const known = await listTemplates(templatesDir)
    if (!known.includes(flags.template)) {
      throw new UsageError(`unknown template "${flags.template}"; templates: ${known.join(', ')}`)
    }
    const name = flags.name ?? basename(target)
    checkTemplateName(flags.template, name, flags.name === undefined ? 'the folder name' : '--name')
    // The starter forklift.yaml names its schema for editors; the file comes with it.
    const generated: Record<string, string> = {}
    if (flags.template === 'project') {
      const { schema } = await projectSchema(this.config)
      generated['forklift.schema.json'] = `${JSON.stringify(schema, null, 2)}\n`
    }
    const files = await writeTemplate(
      join(templatesDir, flags.template),
      target,
      { name, type: providerTypeName(name), 'forklift-version': this.config.version },
      generated,
    )
    for (const file of files) this.log(`  wrote ${file}`)
    this.log(`${flags.template} "${name}" written to ${target}`)
  }
}
