import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { homedir, hostname, userInfo } from 'node:os'
import { join } from 'node:path'
import type { GroupSpec } from '../../core/model/group.js'
import type { Node } from '../../core/model/node.js'
import { localPath } from '../../core/paths.js'
import type { Provider, ProviderContext } from '../../core/providers/types.js'
import type { LocalSettings } from './index.js'

const MARKER = '.forklift-node.json'

interface Marker {
  name: string
  group: string
  createdAt: string
}

/** The local provider: folder nodes under `root`, or this machine as the single node. */
export function createLocalProvider(context: ProviderContext, settings: LocalSettings): Provider {
  if (settings.root === undefined) return machineProvider(context, settings)
  const root = localPath(context.projectDir, settings.root)

  const folderNode = (dir: string, marker: Marker): Node => ({
    id: dir,
    name: marker.name,
    group: marker.group,
    provider: context.name,
    transport: 'local',
    address: 'localhost',
    root: dir,
    stateDir: join(dir, '.forklift'),
    createdAt: marker.createdAt,
    state: 'running',
  })

  async function list(): Promise<Node[]> {
    let names: string[]
    try {
      names = await readdir(root)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const nodes: Node[] = []
    for (const name of names.sort()) {
      const dir = join(root, name)
      try {
        const marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as Marker
        nodes.push(folderNode(dir, marker))
      } catch {
        // Not a node folder: anything else under root is left alone.
      }
    }
    return nodes
  }

  return {
    async listNodes({ group }) {
      const nodes = await list()
      return group ? nodes.filter((n) => n.group === group) : nodes
    },
    async createNodes(group: GroupSpec, count: number) {
      const taken = new Set((await list()).map((n) => n.name))
      const created: Node[] = []
      for (let i = 1; created.length < count; i++) {
        const name = `${group.name}-${i}`
        if (taken.has(name)) continue
        const dir = join(root, name)
        await mkdir(dir, { recursive: true })
        const marker: Marker = { name, group: group.name, createdAt: new Date().toISOString() }
        await writeFile(join(dir, MARKER), JSON.stringify(marker) + '\n', { flag: 'wx' })
        created.push(folderNode(dir, marker))
      }
      return created
    },
    async destroyNodes(nodes: Node[]) {
      for (const node of nodes) {
        // Only folders this provider made (they hold the marker) are ever removed.
        if (!node.root || !(await stat(join(node.root, MARKER)).catch(() => null))) continue
        await rm(node.root, { recursive: true, force: true })
      }
    },
  }
}

function machineProvider(context: ProviderContext, settings: LocalSettings): Provider {
  const isRoot = process.getuid?.() === 0
  return {
    async listNodes({ group }) {
      return [
        {
          id: 'localhost',
          name: hostname(),
          group: group ?? 'local',
          provider: context.name,
          transport: 'local',
          address: 'localhost',
          user: userInfo().username,
          stateDir: isRoot ? '/var/lib/forklift' : join(homedir(), '.local', 'state', 'forklift'),
          sudo: settings.sudo ?? false,
          state: 'running',
        },
      ]
    },
  }
}
