import { Flags } from '@oclif/core'
import { ForkliftCommand } from '../../cli/command.js'
import { UsageError } from '../../core/errors.js'
import { PodUsageError, parseAge, prunePodCache } from '../../core/pods/index.js'
import { formatSize } from './ls.js'

export default class PodPrune extends ForkliftCommand {
  static override summary = 'Remove dependency sets from the pod cache (all, or those unused for a while)'
  static override description =
    'Without --older-than every set is removed; --older-than keeps the sets a pod used within that time. A pod that needs a removed set installs it again.'
  static override flags = {
    'older-than': Flags.string({ description: 'Only sets not used for this long: 30d, 12h, 2w …' }),
    json: Flags.boolean({ description: 'Print one JSON document' }),
  }
  static override examples = ['<%= config.bin %> pod prune --older-than 30d']

  async run(): Promise<void> {
    const { flags } = await this.parse(PodPrune)
    let olderThanMs: number | undefined
    try {
      if (flags['older-than'] !== undefined) olderThanMs = parseAge(flags['older-than'])
    } catch (error) {
      if (error instanceof PodUsageError) throw new UsageError(`--older-than: ${error.message}`)
      throw error
    }
    const { removed, kept } = await prunePodCache(olderThanMs === undefined ? {} : { olderThanMs })
    if (flags.json) {
      this.log(
        JSON.stringify({ removed: removed.map((s) => s.hash), kept: kept.map((s) => s.hash) }, null, 2),
      )
      return
    }
    for (const set of removed) {
      const packages = set.packages.map((p) => `${p.name}@${p.version}`).join(', ') || '(none)'
      this.log(`removed ${set.hash.slice(0, 12)}  ${packages}`)
    }
    const freed = removed.reduce((sum, s) => sum + s.sizeBytes, 0)
    this.log(
      `${removed.length} dependency set${removed.length === 1 ? '' : 's'} removed (${formatSize(freed)}), ${kept.length} kept`,
    )
  }
}
