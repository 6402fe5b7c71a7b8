import { APK_PROXY_FILE } from '../actions/prelude.js'
import type { Action } from '../actions/types.js'
import { readPath } from '../crates/context.js'
import type { GroupSpec } from '../model/group.js'
import type { Facts, Node } from '../model/node.js'
import { localPath } from '../paths.js'
import { publicKeyOf } from '../transport/public-key.js'

/** Where a node records that it was bootstrapped: on the node itself, never in local state. */
export function bootstrapMarker(node: Node): string {
  return `${node.stateDir ?? '/var/lib/forklift'}/bootstrapped`
}

/** The admin login's public key, when bootstrap creates an admin: given inline, else the identity file's (its `.pub`, or derived). */
export async function adminPublicKey(group: GroupSpec, projectDir: string): Promise<string | undefined> {
  const login = group.node.login
  // Only an admin that bootstrap creates needs the key; without one, no file is read.
  if (!login.user || login.user === 'root') return undefined
  if (login['public-key']) return login['public-key'].trim()
  if (!login['identity-file']) return undefined
  try {
    return await publicKeyOf(localPath(projectDir, login['identity-file']))
  } catch (error) {
    throw new Error(
      `groups.${group.name}.login.identity-file: no public key for the admin user ${login.user}: ${(error as Error).message}`,
    )
  }
}

/**
 * The actions that make the node's package manager fetch through `proxy`: apt.conf.d for apt,
 * `proxy=` in dnf.conf or yum.conf, and for apk a file Forklift's apk commands read. A node with
 * no package manager Forklift knows is refused, since the proxy would silently do nothing there.
 */
export function packageProxyActions(proxy: string, facts: Facts): Action[] {
  switch (facts.packageManager) {
    case 'apt':
      return [
        // There already on a Debian node (ok); a folder node starts without it.
        { type: 'directory', path: '/etc/apt/apt.conf.d' },
        {
          type: 'file',
          path: '/etc/apt/apt.conf.d/01forklift-proxy',
          content: `Acquire::http::Proxy "${proxy}";\n`,
          mode: '0644',
        },
      ]
    case 'dnf':
    case 'yum':
      return [
        {
          type: 'line',
          path: facts.packageManager === 'dnf' ? '/etc/dnf/dnf.conf' : '/etc/yum.conf',
          line: `proxy=${proxy}`,
          match: '^[[:space:]]*proxy[[:space:]]*=',
        },
      ]
    case 'apk':
      return [
        { type: 'directory', path: '/etc/forklift', mode: '0755' },
        { type: 'file', path: APK_PROXY_FILE, content: `${proxy}\n`, mode: '0644' },
      ]
    default:
      throw new Error(
        'bootstrap.package-proxy is set, but the node has no package manager Forklift knows (apt, dnf, yum, apk) to give it to',
      )
  }
}

/**
 * Actions that open bootstrap: the admin login (with its key and passwordless sudo) and what the
 * environment adds (`bootstrap.package-proxy` for the node's package manager, then `bootstrap.actions`).
 */
export function bootstrapPrologue(
  group: GroupSpec,
  node: Node,
  publicKey: string | undefined,
  facts: Facts,
): Action[] {
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
  if (typeof proxy === 'string' && proxy) actions.push(...packageProxyActions(proxy, facts))
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
