import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import pLimit from 'p-limit'
import { errorMessage } from '../../core/errors.js'
import type { GroupSpec } from '../../core/model/group.js'
import type { Node } from '../../core/model/node.js'
import { localPath } from '../../core/paths.js'
import {
  type ChangePlan,
  NodesPartlyCreatedError,
  type Provider,
  type ProviderContext,
} from '../../core/providers/types.js'
import { allocate, parseRange, rangeAddresses, rangePorts } from './addresses.js'
import { withAllocationLock } from './allocation-lock.js'
import { versionSatisfies } from './boxes.js'
import { oneLine, ProviderError, VagrantCommandError } from './errors.js'
import { canListen, isHostAddress } from './host-check.js'
import {
  boxList,
  errorExit,
  type MachineRecord,
  type MachineStatus,
  machineStatuses,
  uiText,
} from './machine-readable.js'
import { runVagrant, type VagrantResult } from './runner.js'
import { parallelism, parsePortRange, type VagrantSettings } from './settings.js'
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
  /** Host port of its SSH (docker: published on its own address). */
  sshPort?: number
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

/** Boxes are added one at a time across all provider instances of the process. */
const boxes = pLimit(1)

/** Where a provider keeps its machine folders: `<project>/.forklift/vagrant/<group>/<name>/`. */
export function machinesRoot(projectDir: string): string {
  return join(projectDir, '.forklift', 'vagrant')
}

const nodeNumber = (name: string): number => Number(/-(\d+)$/.exec(name)?.[1] ?? 0)

/** States of a machine that exists but is not running: `up` starts (or resumes) it. */
const STOPPED = new Set(['poweroff', 'saved', 'stopped', 'shutoff', 'aborted', 'paused', 'suspended', 'off'])

/**
 * The name a machine's host key is kept under (HostKeyAlias): its project, folder and creation time.
 * A machine made later at the same address (VirtualBox's 127.0.0.1:2222, a docker address handed out
 * again) has another name, so it is a new host, never a changed key.
 */
export function hostKeyAlias(projectDir: string, marker: Marker): string {
  const project = createHash('sha256').update(projectDir).digest('hex').slice(0, 10)
  const created = marker.createdAt.replace(/[^0-9]/g, '')
  const safe = (part: string) => part.replace(/[^A-Za-z0-9-]/g, '-')
  return `${safe(marker.name)}.${safe(marker.group)}.${created}.${project}.vagrant.forklift`
}

