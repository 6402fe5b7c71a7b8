import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import pLimit from 'p-limit'
import ssh2, { type ClientChannel } from 'ssh2'
import { errorMessage } from '../errors.js'
import { type AuthLog, authAttempts, authHandler, defaultIdentityFiles, describeAuthFailure } from './auth.js'
import {
  checkHostKey,
  entriesFor,
  fingerprintOf,
  hostField,
  type KnownHostEntry,
  keyTypeOf,
  normalizeFingerprint,
  readKnownHosts,
  recordHostKey,
} from './known-hosts.js'
import { collector, killCommand, PID_LINE, shellCommand, sudoRefusal } from './output.js'
import { proxyCommandSocket } from './proxy-command.js'
import { jumpChain, loadSshConfig, type ResolvedHost, resolveHost } from './ssh-config.js'
import { ABORT_GRACE_MS, type Connection, type ExecResult, type RunOptions, TransportError } from './types.js'

/** Which node to reach; `host` may be an alias from the ssh config. */
export interface SshTarget {
  /** Node name, used in every message. */
  name: string
  host: string
  port?: number
  user?: string
  identityFile?: string
  /** `SHA256:…` fingerprints a provider vouches for. */
  hostKeyFingerprints?: string[]
  /** The name the host key is recorded and looked up under (as OpenSSH's HostKeyAlias), beating the config's. */
  hostKeyAlias?: string
  /** A command whose stdin and stdout carry the connection (as OpenSSH's ProxyCommand), instead of TCP. */
  proxyCommand?: string
}

export interface SshOptions {
  /** Default ~/.ssh/config; a missing file is an empty config. */
  sshConfigFile?: string
  /**
   * The user's known_hosts files when the ssh config sets no UserKnownHostsFile; default
   * ~/.ssh/known_hosts and ~/.ssh/known_hosts2, as OpenSSH.
   */
  knownHostsFiles?: string[]
  /**
   * The global known_hosts files when the ssh config sets no GlobalKnownHostsFile; default
   * /etc/ssh/ssh_known_hosts and /etc/ssh/ssh_known_hosts2, as OpenSSH. Both sets are always read.
   */
  globalKnownHostsFiles?: string[]
  /** Forklift's own known_hosts file: trusted, and where accepted new keys are recorded. */
  forkliftKnownHosts: string
  /**
   * Record unknown host keys in forkliftKnownHosts instead of refusing them (also done for hosts whose
   * ssh config says StrictHostKeyChecking accept-new or no). A host whose ssh config says
   * StrictHostKeyChecking yes never has a key recorded; a changed or revoked key is refused regardless.
   */
  acceptNewHostKeys: boolean
  /** Default 10000 (or the config's ConnectTimeout). */
  connectTimeoutMs?: number
  /** Default 5000; three unanswered keepalives end the connection. */
  keepaliveIntervalMs?: number
  /** ssh-agent socket; default SSH_AUTH_SOCK; false for none. */
  agent?: string | false
  /** Identity files tried last; default those of ~/.ssh/id_{ed25519,ecdsa,rsa} that exist. */
  identityFiles?: string[]
}

/**
 * Send a signal to the channel's process group (sshd: killpg). ssh2's `channel.signal` sends nothing
 * once the channel's input is ended, as ours is once the script is written; the request itself is
 * valid until the channel closes, so it goes through ssh2's protocol layer.
 */
function signalChannel(channel: ClientChannel, name: 'TERM' | 'KILL'): void {
  const inner = channel as unknown as {
    outgoing?: { id?: number; state?: string }
    _client?: { _protocol?: { signal?(id: number, name: string): void } }
  }
  const protocol = inner._client?._protocol
  const state = inner.outgoing?.state
  if ((state === 'open' || state === 'eof') && inner.outgoing?.id !== undefined && protocol?.signal)
    protocol.signal(inner.outgoing!.id!, name)
  else channel.signal(name)
}

/** Scripts running at once on one connection (sshd's MaxSessions defaults to 10). */
const MAX_CHANNELS = 8

const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
}

/** `name (user@host:port)`, the way every message names a node. */
function describe(name: string, host: ResolvedHost): string {
  return `${name} (${host.user}@${host.hostname}:${host.port})`
}

