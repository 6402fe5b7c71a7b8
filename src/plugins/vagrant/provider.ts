import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import pLimit from 'p-limit'
import type { GroupSpec } from '../../core/model/group.js'
import type { Node } from '../../core/model/node.js'
import { localPath } from '../../core/paths.js'
import type { Provider, ProviderContext } from '../../core/providers/types.js'
import { allocateAddresses, parseRange } from './addresses.js'
import { oneLine, ProviderError, VagrantCommandError } from './errors.js'
import {
  errorExit,
  type MachineRecord,
  type MachineStatus,
  machineStatuses,
  uiText,
} from './machine-readable.js'
import { runVagrant, type VagrantResult } from './runner.js'
import type { VagrantSettings } from './settings.js'
import { parseSshConfig, type SshEndpoint } from './ssh-config.js'
import { type MachineAddresses, machineSpec, renderVagrantfile } from './vagrantfile.js'

/** Kept in each machine folder: what the folder is, for listing without any other state. */
export const MARKER = '.forklift-node.json'

/** The contents of a machine folder's marker file. */
export interface Marker {
  name: string
  group: string
  /** Provider instance name from forklift.yaml. */
  provider: string
  createdAt: string
  addresses: MachineAddresses
}

interface Machine {
  dir: string
  marker: Marker
}

/** A machine folder and what `vagrant status` said of it. */
interface Inspected extends Machine {
  status: MachineStatus
  endpoint?: SshEndpoint
}

const DEFAULT_PRIVATE_NETWORK = '192.168.56.0/24'

/** Where a provider keeps its machine folders: `<project>/.forklift/vagrant/<group>/<name>/`. */
export function machinesRoot(projectDir: string): string {
  return join(projectDir, '.forklift', 'vagrant')
}

const nodeNumber = (name: string): number => Number(/-(\d+)$/.exec(name)?.[1] ?? 0)

