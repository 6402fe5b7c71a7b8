import { FACTS_SCRIPT, parseFacts } from '../facts/index.js'
import type { GroupSpec } from '../model/group.js'
import type { Facts, Node } from '../model/node.js'
import { type ConnectOptions, connect } from '../transport/index.js'
import { type Connection, TransportError } from '../transport/types.js'
import { bootstrapMarker } from './bootstrap.js'

/** One node's life in a run: its connection, its facts, whether it dropped out. */
export interface NodeSession {
  node: Node
  group: GroupSpec
  /** Created by this converge run. */
  isNew: boolean
  connection?: Connection
  /** The user the connection logged in as. */
  user?: string
  facts?: Facts
  bootstrapped: boolean
  failed: boolean
  failedPhase?: string
  /** Time spent connecting (and reconnecting as the admin after bootstrap), when it succeeded. */
  connectMs?: number
  /** Phases that applied to the node but never started, because the run stopped starting new work. */
  notRun?: string[]
}

const MARKER_KEY = 'forklift_bootstrapped'

/** Connect as `user` and read facts and the bootstrap marker in one round trip. */
async function open(
  session: NodeSession,
  user: string | undefined,
  options: ConnectOptions,
): Promise<{ connection: Connection; facts: Facts; bootstrapped: boolean }> {
  const node = user ? { ...session.node, user } : session.node
  const connection = await connect(node, options)
  try {
    const marker = bootstrapMarker(session.node)
    const script = `${FACTS_SCRIPT}\n[ -e '${marker.replaceAll("'", `'\\''`)}' ] && echo ${MARKER_KEY}=1\nexit 0\n`
    const result = await connection.run(script)
    if (result.code !== 0)
      throw new Error(`fact detection failed (exit ${result.code}): ${result.stderr.trim()}`)
    const lines = result.stdout.split('\n')
    const bootstrapped = lines.includes(`${MARKER_KEY}=1`)
    const facts = parseFacts(lines.filter((l) => !l.startsWith(`${MARKER_KEY}=`)).join('\n'))
    return { connection, facts, bootstrapped }
  } catch (error) {
    await connection.close().catch(() => {})
    throw error
  }
}

/**
 * Connect a node as its admin login; when that login is refused and the provider's own login differs
 * (a node never bootstrapped), fall back to the provider's login so bootstrap can create the admin.
 */
export async function openSession(session: NodeSession, options: ConnectOptions): Promise<void> {
  const admin = session.group.node.login.user
  const initial = session.node.user
  const first = session.isNew ? (initial ?? admin) : (admin ?? initial)
  const second = first === admin ? initial : admin
  try {
    Object.assign(session, await open(session, first, options), { user: first })
  } catch (error) {
    const authRefused = error instanceof TransportError && error.kind === 'auth'
    if (!authRefused || !second || second === first) throw error
    Object.assign(session, await open(session, second, options), { user: second })
  }
}

/** After bootstrap created the admin login, switch the session to it when it logged in as another user. */
export async function switchToAdmin(session: NodeSession, options: ConnectOptions): Promise<void> {
  const admin = session.group.node.login.user
  if (!admin || admin === session.user || session.node.transport !== 'ssh') return
  await session.connection?.close().catch(() => {})
  Object.assign(session, await open(session, admin, options), { user: admin })
}

/** Whether scripts on this node run through sudo. */
export function needsSudo(session: NodeSession): boolean {
  if (session.node.sudo !== undefined) return session.node.sudo
  return session.node.transport === 'ssh' && session.facts?.isRoot === false
}
