import type { z } from 'zod'
import { ConfigError } from '../../core/config/errors.js'
import { readConfigText } from '../../core/config/read.js'
import type { Node } from '../../core/model/node.js'
import { localPath } from '../../core/paths.js'
import type { Provider, ProviderContext } from '../../core/providers/types.js'
import { parseAnsibleInventory } from './inventory.js'
import type { nodeListSettings } from './settings.js'

type Settings = z.infer<typeof nodeListSettings>

/** Static nodes from the settings and/or an Ansible inventory; a node may sit in several groups. */
export function createNodeListProvider(context: ProviderContext, settings: Settings): Provider {
  let cache: Promise<Node[]> | undefined

  async function all(): Promise<Node[]> {
    const nodes: Node[] = []
    for (const entry of settings.nodes ?? []) {
      const groups = Array.isArray(entry.group) ? entry.group : [entry.group]
      for (const group of groups) {
        nodes.push({
          id: `${entry.address}:${entry.port ?? 22}`,
          name: entry.name,
          group,
          provider: context.name,
          transport: 'ssh',
          address: entry.address,
          port: entry.port,
          user: entry.user,
          identityFile: entry['identity-file']
            ? localPath(context.projectDir, entry['identity-file'])
            : undefined,
          state: 'listed',
        })
      }
    }
    if (settings.inventory) {
      const file = localPath(context.projectDir, settings.inventory)
      const text = await readConfigText(file, file, 'the inventory').catch((error: NodeJS.ErrnoException) => {
        if (error instanceof ConfigError) throw error
        throw new Error(
          `providers.${context.name}.settings.inventory: cannot read ${file}: ${error.code ?? error.message}`,
        )
      })
      for (const host of parseAnsibleInventory(text, file)) {
        for (const group of host.groups) {
          nodes.push({
            id: `${host.address}:${host.port ?? 22}`,
            name: host.name,
            group,
            provider: context.name,
            transport: 'ssh',
            address: host.address,
            port: host.port,
            user: host.user,
            identityFile: host.identityFile ? localPath(context.projectDir, host.identityFile) : undefined,
            state: 'listed',
          })
        }
      }
    }
    return nodes
  }

  return {
    async listNodes({ group }) {
      cache ??= all()
      const nodes = await cache
      return group ? nodes.filter((n) => n.group === group) : nodes
    },
  }
}
