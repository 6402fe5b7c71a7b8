import type { Node } from '../model/node.js'
import { connectLocal } from './local.js'
import type { SshOptions } from './ssh.js'
import type { Connection } from './types.js'

export { connectLocal, type LocalTarget } from './local.js'
export type { SshOptions, SshTarget } from './ssh.js'
export * from './types.js'

/** How nodes are reached; only ssh nodes use these. */
export type ConnectOptions = SshOptions

/** Open a connection to a node with the transport it names. */
export async function connect(node: Node, options: ConnectOptions): Promise<Connection> {
  if (node.transport === 'local') {
    return connectLocal({ name: node.name, ...(node.root !== undefined ? { root: node.root } : {}) })
  }
  // ssh2 (~60 ms of loading) only for runs that reach a node over SSH.
  const { connectSsh } = await import('./ssh.js')
  return connectSsh(
    {
      name: node.name,
      host: node.address,
      ...(node.port ? { port: node.port } : {}),
      ...(node.user ? { user: node.user } : {}),
      ...(node.identityFile ? { identityFile: node.identityFile } : {}),
      ...(node.hostKeyFingerprints ? { hostKeyFingerprints: node.hostKeyFingerprints } : {}),
      ...(node.hostKeyAlias ? { hostKeyAlias: node.hostKeyAlias } : {}),
      ...(node.proxyCommand ? { proxyCommand: node.proxyCommand } : {}),
    },
    options,
  )
}
