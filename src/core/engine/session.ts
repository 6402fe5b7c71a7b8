import { shq } from '../actions/quote.js'
import { errorMessage } from '../errors.js'
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
    const opened = await open(session, second, options)
    // A bootstrapped node has its admin login: falling back to another one would hide that it broke.
    if (opened.bootstrapped && first === admin) {
      await opened.connection.close().catch(() => {})
      throw new TransportError(
        `the node is bootstrapped (${bootstrapMarker(session.node)} is there), but logging in as its admin user "${admin}" failed: ${errorMessage(error)}; Forklift does not fall back to "${second}" (mend the admin login, or remove the marker to bootstrap it again)`,
        'auth',
      )
    }
    Object.assign(session, opened, { user: second })
  }
}

/** Whether bootstrap ends by logging in again, as the admin login it created. */
export function switchesToAdmin(session: NodeSession): boolean {
  const admin = session.group.node.login.user
  return Boolean(admin) && admin !== session.user && session.node.transport === 'ssh'
}

/**
 * After bootstrap created the admin login, switch the session to it when it logged in as another
 * user, and only then record the bootstrap on the node, through that login (and its sudo).
 */
export async function switchToAdmin(session: NodeSession, options: ConnectOptions): Promise<void> {
  if (!switchesToAdmin(session)) return
  const admin = session.group.node.login.user!
  await session.connection?.close().catch(() => {})
  session.connection = undefined
  const opened = await open(session, admin, options).catch((error: Error) => {
    throw new Error(`cannot log in as the admin user "${admin}": ${error.message}`)
  })
  Object.assign(session, opened, { user: admin })
  const marker = bootstrapMarker(session.node)
  const folder = marker.slice(0, marker.lastIndexOf('/'))
  const script = `mkdir -p ${shq(folder)} && chmod 755 ${shq(folder)} && printf 'bootstrapped by forklift\\n' > ${shq(marker)} && chmod 644 ${shq(marker)}\n`
  const result = await session.connection!.run(script, { sudo: needsSudo(session) })
  if (result.code !== 0)
    throw new Error(
      `as the admin user "${admin}", cannot write ${marker}: ${result.stderr.trim() || `exit ${result.code}`}`,
    )
}

/** Whether scripts on this node run through sudo. */
export function needsSudo(session: NodeSession): boolean {
  if (session.node.sudo !== undefined) return session.node.sudo
  return session.node.transport === 'ssh' && session.facts?.isRoot === false
}