/** Prefer the key types already known for the host, as ssh does, so a known host is not asked for another type. */
function hostKeyOrder(known: KnownHostEntry[]): string[] {
  const all = Object.values(HOST_KEY_ALGORITHMS).flat()
  const preferred = [
    ...new Set(known.filter((e) => !e.marker).flatMap((e) => HOST_KEY_ALGORITHMS[e.keyType] ?? [])),
  ]
  return [...preferred, ...all.filter((a) => !preferred.includes(a))]
}

interface HopContext {
  label: string
  host: ResolvedHost
  sock?: Duplex
  identityFile?: string
  fingerprints?: string[]
}

function mapConnectError(
  error: Error & { level?: string; code?: string },
  ctx: HopContext,
  timeoutMs: number,
) {
  const { label, host } = ctx
  switch (error.code) {
    case 'ECONNREFUSED':
      return new TransportError(
        `${label}: connection refused (nothing listens on port ${host.port})`,
        'refused',
      )
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TransportError(`${label}: cannot resolve host name ${host.hostname}`, 'unreachable')
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TransportError(`${label}: host unreachable (${error.code})`, 'unreachable')
    case 'ETIMEDOUT':
      return new TransportError(`${label}: connection timed out`, 'timeout')
    case 'ECONNRESET':
    case 'EPIPE':
      return new TransportError(`${label}: connection closed by the node during the SSH handshake`, 'dropped')
  }
  if (error.level === 'client-timeout') {
    return new TransportError(
      `${label}: timed out after ${timeoutMs} ms waiting for an SSH answer`,
      'timeout',
    )
  }
  return new TransportError(`${label}: ${error.message}`, 'other')
}

