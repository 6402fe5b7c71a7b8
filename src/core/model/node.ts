/** Facts detected on a node once per run, at connect. */
export interface Facts {
  os: { family: string; id: string; version: string }
  arch: string
  init: 'systemd' | 'sysvinit' | 'openrc' | 'unknown'
  packageManager: 'apt' | 'dnf' | 'yum' | 'apk' | null
  user: string
  isRoot: boolean
  hostname: string
}

/** A node as a provider reports it: plain data, enough to reach it. */
export interface Node {
  /** Provider-unique id (instance id, host:port, folder). */
  id: string
  /** Human name, unique within its group (`web-1`). */
  name: string
  group: string
  /** Provider instance name from forklift.yaml. */
  provider: string
  /** How the engine reaches it. */
  transport: 'ssh' | 'local'
  /** Address or host alias for ssh; unused for local. */
  address: string
  port?: number
  /** Login user; defaults to the group's login user, then the current user. */
  user?: string
  /** Path of a private key file for this node. */
  identityFile?: string
  /** Folder of a local node: scripts run in it (as FORKLIFT_ROOT) and action paths are kept inside it. */
  root?: string
  /** Run scripts through `sudo -n`; default: when the login is not root (ssh), never (local). */
  sudo?: boolean
  /** Where the node records that it was bootstrapped; default /var/lib/forklift. */
  stateDir?: string
  /** SHA256 fingerprints (OpenSSH `SHA256:...` form) the provider vouches for. */
  hostKeyFingerprints?: string[]
  /**
   * The name its host key is kept under in known_hosts instead of address and port (OpenSSH's
   * HostKeyAlias), for a machine whose address another machine may have had before it.
   */
  hostKeyAlias?: string
  /** A command on this host whose stdin and stdout reach the node's SSH (OpenSSH's ProxyCommand). */
  proxyCommand?: string
  /** Provider tags or labels, shown by `forklift nodes`. */
  tags?: Record<string, string>
  /** Provider-specific state (running, pending …). */
  state?: string
  /** When the provider created it (ISO string), used to destroy the newest first. */
  createdAt?: string
}
