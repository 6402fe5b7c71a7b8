import { z } from 'zod'
import { NAME_PATTERN } from '../../core/config/schema.js'

const text = z.string().min(1)
const port = z.int().min(1).max(65535)

/** One static host of a node-list provider. */
const staticNode = z
  .object({
    name: text.describe('Node name, unique within its group'),
    address: text.describe('Host name or IP address'),
    port: port.optional().describe('SSH port (default 22)'),
    user: text.optional().describe('Login user for this node'),
    group: z
      .union([z.string().regex(NAME_PATTERN), z.array(z.string().regex(NAME_PATTERN)).min(1)])
      .describe('Group (or groups) the node belongs to'),
    'identity-file': text
      .optional()
      .describe('Private key file (relative to forklift.yaml, ~/ for your home)'),
  })
  .strict()

/** Settings of the node-list provider: static `nodes`, an Ansible `inventory` file, or both. */
export const nodeListSettings = z
  .object({
    nodes: z.array(staticNode).optional(),
    inventory: text
      .optional()
      .describe('Ansible inventory file, INI or YAML (relative to forklift.yaml, ~/ for your home)'),
  })
  .strict()
  .superRefine((settings, ctx) => {
    if (settings.nodes === undefined && settings.inventory === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a node-list needs `nodes`, `inventory` or both' })
    }
    const seen = new Set<string>()
    settings.nodes?.forEach((node, index) => {
      for (const group of Array.isArray(node.group) ? node.group : [node.group]) {
        const key = `${group}\0${node.name}`
        if (seen.has(key)) {
          ctx.addIssue({
            code: 'custom',
            path: ['nodes', index, 'name'],
            message: `node "${node.name}" appears twice in group "${group}"`,
          })
        }
        seen.add(key)
      }
    })
  })

/** Validated node-list settings. */
export type NodeListSettings = z.output<typeof nodeListSettings>
