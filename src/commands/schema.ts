import { ForkliftCommand } from '../cli/command.js'
import { projectSchema } from '../cli/project-schema.js'

export default class Schema extends ForkliftCommand {
  static override summary = 'Print the JSON Schema of forklift.yaml (for editors), provider settings included'
  static override description =
    'A provider type whose plugin cannot be loaded is left out, and a line on stderr says which and why.'
  static override examples = ['<%= config.bin %> schema > forklift.schema.json']

  async run(): Promise<void> {
    await this.parse(Schema)
    const { schema, leftOut } = await projectSchema(this.config)
    this.log(JSON.stringify(schema, null, 2))
    // Still a usable schema (exit 0): forklift.yaml cannot use the missing types either.
    for (const line of leftOut) this.logToStderr(line)
  }
}
