import { Flags } from '@oclif/core'
import { ForkliftCommand } from '../../cli/command.js'
import { formatTable } from '../../cli/render/format.js'
import { listPodCache } from '../../core/pods/index.js'

/** Bytes as a short size (KB, MB, GB). */
export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

export default class PodLs extends ForkliftCommand {
  static override summary = 'List the dependency sets installed in the pod cache'
  static override examples = ['<%= config.bin %> pod ls', '<%= config.bin %> pod ls --json']
  static override description =
    'Each dependency set in the pod cache ($XDG_CACHE_HOME/forklift/pods, else ~/.cache/forklift/pods) with its hash, its packages, its size on disk and when a pod last used it.'
  static override flags = { json: Flags.boolean({ description: 'Print one JSON document' }) }

  async run(): Promise<void> {
    const { flags } = await this.parse(PodLs)
    const sets = await listPodCache()
    if (flags.json) {
      this.log(
        JSON.stringify(
          sets.map((s) => ({ ...s, lastUsed: s.lastUsed.toISOString() })),
          null,
          2,
        ),
      )
      return
    }
    if (sets.length === 0) {
      this.log('no dependency sets in the pod cache')
      return
    }
    const table = [['HASH', 'PACKAGES', 'SIZE', 'LAST USED']]
    for (const set of sets) {
      const packages = set.packages.map((p) => `${p.name}@${p.version}`).join(', ') || '(none)'
      table.push([
        set.hash.slice(0, 12),
        packages,
        formatSize(set.sizeBytes),
        set.lastUsed.toISOString().slice(0, 16).replace('T', ' '),
      ])
    }
    for (const line of formatTable(table)) this.log(line)
  }
}
