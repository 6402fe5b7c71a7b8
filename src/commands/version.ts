import { Flags } from '@oclif/core'
import { ForkliftCommand } from '../cli/command.js'
import { pluginInfos } from '../cli/plugins.js'
import { showable } from '../cli/render/showable.js'

export default class Version extends ForkliftCommand {
  static override summary = 'Print the version of Forklift, of Node and of every plugin'
  static override description =
    'The first line is what --version prints: forklift/VERSION PLATFORM-ARCH node-vVERSION. Then each plugin that is not part of Forklift itself (installed or linked), with the provider types it brings. --json prints all of it, the built-in plugins too, as one object; `forklift --version --json` is the same.'
  static override flags = {
    json: Flags.boolean({
      description: 'Print one JSON object: version, node, platform, arch, plugins',
      default: false,
    }),
  }
  static override examples = [
    '<%= config.bin %> version',
    '<%= config.bin %> version --json',
    '<%= config.bin %> --version',
  ]

  async run(): Promise<void> {
    const { flags } = await this.parse(Version)
    const types = new Map(pluginInfos(this.config).map((p) => [p.name, Object.keys(p.providers)]))
    const plugins = this.config
      .getPluginsList()
      .filter((p) => p.name !== this.config.name)
      .map((p) => ({ name: p.name, version: p.version, type: p.type, providers: types.get(p.name) ?? [] }))
      .sort((a, b) => a.name.localeCompare(b.name))
    if (flags.json) {
      const about = {
        name: this.config.name,
        version: this.config.version,
        userAgent: this.config.userAgent,
        node: process.versions.node,
        platform: this.config.platform,
        arch: this.config.arch,
        providers: types.get(this.config.name) ?? [],
        plugins,
      }
      this.printJson(about)
      return
    }
    this.log(this.config.userAgent)
    // Installed and linked plugins are the ones a bug report needs named; built-in ones follow the version.
    for (const p of plugins.filter((p) => p.type !== 'core')) {
      const brings = p.providers.length ? `, providers: ${p.providers.join(', ')}` : ''
      this.log(showable(`  ${p.name} ${p.version} (${p.type}${brings})`))
    }
  }
}