/** Connect one hop (a jump host or the node), verifying its host key and logging in. */
async function openClient(ctx: HopContext, options: SshOptions): Promise<ssh2.Client> {
  const { label, host } = ctx
  const lookupName = host.hostKeyAlias ?? host.hostname
  // As OpenSSH: a HostKeyAlias is the whole name on file, with no port.
  const keyPort = host.hostKeyAlias ? 22 : host.port
  // As OpenSSH: the user's files and the global ones are both read (@revoked lines count from either);
  // each keyword replaces only its own defaults.
  const knownFiles = [
    ...(host.knownHostsFiles ??
      options.knownHostsFiles ?? [
        join(homedir(), '.ssh', 'known_hosts'),
        join(homedir(), '.ssh', 'known_hosts2'),
      ]),
    ...(host.globalKnownHostsFiles ??
      options.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']),
    options.forkliftKnownHosts,
  ]
  const all = await readKnownHosts(knownFiles).catch((error: Error) => {
    throw new TransportError(`${label}: cannot read known hosts: ${error.message}`, 'other')
  })
  const known = entriesFor(all, lookupName, keyPort)
  // StrictHostKeyChecking yes in the ssh config is the user's word for this host: it beats the flag.
  const strict = host.strictHostKeyChecking === 'yes'
  const acceptNew =
    !strict &&
    (options.acceptNewHostKeys ||
      host.strictHostKeyChecking === 'accept-new' ||
      host.strictHostKeyChecking === 'no')
  const agent = options.agent === false ? undefined : (options.agent ?? process.env.SSH_AUTH_SOCK)
  const onlyGiven = host.identitiesOnly && (ctx.identityFile !== undefined || host.identityFiles.length > 0)
  const { attempts, skipped } = await authAttempts(
    host.user,
    {
      ...(ctx.identityFile ? { nodeIdentityFile: ctx.identityFile } : {}),
      configIdentityFiles: host.identityFiles,
      ...(agent && !onlyGiven ? { agent } : {}),
      defaultIdentityFiles: onlyGiven ? [] : (options.identityFiles ?? defaultIdentityFiles()),
    },
    label,
  )
  if (attempts.length === 0) {
    const why = skipped.length ? ` (skipped: ${skipped.join('; ')})` : ''
    throw new TransportError(
      `${label}: no key to log in with: give the node an identity file, add one to the ssh config or start ssh-agent${why}`,
      'auth',
    )
  }

  const timeoutMs = options.connectTimeoutMs ?? host.connectTimeoutMs ?? 10_000
  const authLog: AuthLog = { tried: [] }
  let hostKeyProblem: TransportError | undefined

  const verify = async (key: Buffer): Promise<void> => {
    const offered = `${keyTypeOf(key)} ${fingerprintOf(key)}`
    const result = checkHostKey(known, key)
    if (result.status === 'revoked') {
      throw new TransportError(
        `${label}: host key ${offered} is marked @revoked in ${result.entry.file}:${result.entry.line}; refusing it`,
        'host-key-revoked',
      )
    }
    if (result.status === 'changed') {
      const expected = result.expected[0]!
      // A key of another type than the one on file is a changed key too, never a new one.
      const type = expected.keyType === keyTypeOf(key) ? '' : `${expected.keyType} `
      throw new TransportError(
        `${label}: HOST KEY CHANGED: offered ${offered}, expected ${type}${fingerprintOf(expected.key)} from ` +
          `${expected.file}:${expected.line}; if the node was rebuilt, remove that line ` +
          `(ssh-keygen -R '${hostField(lookupName, keyPort)}' -f ${expected.file}) and connect again`,
        'host-key-changed',
      )
    }
    if (result.status === 'known') return
    const vouched = (ctx.fingerprints ?? []).map(normalizeFingerprint)
    if (vouched.includes(fingerprintOf(key))) return
    if (vouched.length > 0) {
      throw new TransportError(
        `${label}: host key ${offered} is not one the provider vouches for (${vouched.join(', ')}); refusing it`,
        'host-key-changed',
      )
    }
    if (result.status === 'certificate') {
      const { file, line } = result.authority
      throw new TransportError(
        `${label}: host key ${offered} is not on file, and ${file}:${line} (@cert-authority) expects a host ` +
          'certificate: Forklift does not support host certificates; add the host’s own key to a known_hosts file',
        'host-key-unknown',
      )
    }
    if (strict) {
      throw new TransportError(
        `${label}: host key unknown (${offered}) and the ssh config sets StrictHostKeyChecking yes for ` +
          'this host: add the key to a known_hosts file once checked',
        'host-key-unknown',
      )
    }
    if (!acceptNew) {
      throw new TransportError(
        `${label}: host key unknown (${offered}); check it and run again with --accept-new-host-keys ` +
          `to record it in ${options.forkliftKnownHosts}`,
        'host-key-unknown',
      )
    }
    await recordHostKey(options.forkliftKnownHosts, lookupName, keyPort, key)
  }

  return new Promise((resolve, reject) => {
    const client = new ssh2.Client()
    let settled = false
    const fail = (error: TransportError) => {
      if (settled) return
      settled = true
      client.end()
      reject(error)
    }
    client.on('ready', () => {
      if (settled) return
      settled = true
      // A script is a few small packets (open, exec, data, EOF): Nagle would hold each behind a delayed ACK.
      client.setNoDelay(true)
      resolve(client)
    })
    client.on('error', (error: Error & { level?: string; code?: string }) => {
      if (hostKeyProblem) return fail(hostKeyProblem)
      if (error.level === 'client-authentication') {
        const why = describeAuthFailure(authLog, skipped)
        return fail(new TransportError(`${label}: authentication failed as ${host.user}; ${why}`, 'auth'))
      }
      fail(mapConnectError(error, ctx, timeoutMs))
    })
    client.on('close', () => {
      fail(
        hostKeyProblem ?? new TransportError(`${label}: connection closed before SSH was ready`, 'dropped'),
      )
    })
    client.connect({
      host: host.hostname,
      port: host.port,
      username: host.user,
      ...(ctx.sock ? { sock: ctx.sock } : {}),
      readyTimeout: timeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs ?? 5000,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: hostKeyOrder(known) as never },
      hostVerifier: (key: Buffer, callback: (ok: boolean) => void) => {
        verify(key).then(
          () => callback(true),
          (error: unknown) => {
            hostKeyProblem =
              error instanceof TransportError
                ? error
                : new TransportError(`${label}: cannot record host key: ${errorMessage(error)}`, 'other')
            callback(false)
          },
        )
      },
      authHandler: authHandler(attempts, authLog),
    })
  })
}

