import type { Config } from '@oclif/core'
import type { PluginInfo } from '../core/providers/registry.js'

/** The plugins oclif knows (core, user-installed and linked), with the providers each declares. */
export function pluginInfos(config: Config): PluginInfo[] {
  return config.getPluginsList().map((plugin) => {
    const declared = (plugin.pjson as { forklift?: { providers?: Record<string, string> } }).forklift
    return {
      name: plugin.name,
      version: plugin.version,
      root: plugin.root,
      providers: declared?.providers ?? {},
    }
  })
}
