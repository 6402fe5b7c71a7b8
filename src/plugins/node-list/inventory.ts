import { extname } from 'node:path'
import { readIniInventory } from './inventory/ini.js'
import type { InventoryHost } from './inventory/model.js'
import { resolveHosts } from './inventory/resolve.js'
import { looksLikeYaml, readYamlInventory } from './inventory/yaml.js'

export type { InventoryHost } from './inventory/model.js'

/**
 * Parse an Ansible inventory (INI or YAML; YAML when the file is `.yml`/`.yaml` or starts like a
 * YAML map) into hosts with their address, port, user, key file and groups. Mistakes are
 * ConfigErrors naming file and line.
 */
export function parseAnsibleInventory(text: string, file: string): InventoryHost[] {
  const yaml = ['.yml', '.yaml', '.json'].includes(extname(file).toLowerCase()) || looksLikeYaml(text)
  if (!yaml) return readIniInventory(text, file)
  const { inventory, locate } = readYamlInventory(text, file)
  return resolveHosts(inventory, file, locate)
}