/** Open a tunnel from `via` to host:port, as ssh's ProxyJump does (direct-tcpip). */
function forward(via: ssh2.Client, host: ResolvedHost, label: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, host.hostname, host.port, (error, stream) => {
      if (!error) return resolve(stream)
      const reason = (error as Error & { reason?: string }).message
      const kind = /refused/i.test(reason) ? 'refused' : 'unreachable'
      reject(
        new TransportError(
          `${label}: the jump host could not reach ${host.hostname}:${host.port} (${reason})`,
          kind,
        ),
      )
    })
  })
}

/**
 * Open one SSH connection to a node (through its ProxyJump hosts, if any), verifying host keys
 * against known_hosts files and the provider's fingerprints. Scripts run over it one exec channel each.
 */
export async function connectSsh(target: SshTarget, options: SshOptions): Promise<Connection> {
  const config = await loadSshConfig(options.sshConfigFile ?? join(homedir(), '.ssh', 'config'))
  const explicit = {
    ...(target.port ? { port: target.port } : {}),
    ...(target.user ? { user: target.user } : {}),
  }
  const resolved = resolveHost(config, target.host, explicit)
  const host = target.hostKeyAlias ? { ...resolved, hostKeyAlias: target.hostKeyAlias } : resolved
  const label = describe(target.name, host)
  // A node's own ProxyCommand replaces the config's jump hosts, as ssh's -o ProxyCommand does.
  const chain = target.proxyCommand ? [] : jumpChain(config, host)

  const clients: ssh2.Client[] = []
  const proxy = target.proxyCommand ? proxyCommandSocket(target.proxyCommand, host) : undefined
  let sock: Duplex | undefined = proxy?.socket
  try {
    for (const [i, hop] of chain.entries()) {
      const hopLabel = `${label} via jump host ${describe(hop.alias, hop)}`
      clients.push(await openClient({ label: hopLabel, host: hop, ...(sock ? { sock } : {}) }, options))
      const next = chain[i + 1] ?? host
      sock = await forward(clients[clients.length - 1]!, next, hopLabel)
    }
    clients.push(
      await openClient(
        {
          label,
          host,
          ...(sock ? { sock } : {}),
          ...(target.identityFile ? { identityFile: target.identityFile } : {}),
          ...(target.hostKeyFingerprints ? { fingerprints: target.hostKeyFingerprints } : {}),
        },
        options,
      ),
    )
  } catch (error) {
    for (const client of clients.reverse()) client.end()
    // A ProxyCommand that failed is the reason the connection did: say what it said.
    proxy?.socket.destroy()
    const why = await proxy?.failure
    if (why) throw new TransportError(`${label}: ${why}`, 'unreachable')
    throw error
  }
  return sshConnection(clients, host, label)
}