/** The vagrant provider: one Vagrant machine per node, one folder per machine. */
export function createVagrantProvider(context: ProviderContext, settings: VagrantSettings): Provider {
  const root = machinesRoot(context.projectDir)
  const docker = settings.provider === 'docker' ? settings.docker : undefined
  const forwards = !docker && settings.provider !== 'hyperv' && settings['forward-ports']
  const privateNetwork =
    docker || settings.provider === 'hyperv' || settings['private-network'] === false
      ? undefined
      : parseRange(settings['private-network'] ?? DEFAULT_PRIVATE_NETWORK)
  const publishedRange = docker ? parseRange(docker['ssh-address']) : undefined
  const hostPorts = parsePortRange(settings['host-ports'])!
  const changes = pLimit(parallelism(settings))
  const reads = pLimit(4)
  const timeouts = settings.timeouts
  /** Folders the last listing found without a machine, per group: createNodes reuses their names. */
  const stale = new Map<string, Set<string>>()

  // A relative path to vagrant means the project's; commands run in machine folders.
  const executable = settings.vagrant.includes('/')
    ? localPath(context.projectDir, settings.vagrant)
    : settings.vagrant
  const run = (
    dir: string,
    args: string[],
    options: { signal?: AbortSignal | undefined; onRecord?: (r: MachineRecord) => void } = {},
  ) => {
    const limit =
      args[0] === 'up' || args[0] === 'box'
        ? timeouts.up
        : args[0] === 'destroy'
          ? timeouts.destroy
          : timeouts.command
    return runVagrant(args, {
      executable,
      cwd: dir,
      defaultProvider: settings.provider,
      timeoutMs: limit * 1000,
      graceMs: timeouts.grace * 1000,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onRecord ? { onRecord: options.onRecord } : {}),
    })
  }

  const failure = (command: string, name: string, result: VagrantResult) =>
    new VagrantCommandError(
      command,
      name,
      result.code,
      result.signal,
      oneLine(errorExit(result.records)?.message ?? result.stderr.trim().split('\n').slice(-3).join('\n')),
    )

  const progress = (name: string) => (record: MachineRecord) => {
    const text = uiText(record)?.trim()
    if (text) context.log(`${name}: ${oneLine(text)}`)
  }

  /** The marker of a machine folder made by this provider instance (or by any, with `anyProvider`). */
  async function readMarker(dir: string, anyProvider = false): Promise<Marker | undefined> {
    try {
      const marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as Marker
      return anyProvider || marker.provider === context.name ? marker : undefined
    } catch {
      return undefined
    }
  }

  const writeMarker = (dir: string, marker: Marker) =>
    writeFile(join(dir, MARKER), `${JSON.stringify(marker, null, 2)}\n`)

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

  async function status(machine: Machine, signal?: AbortSignal): Promise<MachineStatus> {
    const { name } = machine.marker
    const result = await run(machine.dir, ['status', name], { signal })
    if (result.code !== 0) throw failure('status', name, result)
    return machineStatuses(result.records).get(name) ?? { name }
  }

  /**
   * What Vagrant says of a machine. With `start`, a machine that exists but is stopped (poweroff,
   * saved, a stopped container …) is brought up first, so that it can be used.
   */
  async function inspect(machine: Machine, start: boolean, signal?: AbortSignal): Promise<Inspected> {
    const { name } = machine.marker
    let current = await status(machine, signal)
    if (start && current.state && STOPPED.has(current.state)) {
      context.log(`${name}: starting the machine (it was ${current.state})`)
      const result = await run(machine.dir, ['up', name, `--provider=${settings.provider}`], {
        signal,
        onRecord: progress(name),
      })
      if (result.code !== 0) throw failure('up', name, result)
      current = await status(machine, signal)
    }
    if (current.state !== 'running') return { ...machine, status: current }
    return { ...machine, status: current, endpoint: await sshEndpoint(machine.dir, name, signal) }
  }

  async function sshEndpoint(dir: string, name: string, signal?: AbortSignal): Promise<SshEndpoint> {
    const result = await run(dir, ['ssh-config', name], { signal })
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
    // Each forwarded inbound port, as `port-80: 127.0.0.1:20000`.
    for (const [guest, host] of Object.entries(marker.addresses.ports ?? {}))
      tags[`port-${guest}`] = `127.0.0.1:${host}`
    const port = endpoint?.port ?? marker.sshPort
    return {
      id: relative(context.projectDir, machine.dir).split(sep).join('/'),
      name: marker.name,
      group: marker.group,
      provider: context.name,
      transport: 'ssh',
      address: endpoint?.address ?? marker.addresses.published ?? marker.addresses.private ?? '',
      ...(port !== undefined ? { port } : {}),
      ...(endpoint?.user ? { user: endpoint.user } : {}),
      ...(endpoint?.identityFile ? { identityFile: endpoint.identityFile } : {}),
      ...(endpoint?.proxyCommand ? { proxyCommand: endpoint.proxyCommand } : {}),
      hostKeyAlias: hostKeyAlias(context.projectDir, marker),
      tags,
      ...(status.state ? { state: status.state } : {}),
      createdAt: marker.createdAt,
    }
  }

  /** Inspect machine folders; those Vagrant reports as not created are left out and remembered. */
  async function list(group?: string, start = false, signal?: AbortSignal): Promise<Node[]> {
    const inspected = await Promise.all(
      (await machines(group)).map((m) => reads(() => inspect(m, start, signal))),
    )
    const nodes: Node[] = []
    for (const machine of inspected) {
      const g = machine.marker.group
      if (!stale.has(g)) stale.set(g, new Set())
      if (machine.status.state === 'not_created') stale.get(g)!.add(machine.dir)
      else nodes.push(toNode(machine))
    }
    return nodes
  }

  /**
   * Reserve folders, names, addresses and host ports for new machines and write their Vagrantfiles,
   * holding the project's address lock: what other groups and processes hold (their markers) and
   * what is taken on the host (a listening port, an interface's address) is never handed out.
   */
  async function prepare(group: GroupSpec, count: number, signal: AbortSignal): Promise<Machine[]> {
    // A group spec this provider cannot turn into a Vagrantfile fails before anything is touched.
    machineSpec(group, `${group.name}-0`, settings, context.projectDir, {})
    if (!stale.has(group.name)) await list(group.name, false, signal)
    for (const dir of stale.get(group.name) ?? []) await rm(dir, { recursive: true, force: true })
    stale.delete(group.name)

    return withAllocationLock(root, async () => {
      const all = await machines(undefined, true)
      const held = (pick: (a: MachineAddresses) => (string | undefined)[]) =>
        all.flatMap((m) => pick(m.marker.addresses)).filter((a): a is string => a !== undefined)
      const inbound = forwards ? group.node.network['inbound-ports'] : []
      const sshPort = docker?.['ssh-port']
      const privates = privateNetwork
        ? await allocate(
            rangeAddresses(privateNetwork),
            held((a) => [a.private]),
            count,
            async (address) => !isHostAddress(address),
            `private-network ${privateNetwork.cidr}`,
          )
        : []
      // A docker machine's address must be free for its SSH port and each inbound port.
      const published =
        publishedRange && sshPort !== undefined
          ? await allocate(
              rangeAddresses(publishedRange),
              held((a) => [a.published]),
              count,
              async (address) => {
                for (const port of [sshPort, ...group.node.network['inbound-ports']])
                  if (!(await canListen(address, port))) return false
                return true
              },
              `docker.ssh-address ${publishedRange.cidr}`,
            )
          : []
      const ports =
        inbound.length > 0
          ? await allocate(
              rangePorts(hostPorts.first, hostPorts.last),
              all.flatMap((m) => Object.values(m.marker.addresses.ports ?? {})),
              count * inbound.length,
              (port) => canListen('127.0.0.1', port),
              `host-ports ${settings['host-ports']}`,
            )
          : []
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
        const mine = ports.slice(i * inbound.length, (i + 1) * inbound.length)
        const addresses: MachineAddresses = {
          ...(privates[i] ? { private: privates[i] } : {}),
          ...(published[i] ? { published: published[i] } : {}),
          ...(mine.length > 0
            ? { ports: Object.fromEntries(inbound.map((g, j) => [String(g), mine[j]!])) }
            : {}),
        }
        const marker: Marker = {
          name,
          group: group.name,
          provider: context.name,
          createdAt: new Date().toISOString(),
          addresses,
          ...(sshPort !== undefined ? { sshPort } : {}),
        }
        try {
          const spec = machineSpec(group, name, settings, context.projectDir, addresses)
          await writeFile(join(dir, 'Vagrantfile'), renderVagrantfile(spec))
          await writeMarker(dir, marker)
        } catch (error) {
          await rm(dir, { recursive: true, force: true })
          await Promise.all(prepared.map((m) => rm(m.dir, { recursive: true, force: true })))
          throw error
        }
        prepared.push({ dir, marker })
      }
      return prepared
    })
  }

  /** The group's box when Vagrant must fetch it by name (not a URL), else undefined. */
  function namedBox(group: GroupSpec): string | undefined {
    const box = machineSpec(group, `${group.name}-0`, settings, context.projectDir, {}).box
    return !box || /^(https?|file):/.test(box) ? undefined : box
  }

  /**
   * Whether Vagrant has the box for this provider (`vagrant box list`, run in `dir`), in a version
   * `box-version` allows, as Vagrant's own `up` would decide.
   */
  async function haveBox(box: string, dir: string, signal: AbortSignal): Promise<boolean> {
    const listed = await run(dir, ['box', 'list'], { signal })
    if (listed.code !== 0) throw failure('box list', box, listed)
    const constraint = settings['box-version']
    return boxList(listed.records).some(
      (b) =>
        b.name === box &&
        b.provider === settings.provider &&
        (!constraint || !b.version || versionSatisfies(b.version, constraint) !== false),
    )
  }

  /** The box as the log and errors name it: with its provider and version constraint. */
  const boxWanted = (box: string) =>
    `${box} for ${settings.provider}${settings['box-version'] ? ` (box-version ${settings['box-version']})` : ''}`

  /**
   * Add the group's box once, before any machine is brought up: parallel `up`s would each download
   * it, racing to write the same box folder. Boxes of all groups are added one at a time. A box is
   * there when `vagrant box list` has it for the provider in a version `box-version` allows, as
   * Vagrant's own `up` would decide.
   */
  async function addBox(group: GroupSpec, dir: string, signal: AbortSignal): Promise<void> {
    const box = namedBox(group)
    if (!box) return
    await boxes(async () => {
      if (await haveBox(box, dir, signal)) return
      context.log(`${group.name}: adding box ${boxWanted(box)}`)
      const args = ['box', 'add', box, `--provider=${settings.provider}`]
      if (settings['box-version']) args.push(`--box-version=${settings['box-version']}`)
      if (settings['box-architecture']) args.push(`--architecture=${settings['box-architecture']}`)
      const added = await run(dir, args, { signal, onRecord: progress(group.name) })
      // Already there in the version the catalogue offers: nothing to add.
      if (added.code !== 0 && errorExit(added.records)?.kind !== 'Vagrant::Errors::BoxAlreadyExists')
        throw failure('box add', boxWanted(box), added)
    })
  }

  /**
   * What createNodes and destroyNodes check before changing anything: that the image has a box and
   * that vagrant runs (`vagrant box list`, in an empty folder so that no Vagrantfile is read).
   */
  async function preflight({ group, create, destroy }: ChangePlan, signal: AbortSignal): Promise<void> {
    if (create <= 0 && destroy.length === 0) return
    const box = create > 0 ? namedBox(group) : undefined
    const dir = await mkdtemp(join(tmpdir(), 'forklift-vagrant-'))
    try {
      if (box) {
        if (!(await haveBox(box, dir, signal))) context.log(`${group.name}: would add box ${boxWanted(box)}`)
      } else {
        const listed = await run(dir, ['box', 'list'], { signal })
        if (listed.code !== 0) throw failure('box list', group.name, listed)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** Destroy what a failed `up` left. Resolves with why that failed, or undefined when it worked. */
  async function cleanUp(machine: Machine): Promise<string | undefined> {
    const { name } = machine.marker
    try {
      const result = await run(machine.dir, ['destroy', '-f', name])
      if (result.code !== 0) return failure('destroy', name, result).message
    } catch (error) {
      return errorMessage(error)
    }
    await rm(machine.dir, { recursive: true, force: true })
    await rmdir(dirname(machine.dir)).catch(() => undefined)
    return undefined
  }

  /**
   * Bring one machine up. On failure, destroy what Vagrant left and remove the folder; a machine that
   * cannot be destroyed keeps its folder (Vagrant's record of it), and the error says so by name.
   */
  async function up(machine: Machine, signal: AbortSignal): Promise<Node> {
    const { name } = machine.marker
    try {
      const result = await run(machine.dir, ['up', name, `--provider=${settings.provider}`], {
        signal,
        onRecord: progress(name),
      })
      if (result.code !== 0) throw failure('up', name, result)
      const endpoint = await sshEndpoint(machine.dir, name)
      const marker = await recordForwardedPorts(machine, signal)
      return toNode({
        ...machine,
        marker,
        status: { name, state: 'running', provider: settings.provider },
        endpoint,
      })
    } catch (error) {
      const why = await cleanUp(machine)
      if (why === undefined) throw error
      const folder = relative(context.projectDir, machine.dir).split(sep).join('/')
      throw new ProviderError(
        `${errorMessage(error)}; then destroying ${name} failed too (${why}): the machine may still exist, its folder ${folder} is kept (run \`vagrant destroy -f ${name}\` there)`,
      )
    }
  }

  /** The host ports Vagrant really forwards (VirtualBox moves a taken one), kept in the marker. */
  async function recordForwardedPorts(machine: Machine, signal: AbortSignal): Promise<Marker> {
    const planned = machine.marker.addresses.ports
    if (!planned) return machine.marker
    const result = await run(machine.dir, ['port', machine.marker.name], { signal }).catch(() => undefined)
    // Providers without `vagrant port` (vagrant-libvirt) forward the ports as written.
    if (result?.code !== 0) return machine.marker
    const actual = { ...planned }
    for (const record of result.records) {
      if (record.type !== 'forwarded_port') continue
      const [guest, host] = record.data
      if (guest && host && guest in actual) actual[guest] = Number(host)
    }
    const marker = { ...machine.marker, addresses: { ...machine.marker.addresses, ports: actual } }
    await writeMarker(machine.dir, marker)
    return marker
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

  /** Run one task per item, `parallel` at a time; settle all, then report what failed. */
  async function each<T, R>(items: T[], task: (item: T) => Promise<R>) {
    const settled = await Promise.allSettled(items.map((item) => changes(() => task(item))))
    const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []))
    const done = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
    const message = errors.map((e) => e.message).join('; ')
    return { done, errors, message }
  }

  return {
    async listNodes({ group, ready, readOnly, signal }) {
      return list(group, Boolean(ready && !readOnly), signal)
    },
    async createNodes(group: GroupSpec, count: number, signal: AbortSignal) {
      if (count <= 0) return []
      const prepared = await prepare(group, count, signal)
      try {
        await addBox(group, prepared[0]!.dir, signal)
      } catch (error) {
        await Promise.all(prepared.map((m) => rm(m.dir, { recursive: true, force: true })))
        await rmdir(join(root, group.name)).catch(() => undefined)
        throw error
      }
      const { done, errors, message } = await each(prepared, (machine) => up(machine, signal))
      if (errors.length === 0) return done
      if (done.length > 0) throw new NodesPartlyCreatedError(message, done)
      throw errors.length === 1 ? errors[0] : new ProviderError(message)
    },
    async destroyNodes(nodes: Node[], signal: AbortSignal) {
      const { errors, message } = await each(nodes, (node) => destroy(node, signal))
      if (errors.length === 1) throw errors[0]
      if (errors.length > 1) throw new ProviderError(message)
    },
    preflight,
  }
}
