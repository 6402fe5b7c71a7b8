import SSHConfig from 'ssh-config'
import { parseMachineReadable } from './machine-readable.js'

/** How to reach a machine, from `vagrant ssh-config`. */
export interface SshEndpoint {
  address: string
  port?: number
  user?: string
  identityFile?: string
  /** ProxyCommand, as vagrant-libvirt or a remote docker host gives it: the way to the machine's SSH. */
  proxyCommand?: string
}

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value

/**
 * The ssh_config text of `vagrant ssh-config` output. With `--machine-readable` Vagrant prints it
 * twice, as `ssh-config` records and as plain text: the records are used when present.
 */
export function sshConfigText(output: string): string {
  const records = parseMachineReadable(output).filter((r) => r.type === 'ssh-config')
  if (records.length > 0) return records.map((r) => r.data.join(',')).join('\n')
  return output
}

/** Read one host's endpoint from `vagrant ssh-config` output; undefined when the host is not there. */
export function parseSshConfig(output: string, host: string): SshEndpoint | undefined {
  const config = SSHConfig.parse(sshConfigText(output))
  if (!config.find({ Host: host })) return undefined
  const values = config.compute(host, { matchExec: false })
  const address = first(values.HostName)
  if (!address) return undefined
  const port = Number(first(values.Port))
  const user = first(values.User)
  const identityFile = first(values.IdentityFile)
  const proxy = values.ProxyCommand
  // The ssh-config package splits a value into words; the command is them joined again.
  const proxyCommand = Array.isArray(proxy) ? proxy.join(' ') : proxy
  return {
    address,
    ...(Number.isInteger(port) && port > 0 ? { port } : {}),
    ...(user ? { user } : {}),
    ...(identityFile ? { identityFile } : {}),
    ...(proxyCommand && proxyCommand.toLowerCase() !== 'none' ? { proxyCommand } : {}),
  }
}