function sshConnection(clients: ssh2.Client[], host: ResolvedHost, label: string): Connection {
  const client = clients[clients.length - 1]!
  let channels = 0
  let closed = false
  let closing = false
  let lastError: string | undefined
  const active = new Set<(error: TransportError) => void>()

  const dropped = () => {
    const why = lastError ? ` (${lastError})` : ''
    return new TransportError(`${label}: connection dropped while running a script${why}`, 'dropped')
  }
  client.on('error', (error: Error) => {
    lastError = error.message
  })
  client.on('close', () => {
    closed = true
    const error = closing
      ? new TransportError(`${label}: connection closed while running a script`, 'dropped')
      : dropped()
    for (const abort of active) abort(error)
    for (const other of clients) other.end()
  })

  const runNow = (script: string, options: RunOptions = {}): Promise<ExecResult> => {
    if (closed) {
      const why = closing ? 'connection is closed' : `connection dropped${lastError ? ` (${lastError})` : ''}`
      return Promise.reject(new TransportError(`${label}: ${why}`, 'dropped'))
    }
    if (options.signal?.aborted) return Promise.reject(new TransportError(`${label}: aborted`, 'aborted'))
    const sudo = Boolean(options.sudo) && host.user !== 'root'
    channels++
    return new Promise<ExecResult>((resolve, reject) => {
      const stdout = collector(options.onStdout)
      const stderr = collector()
      let exit: { code: number | null; signal?: string } | undefined
      let channel: ClientChannel | undefined
      let settled = false
      let aborting = false
      let killer: NodeJS.Timeout | undefined
      // A drop mid-script keeps what came back, so the caller can tell which actions ran.
      const withOutput = (error: TransportError) =>
        error.kind === 'dropped'
          ? new TransportError(error.message, 'dropped', { stdout: stdout.text(), stderr: stderr.text() })
          : error
      const finish = (error?: TransportError) => {
        if (settled) return
        settled = true
        clearTimeout(killer)
        active.delete(finish)
        options.signal?.removeEventListener('abort', onAbort)
        if (error) return reject(withOutput(error))
        if (!exit) return reject(withOutput(dropped()))
        const result: ExecResult = { stdout: stdout.text(), stderr: stderr.text(), code: exit.code }
        if (exit.signal) result.signal = exit.signal
        const refusal = sudo ? sudoRefusal(result, label, host.user) : undefined
        if (refusal) return reject(refusal)
        resolve(result)
      }
      // The script's process group, from its first stderr line (see shellCommand).
      let pid: number | undefined
      let head: Buffer | undefined = Buffer.alloc(0)
      const onStderr = (chunk: Buffer) => {
        if (!head) return stderr.push(chunk)
        head = Buffer.concat([head, chunk])
        const end = head.indexOf(10)
        if (end < 0 && head.length < 64) return
        const match = new RegExp(`^${PID_LINE} (\\d+)$`).exec(head.subarray(0, end).toString('latin1'))
        const rest = match ? head.subarray(end + 1) : head
        if (match) pid = Number(match[1])
        head = undefined
        if (rest.length) stderr.push(rest)
      }
      // The script ends, its group signalled on a channel of its own (sshd passes on a channel's signal
      // only in privilege separation, never for a root login); the channel's signal is the fallback.
      const signalScript = (name: 'TERM' | 'KILL'): Promise<void> => {
        if (pid === undefined || closed) {
          if (channel) signalChannel(channel, name)
          return Promise.resolve()
        }
        const command = killCommand(pid, name, sudo)
        return new Promise((done) => {
          client.exec(command, (error, stream) => {
            if (error) return done()
            stream.on('close', () => done())
            stream.resume()
            stream.stderr.resume()
            stream.end()
          })
        })
      }
      // An abort asks the script to end (SIGTERM to its process group: its trap removes its temp folder,
      // sudo passes it on), then kills it; the channel is closed only then, as sshd ends no process itself.
      const aborted = () => new TransportError(`${label}: aborted`, 'aborted')
      const onAbort = () => {
        aborting = true
        if (!channel) return finish(aborted())
        void signalScript('TERM')
        killer = setTimeout(() => {
          void signalScript('KILL').then(() => {
            channel?.close()
            finish(aborted())
          })
        }, ABORT_GRACE_MS)
      }
      active.add(finish)
      options.signal?.addEventListener('abort', onAbort, { once: true })
      client.exec(shellCommand(sudo), (error, stream) => {
        if (error) {
          return finish(
            closed
              ? dropped()
              : new TransportError(`${label}: cannot open a channel: ${error.message}`, 'other'),
          )
        }
        channel = stream
        if (settled) return stream.close()
        stream.on('data', (chunk: Buffer) => stdout.push(chunk))
        stream.stderr.on('data', onStderr)
        stream.on('exit', (code: number | null, signal?: string) => {
          // ssh2 names signals as Node does (SIGKILL); keep that form whatever the server sent.
          const name = signal && !signal.startsWith('SIG') ? `SIG${signal}` : signal
          exit = { code: code ?? null, ...(name ? { signal: name } : {}) }
        })
        stream.on('close', () => {
          if (head?.length) stderr.push(head)
          head = undefined
          clearTimeout(killer)
          finish(aborting ? aborted() : undefined)
        })
        stream.end(script)
      })
    })
  }

  // OpenSSH allows 10 sessions per connection (MaxSessions): more scripts at once wait their turn.
  const limit = pLimit(MAX_CHANNELS)
  const run = (script: string, options: RunOptions = {}): Promise<ExecResult> =>
    limit(() => runNow(script, options))

  const close = (): Promise<void> => {
    if (closed) return Promise.resolve()
    closing = true
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const c of clients) c.destroy()
        resolve()
      }, 2000)
      client.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      client.end()
    })
  }

  return {
    run,
    close,
    get channels() {
      return channels
    },
  }
}