/** The vagrant provider: one Vagrant machine per node, one folder per machine. */
export function createVagrantProvider(context: ProviderContext, settings: VagrantSettings): Provider {
  const root = machinesRoot(context.projectDir)
  const docker = settings.provider === 'docker' ? settings.docker : undefined
  const privateNetwork =
    docker || settings['private-network'] === false
      ? undefined
      : parseRange(settings['private-network'] ?? DEFAULT_PRIVATE_NETWORK)
  const publishedRange = docker ? parseRange(docker['ssh-address']) : undefined
  const changes = pLimit(settings.parallel)
  const reads = pLimit(Math.max(settings.parallel, 4))
  /** Folders the last listing found without a machine, per group: createNodes reuses their names. */
  const stale = new Map<string, Set<string>>()

  // A relative path to vagrant means the project's; commands run in machine folders.
  const executable = settings.vagrant.includes('/')
    ? localPath(context.projectDir, settings.vagrant)
    : settings.vagrant
  const run = (
    dir: string,
    args: string[],
    options: { signal?: AbortSignal; onRecord?: (r: MachineRecord) => void } = {},
  ) =>
    runVagrant(args, {
      executable,
      cwd: dir,
      defaultProvider: settings.provider,
      ...options,
    })

  const failure = (command: string, name: string, result: VagrantResult) =>
    new VagrantCommandError(
      command,
      name,
      result.code,
      result.signal,
      oneLine(errorExit(result.records)?.message ?? result.stderr.trim().split('\n').slice(-3).join('\n')),
    )

  /** The marker of a machine folder made by this provider instance (or by any, with `anyProvider`). */
  async function readMarker(dir: string, anyProvider = false): Promise<Marker | undefined> {
    try {
      const marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as Marker
      return anyProvider || marker.provider === context.name ? marker : undefined
    } catch {
      return undefined
    }
  }

  /**
   * Machine folders with this provider's marker, of one group or all; anything else is left alone.
   * With `anyProvider`, those of every provider instance of the project (for the addresses they hold).
   */
  async function machines(group?: string, anyProvider = false): Promise<Machine[]> {
    const groups = group ? [group] : await readdir(root).catch(() => [] as string[])
    const found: Machine[] = []
    for (const g of groups) {
      const names = await readdir(join(root, g)).catch(() => [] as string[])
      for (const name of names) {
        const dir = join(root, g, name)
        const marker = await readMarker(dir, anyProvider)
        if (marker && marker.group === g && marker.name === name) found.push({ dir, marker })
      }
    }
    return found.sort((a, b) => nodeNumber(a.marker.name) - nodeNumber(b.marker.name))
  }

  async function inspect(machine: Machine): Promise<Inspected> {
    const { name } = machine.marker
    const result = await run(machine.dir, ['status', name])
    if (result.code !== 0) throw failure('status', name, result)
    const status = machineStatuses(result.records).get(name) ?? { name }
    if (status.state !== 'running') return { ...machine, status }
    return { ...machine, status, endpoint: await sshEndpoint(machine.dir, name) }
  }

  async function sshEndpoint(dir: string, name: string): Promise<SshEndpoint> {
    const result = await run(dir, ['ssh-config', name])
    if (result.code !== 0) throw failure('ssh-config', name, result)
    const endpoint = parseSshConfig(result.stdout, name)
    if (!endpoint) throw new ProviderError(`vagrant ssh-config ${name} printed no HostName for ${name}`)
    return endpoint
  }

  function toNode(machine: Inspected): Node {
    const { marker, status, endpoint } = machine
    const tags: Record<string, string> = {}
    if (status.provider) tags['vagrant-provider'] = status.provider
    if (marker.addresses.private) tags['private-address'] = marker.addresses.private
    return {
      id: relative(context.projectDir, machine.dir).split(sep).join('/'),
      name: marker.name,
      group: marker.group,
      provider: context.name,
      transport: 'ssh',
      address: endpoint?.address ?? marker.addresses.published ?? marker.addresses.private ?? '',
      ...(endpoint?.port !== undefined ? { port: endpoint.port } : {}),
      ...(endpoint?.user ? { user: endpoint.user } : {}),
      ...(endpoint?.identityFile ? { identityFile: endpoint.identityFile } : {}),
      tags,
      ...(status.state ? { state: status.state } : {}),
      createdAt: marker.createdAt,
    }
  }

  /** Inspect machine folders; those Vagrant reports as not created are left out and remembered. */
  async function list(group?: string): Promise<Node[]> {
    const inspected = await Promise.all((await machines(group)).map((m) => reads(() => inspect(m))))
    const nodes: Node[] = []
    for (const machine of inspected) {
      const g = machine.marker.group
      if (!stale.has(g)) stale.set(g, new Set())
      if (machine.status.state === 'not_created') stale.get(g)!.add(machine.dir)
      else nodes.push(toNode(machine))
    }
    return nodes
  }

  /** Reserve folders, names and addresses for new machines and write their Vagrantfiles. */
  async function prepare(group: GroupSpec, count: number): Promise<Machine[]> {
    // A group spec this provider cannot turn into a Vagrantfile fails before anything is touched.
    machineSpec(group, `${group.name}-0`, settings, context.projectDir, {})
    if (!stale.has(group.name)) await list(group.name)
    for (const dir of stale.get(group.name) ?? []) await rm(dir, { recursive: true, force: true })
    stale.delete(group.name)

    const all = await machines(undefined, true)
    const used = all
      .flatMap((m) => [m.marker.addresses.private, m.marker.addresses.published])
      .filter(Boolean)
    const privates = privateNetwork ? allocateAddresses(privateNetwork, used as string[], count) : []
    const published = publishedRange ? allocateAddresses(publishedRange, used as string[], count) : []
    const groupDir = join(root, group.name)
    await mkdir(groupDir, { recursive: true })

    const prepared: Machine[] = []
    for (let n = 1; prepared.length < count; n++) {
      const name = `${group.name}-${n}`
      const dir = join(groupDir, name)
      try {
        await mkdir(dir)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
        throw error
      }
      const i = prepared.length
      const addresses: MachineAddresses = {
        ...(privates[i] ? { private: privates[i] } : {}),
        ...(published[i] ? { published: published[i] } : {}),
      }
      const marker: Marker = {
        name,
        group: group.name,
        provider: context.name,
        createdAt: new Date().toISOString(),
        addresses,
      }
      try {
        const spec = machineSpec(group, name, settings, context.projectDir, addresses)
        await writeFile(join(dir, 'Vagrantfile'), renderVagrantfile(spec))
        await writeFile(join(dir, MARKER), `${JSON.stringify(marker, null, 2)}\n`)
      } catch (error) {
        await rm(dir, { recursive: true, force: true })
        await Promise.all(prepared.map((m) => rm(m.dir, { recursive: true, force: true })))
        throw error
      }
      prepared.push({ dir, marker })
    }
    return prepared
  }

  /** Bring one machine up; on failure destroy what Vagrant left and remove the folder. */
  async function up(machine: Machine, signal: AbortSignal): Promise<Node> {
    const { name } = machine.marker
    const progress = (record: MachineRecord) => {
      const text = uiText(record)?.trim()
      if (text) context.log(`${name}: ${oneLine(text)}`)
    }
    try {
      const result = await run(machine.dir, ['up', name, `--provider=${settings.provider}`], {
        signal,
        onRecord: progress,
      })
      if (result.code !== 0) throw failure('up', name, result)
      const endpoint = await sshEndpoint(machine.dir, name)
      return toNode({ ...machine, status: { name, state: 'running', provider: settings.provider }, endpoint })
    } catch (error) {
      await run(machine.dir, ['destroy', '-f', name]).catch(() => undefined)
      await rm(machine.dir, { recursive: true, force: true })
      await rmdir(dirname(machine.dir)).catch(() => undefined)
      throw error
    }
  }

  async function destroy(node: Node, signal: AbortSignal): Promise<void> {
    const dir = resolve(context.projectDir, node.id)
    // Only folders this provider made (with its marker, under its root) are ever touched.
    const marker = await readMarker(dir)
    if (!marker || !dir.startsWith(root + sep)) {
      throw new ProviderError(
        `node ${node.name}: ${node.id} is not a machine folder of provider ${context.name}`,
      )
    }
    const result = await run(dir, ['destroy', '-f', marker.name], { signal })
    if (result.code !== 0) throw failure('destroy', marker.name, result)
    await rm(dir, { recursive: true, force: true })
    // The group's folder goes with its last machine (rmdir fails while others remain).
    await rmdir(dirname(dir)).catch(() => undefined)
  }

  /** Run one task per item; fail with every failure's line once all have ended. */
  async function each<T, R>(items: T[], task: (item: T) => Promise<R>): Promise<R[]> {
    const settled = await Promise.allSettled(items.map((item) => changes(() => task(item))))
    const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []))
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new ProviderError(errors.map((e) => e.message).join('; '))
    return settled.map((s) => (s as PromiseFulfilledResult<R>).value)
  }

  return {
    async listNodes({ group }) {
      return list(group)
    },
    async createNodes(group: GroupSpec, count: number, signal: AbortSignal) {
      if (count <= 0) return []
      const prepared = await prepare(group, count)
      return each(prepared, (machine) => up(machine, signal))
    },
    async destroyNodes(nodes: Node[], signal: AbortSignal) {
      await each(nodes, (node) => destroy(node, signal))
    },
  }
}
