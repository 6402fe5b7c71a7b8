import { errorMessage } from './errors.js'
import type { GroupSpec } from './model/group.js'
import type { Node } from './model/node.js'
import type { Provider } from './providers/types.js'

/** One group's nodes as its provider lists them, or why they could not be listed. */
export interface GroupListing {
  group: string
  provider: string
  count?: number
  nodes: Node[]
  error?: string
}

/** List every group's nodes through its provider, groups in parallel. */
export function listGroupNodes(
  groups: GroupSpec[],
  providers: Map<string, Provider>,
): Promise<GroupListing[]> {
  return Promise.all(
    groups.map(async (group) => {
      const base = {
        group: group.name,
        provider: group.provider,
        ...(group.count !== undefined ? { count: group.count } : {}),
      }
      try {
        return { ...base, nodes: await providers.get(group.provider)!.listNodes({ group: group.name }) }
      } catch (error) {
        return { ...base, nodes: [], error: errorMessage(error) }
      }
    }),
  )
}
