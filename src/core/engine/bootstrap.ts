import { readFile } from 'node:fs/promises'
import type { Action } from '../actions/types.js'
import { readPath } from '../crates/context.js'
import type { GroupSpec } from '../model/group.js'
import type { Node } from '../model/node.js'
import { localPath } from '../paths.js'

/** Where a node records that it was bootstrapped: on the node itself, never in local state. */
export function bootstrapMarker(node: Node): string {
  return `${node.stateDir ?? '/var/lib/forklift'}/bootstrapped`
}

/** The admin login's public key: given inline, or the `.pub` beside the identity file. */
export async function adminPublicKey(group: GroupSpec, projectDir: string): Promise<string | undefined> {
  const login = group.node.login
  if (login['public-key']) return login['public-key'].trim()
  if (!login['identity-file']) return undefined
  const file = `${localPath(projectDir, login['identity-file'])}.pub`
  try {
    return (await readFile(file, 'utf8')).trim()
  } catch {
    throw new Error(`groups.${group.name}.login.identity-file: no public key at ${file} for the admin user`)
  }
}

/**
 * Actions that open bootstrap: the admin login (with its key and passwordless sudo) and what the
 * environment adds (`bootstrap.package-proxy`, `bootstrap.actions`).
 */
export function bootstrapPrologue(group: GroupSpec, node: Node, publicKey: string | undefined): Action[] {
  const actions: Action[] = []
  const admin = group.node.login.user
  if (admin && admin !== 'root' && node.transport === 'ssh') {
    actions.push({
      type: 'user',
      id: 'forklift-admin',
      name: admin,
      shell: '/bin/sh',
      sudo: true,
      ...(publicKey ? { authorizedKeys: [publicKey] } : {}),
    })
  }
  const proxy = readPath(group.environment, 'bootstrap.package-proxy')
  if (typeof proxy === 'string' && proxy) {
    // There already on a Debian node (ok); a folder node starts without it.
    actions.push({ type: 'directory', path: '/etc/apt/apt.conf.d' })
    actions.push({
      type: 'file',
      path: '/etc/apt/apt.conf.d/01forklift-proxy',
      content: `Acquire::http::Proxy "${proxy}";\n`,
      mode: '0644',
    })
  }
  const extra = readPath(group.environment, 'bootstrap.actions')
  if (Array.isArray(extra)) actions.push(...(extra as Action[]))
  return actions
}

/** The action that closes bootstrap: recorded on the node only after everything before it succeeded. */
export function bootstrapEpilogue(node: Node): Action[] {
  const marker = bootstrapMarker(node)
  return [
    { type: 'directory', path: marker.slice(0, marker.lastIndexOf('/')), mode: '0755' },
    { type: 'file', path: marker, content: 'bootstrapped by forklift\n', mode: '0644' },
  ]
}
