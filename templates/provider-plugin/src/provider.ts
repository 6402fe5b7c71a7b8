import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { GroupSpec, Node, Provider, ProviderContext } from 'forklift'
import type { Settings } from './settings.js'

/** What a node folder records about itself; the provider is the source of truth, so no state is kept elsewhere. */
interface Marker {
  name: string
  group: string
  createdAt: string
}

const MARKER = '.node.json'

/** A provider whose nodes are folders under `settings.root`; Forklift runs their scripts locally in them. */
export function createFolderProvider(context: ProviderContext, settings: Settings): Provider {
  const root = resolve(context.projectDir, settings.root)

  const toNode = (marker: Marker): Node => {
    const dir = join(root, marker.name)
    return {
      id: dir,
      name: marker.name,
      group: marker.group,
      provider: context.name,
      // `local` runs each phase's script on this machine with the node folder as its working folder
      // (FORKLIFT_ROOT). A provider of real machines returns `ssh` with an address, port and login.
      transport: 'local',
      address: 'localhost',
      root: dir,
      // Bootstrap is recorded on the node itself, so a node created elsewhere is still bootstrapped once.
      stateDir: join(dir, '.forklift'),
      createdAt: marker.createdAt,
      state: 'running',
    }
  }

  async function list(): Promise<Node[]> {
    const names = await readdir(root).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return []
      throw error
    })
    const nodes: Node[] = []
    for (const name of names.sort()) {
      const text = await readFile(join(root, name, MARKER), 'utf8').catch(() => null)
      // Folders without a marker are not ours: they are left alone.
      if (text !== null) nodes.push(toNode(JSON.parse(text) as Marker))
    }
    return nodes
  }

  return {
    async listNodes({ group }) {
      const nodes = await list()
      return group === undefined ? nodes : nodes.filter((n) => n.group === group)
    },

    async createNodes(group: GroupSpec, count: number, signal: AbortSignal) {
      const existing = await list()
      if (existing.length + count > settings['max-nodes']) {
        throw new Error(
          `${count} more node(s) would exceed max-nodes ${settings['max-nodes']} (${existing.length} exist)`,
        )
      }
      const taken = new Set(existing.map((n) => n.name))
      const created: Node[] = []
      for (let i = 1; created.length < count; i++) {
        // Ctrl-C: stop creating; what exists is found again by the next run.
        signal.throwIfAborted()
        const name = `${group.name}-${i}`
        if (taken.has(name)) continue
        const marker: Marker = { name, group: group.name, createdAt: new Date().toISOString() }
        await mkdir(join(root, name), { recursive: true })
        // `wx`: never take over a folder another run is creating at the same moment.
        await writeFile(join(root, name, MARKER), `${JSON.stringify(marker)}\n`, { flag: 'wx' })
        context.log(`created ${name}`)
        created.push(toNode(marker))
      }
      return created
    },

    async destroyNodes(nodes: Node[], signal: AbortSignal) {
      for (const node of nodes) {
        signal.throwIfAborted()
        const dir = join(root, node.name)
        // Only a folder that holds our marker is ever removed.
        if ((await readFile(join(dir, MARKER), 'utf8').catch(() => null)) === null) continue
        await rm(dir, { recursive: true, force: true })
        context.log(`destroyed ${node.name}`)
      }
    },
  }
}
