import { createHash } from 'node:crypto'
import type { GroupSpec } from '../../core/model/group.js'
import { localPath } from '../../core/paths.js'
import { boxFor, hostArchitecture, KNOWN_BOX_ARCHITECTURE, knownImages } from './boxes.js'
import { ProviderError } from './errors.js'
import { type RubyValue, rubyString, rubyValue } from './ruby.js'
import type { VagrantSettings } from './settings.js'

/** A port the host forwards to the machine. */
export interface ForwardedPort {
  guest: number
  host: number
  hostIp: string
  /** Let Vagrant pick another host port when this one is taken. */
  autoCorrect: boolean
  /** Vagrant's id for the port (`ssh` replaces its default SSH forward). */
  id?: string
  disabled?: boolean
}

/** Everything one machine's Vagrantfile says, as data. */
export interface MachineSpec {
  /** Vagrant machine name, the same as the node name. */
  name: string
  group: string
  /** Vagrant provider (virtualbox, libvirt, docker …). */
  provider: string
  box?: string
  /** config.vm.box_version: a version constraint. */
  boxVersion?: string
  /** config.vm.box_architecture (Vagrant 2.4+), written only when set. */
  boxArchitecture?: string
  hostname?: string
  memory?: number
  cpus?: number
  privateAddress?: string
  /** Hyper-V: the virtual switch of its public network (Vagrant asks for one otherwise). */
  hypervSwitch?: string
  forwardedPorts: ForwardedPort[]
  ssh: { username?: string; privateKeyPath?: string; insertKey?: boolean }
  providerOptions: Record<string, RubyValue>
  docker?: {
    /** The container's name: Vagrant's own (folder, machine, second) collides across projects and tests. */
    name: string
    image: string
    hasSsh: boolean
    createArgs: string[]
    ports: string[]
    env?: Record<string, string>
    cmd?: string[]
    privileged?: boolean
  }
}

/** Addresses handed to one machine. */
export interface MachineAddresses {
  /** Private network address (VM providers). */
  private?: string
  /** Loopback address its SSH and inbound ports are published on (docker). */
  published?: string
  /** Host port forwarded to each inbound port, by guest port (VM providers). */
  ports?: Record<string, number>
}

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i

/** Turn a group's node spec and the provider settings into one machine's spec. */
export function machineSpec(
  group: GroupSpec,
  name: string,
  settings: VagrantSettings,
  projectDir: string,
  addresses: MachineAddresses,
): MachineSpec {
  const provider = settings.provider
  const { image, hardware, network } = group.node
  const docker = provider === 'docker' ? settings.docker : undefined
  const architecture = settings['box-architecture'] ?? hostArchitecture()
  // Docker machines run docker.image; a box is used only when named (a docker box: metadata and a
  // Vagrantfile of provider settings), never from the table of VM boxes.
  const box = docker ? image.box : boxFor(image, provider, architecture)
  if (!docker && !box) {
    const what = image.os ? `os ${image.os}${image.version ? ` version ${image.version}` : ''}` : 'no os'
    const known =
      architecture === KNOWN_BOX_ARCHITECTURE
        ? `known: ${knownImages().join(', ')}`
        : `the well-known boxes are ${KNOWN_BOX_ARCHITECTURE} only, this machine would be ${architecture}`
    throw new ProviderError(
      `groups.${group.name}.image: ${what} has no well-known Vagrant box; set image.box (${known})`,
    )
  }
  const hyperv = provider === 'hyperv'
  // Hyper-V forwards no ports: the machine is reached at its own address on the switch.
  const ports = settings['forward-ports'] && !hyperv ? network['inbound-ports'] : []
  // Docker: Vagrant's own collision check for docker ignores the host address (any container with the
  // same host port counts as a collision), so the machine's ports are published by docker itself on
  // the machine's own address, and Vagrant's default SSH forward is turned off.
  const published = docker
    ? [
        `${addresses.published}:${docker['ssh-port']}:22`,
        ...ports.map((port) => `${addresses.published}:${port}:${port}`),
      ]
    : []
  const forwardedPorts: ForwardedPort[] = docker
    ? [
        {
          id: 'ssh',
          guest: 22,
          host: docker['ssh-port'],
          hostIp: addresses.published!,
          autoCorrect: false,
          disabled: true,
        },
      ]
    : ports.map((port) => ({
        guest: port,
        host: addresses.ports?.[String(port)] ?? port,
        hostIp: '127.0.0.1',
        autoCorrect: true,
      }))
  const ssh = settings.ssh ?? {}
  return {
    name,
    group: group.name,
    provider,
    ...(box ? { box } : {}),
    ...(box && settings['box-version'] ? { boxVersion: settings['box-version'] } : {}),
    ...(box && settings['box-architecture'] ? { boxArchitecture: settings['box-architecture'] } : {}),
    ...(hyperv ? { hypervSwitch: settings.hyperv.switch } : {}),
    ...(HOSTNAME.test(name) ? { hostname: name } : {}),
    memory: hardware.memory ?? hardware['min-ram'],
    cpus: hardware.cpus ?? hardware['min-cores'],
    privateAddress: addresses.private,
    forwardedPorts,
    ssh: {
      username: ssh.username,
      privateKeyPath: ssh['private-key-path'] ? localPath(projectDir, ssh['private-key-path']) : undefined,
      insertKey: ssh['insert-key'],
    },
    providerOptions: settings['provider-options'] ?? {},
    ...(docker
      ? {
          docker: {
            name: `forklift-${group.name}-${name}-${createHash('sha256').update(projectDir).digest('hex').slice(0, 10)}`,
            image: docker.image,
            hasSsh: docker['has-ssh'],
            // The label lets anyone find the containers Forklift made (`podman ps --filter label=…`).
            createArgs: [
              ...docker['create-args'],
              ...published.map((p) => `--publish=${p}`),
              `--label=forklift.node=${group.name}/${name}`,
            ],
            ports: docker.ports,
            env: docker.env,
            cmd: docker.cmd,
            privileged: docker.privileged,
          },
        }
      : {}),
  }
}

