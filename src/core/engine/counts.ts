import type { Node } from '../model/node.js'

/** What converge must do to bring a group to its count: how many to create, which to destroy (newest first). */
export function planCount(existing: Node[], desired: number): { create: number; destroy: Node[] } {
  if (existing.length <= desired) return { create: desired - existing.length, destroy: [] }
  const newestFirst = [...existing].sort((a, b) => {
    const byTime = (b.createdAt ?? '').localeCompare(a.createdAt ?? '')
    return byTime !== 0 ? byTime : b.name.localeCompare(a.name, undefined, { numeric: true })
  })
  return { create: 0, destroy: newestFirst.slice(0, existing.length - desired) }
}
