import { ConfigError } from '../../../core/config/errors.js'
import {
  HOST_VARS,
  type Inventory,
  type InventoryHost,
  KEY_VARS,
  type Locate,
  PORT_VARS,
  USER_VARS,
  type Vars,
} from './model.js'

/** Apply group nesting and variables (children override parents, hosts override groups) to each host. */
export function resolveHosts(inventory: Inventory, file: string, locate: Locate): InventoryHost[] {
  // A group that contains itself, through any chain of children, is a mistake Ansible refuses too.
  const done = new Set<string>()
  const check = (name: string, trail: string[]) => {
    if (trail.includes(name)) {
      const cycle = [...trail.slice(trail.indexOf(name)), name]
      throw new ConfigError({
        file,
        ...locate(cycle[0]!),
        message: `groups contain each other: ${cycle.join(' → ')}`,
      })
    }
    if (done.has(name)) return
    for (const child of inventory.groups.get(name)?.children ?? []) check(child, [...trail, name])
    done.add(name)
  }
  for (const name of inventory.groups.keys()) check(name, [])

  // Every group not named as a child sits directly under `all`.
  const childNames = new Set([...inventory.groups.values()].flatMap((g) => g.children))
  const all = inventory.groups.get('all')!
  for (const name of inventory.groups.keys()) {
    if (name !== 'all' && !childNames.has(name) && !all.children.includes(name)) all.children.push(name)
  }

  // Depth from `all` orders group variables: a child's override its parent's.
  const depth = new Map<string, number>()
  const parents = new Map<string, string[]>()
  const walk = (name: string, level: number) => {
    if ((depth.get(name) ?? -1) >= level) return
    depth.set(name, level)
    for (const child of inventory.groups.get(name)?.children ?? []) {
      const list = parents.get(child) ?? []
      if (!list.includes(name)) list.push(name)
      parents.set(child, list)
      walk(child, level + 1)
    }
  }
  walk('all', 0)

  const ancestors = (name: string, out: Set<string>) => {
    for (const parent of parents.get(name) ?? []) {
      if (!out.has(parent)) {
        out.add(parent)
        ancestors(parent, out)
      }
    }
  }

  const out: InventoryHost[] = []
  for (const [name, host] of [...inventory.hosts].sort((a, b) => a[1].order - b[1].order)) {
    const direct = [...inventory.groups].filter(([, g]) => g.hosts.has(name)).map(([g]) => g)
    const member = new Set(direct)
    for (const g of direct) ancestors(g, member)
    member.add('all')
    const vars: Vars = {}
    const ordered = [...member].sort(
      (a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || a.localeCompare(b),
    )
    for (const g of ordered) Object.assign(vars, inventory.groups.get(g)?.vars)
    Object.assign(vars, host.vars)

    const pick = (keys: string[]) => keys.map((k) => vars[k]).find((v) => v !== undefined)
    const groups = [...member].filter((g) => g !== 'all' && !(g === 'ungrouped' && member.size > 2))
    const port = pick(PORT_VARS) as number | undefined
    const user = pick(USER_VARS) as string | undefined
    const identityFile = pick(KEY_VARS) as string | undefined
    out.push({
      name,
      address: (pick(HOST_VARS) as string | undefined) ?? name,
      ...(port !== undefined ? { port } : {}),
      ...(user !== undefined ? { user } : {}),
      ...(identityFile !== undefined ? { identityFile } : {}),
      groups,
    })
  }
  return out
}