/** Provider block lines for memory and CPUs; the docker provider has no such settings. */
function hardwareLines(spec: MachineSpec): string[] {
  const lines: string[] = []
  if (spec.provider === 'docker') return lines
  if (
    spec.provider === 'vmware_desktop' ||
    spec.provider === 'vmware_fusion' ||
    spec.provider === 'vmware_workstation'
  ) {
    if (spec.memory !== undefined) lines.push(`p.vmx["memsize"] = ${rubyString(String(spec.memory))}`)
    if (spec.cpus !== undefined) lines.push(`p.vmx["numvcpus"] = ${rubyString(String(spec.cpus))}`)
    return lines
  }
  if (spec.memory !== undefined) lines.push(`p.memory = ${rubyValue(spec.memory)}`)
  if (spec.cpus !== undefined) lines.push(`p.cpus = ${rubyValue(spec.cpus)}`)
  return lines
}

function portLine(port: ForwardedPort): string {
  const parts = [
    ...(port.id ? [`id: ${rubyString(port.id)}`] : []),
    `guest: ${rubyValue(port.guest)}`,
    `host: ${rubyValue(port.host)}`,
    `host_ip: ${rubyString(port.hostIp)}`,
    `auto_correct: ${rubyValue(port.autoCorrect)}`,
    ...(port.disabled ? ['disabled: true'] : []),
  ]
  return `node.vm.network "forwarded_port", ${parts.join(', ')}`
}

/** The Vagrantfile of one machine. Every user-given value goes through rubyString/rubyValue. */
export function renderVagrantfile(spec: MachineSpec): string {
  const body: string[] = []
  if (spec.box) body.push(`node.vm.box = ${rubyString(spec.box)}`)
  if (spec.boxVersion) body.push(`node.vm.box_version = ${rubyString(spec.boxVersion)}`)
  if (spec.boxArchitecture) body.push(`node.vm.box_architecture = ${rubyString(spec.boxArchitecture)}`)
  if (spec.hostname) body.push(`node.vm.hostname = ${rubyString(spec.hostname)}`)
  // Forklift configures machines over SSH; a synced folder would only need guest tools or NFS.
  body.push('node.vm.synced_folder ".", "/vagrant", disabled: true')
  if (spec.privateAddress)
    body.push(`node.vm.network "private_network", ip: ${rubyString(spec.privateAddress)}`)
  if (spec.hypervSwitch)
    body.push(`node.vm.network "public_network", bridge: ${rubyString(spec.hypervSwitch)}`)
  body.push(...spec.forwardedPorts.map(portLine))
  if (spec.ssh.username) body.push(`node.ssh.username = ${rubyString(spec.ssh.username)}`)
  if (spec.ssh.privateKeyPath) body.push(`node.ssh.private_key_path = ${rubyString(spec.ssh.privateKeyPath)}`)
  if (spec.ssh.insertKey !== undefined) body.push(`node.ssh.insert_key = ${rubyValue(spec.ssh.insertKey)}`)

  const provider: string[] = [...hardwareLines(spec)]
  if (spec.docker) {
    const d = spec.docker
    provider.push(`p.name = ${rubyString(d.name)}`)
    provider.push(`p.image = ${rubyString(d.image)}`)
    provider.push(`p.has_ssh = ${rubyValue(d.hasSsh)}`)
    provider.push(`p.create_args = ${rubyValue(d.createArgs)}`)
    if (d.ports.length > 0) provider.push(`p.ports = ${rubyValue(d.ports)}`)
    if (d.env) provider.push(`p.env = ${rubyValue(d.env)}`)
    if (d.cmd) provider.push(`p.cmd = ${rubyValue(d.cmd)}`)
    if (d.privileged !== undefined) provider.push(`p.privileged = ${rubyValue(d.privileged)}`)
  }
  for (const [key, value] of Object.entries(spec.providerOptions))
    provider.push(`p.${key} = ${rubyValue(value)}`)

  const lines = [
    `# Written by Forklift for node ${spec.name} of group ${spec.group}.`.replace(/[^\x20-\x7e]/g, '?'),
    '# Forklift writes it when it creates the machine; edits are not carried over to new machines.',
    'Vagrant.configure("2") do |config|',
    `  config.vm.define ${rubyString(spec.name)} do |node|`,
    ...body.map((line) => `    ${line}`),
    `    node.vm.provider ${rubyString(spec.provider)} do |p|`,
    ...provider.map((line) => `      ${line}`),
    '    end',
    '  end',
    'end',
    '',
  ]
  return lines.join('\n')
}
