import type { Node } from '../model/node.js'
import { connectLocal } from './local.js'
import { connectSsh, type SshOptions } from './ssh.js'
import type { Connection } from './types.js'

export { connectLocal, type LocalTarget } from './local.js'
export { connectSsh, type SshOptions, type SshTarget } from './ssh.js'
export * from './types.js'

/** How nodes are reached; only ssh nodes use these. */
export type ConnectOptions = SshOptions

/** Open a connection to a node with the transport it names. */
export function connect(node: Node, options: ConnectOptions): Promise<Connection> {
  if (node.transport === 'local') {
    return connectLocal({ name: node.name, ...(node.root ? { root: node.root } : {}) })
  }
  return connectSsh(
    {
      name: node.name,
      host: node.address,
      ...(node.port ? { port: node.port } : {}),
      ...(node.user ? { user: node.user } : {}),
      ...(node.identityFile ? { identityFile: node.identityFile } : {}),
      ...(node.hostKeyFingerprints ? { hostKeyFingerprints: node.hostKeyFingerprints } : {}),
    },
    options,
  )
}
