/**
 * Real SSH nodes on loopback for tests: every node is a real openssh-server on its own 127.0.x.y address,
 * port NODE_PORT (2222), with keys the test generated in a temp folder. Nothing is mocked.
 *
 *   requireSshd(t): boolean
 *     Skip the test (fail it under CI) unless plain sshd nodes can run here (root, sshd, ssh, ssh-keygen).
 *   requireRootfs(t, { systemd? }): boolean
 *     Same for rootfs nodes (adds unshare, debootstrap, and systemd-nspawn when systemd is asked for).
 *   startSshNodes(t, { count, prefix?, user?, sshdConfig? }): Promise<TestNodes>
 *     Plain sshd processes of this machine (`/usr/sbin/sshd -D -f CONF -E LOG`); root (or `user`, which
 *     must exist) logs in with the test's key; `sshdConfig` lines are added to each node's sshd_config
 *     (`LogLevel DEBUG1`, say). Scripts run on this machine itself.
 *   startRootfsNodes(t, { count, systemd?, prefix? }): Promise<TestNodes>
 *     Each node its own root filesystem: an overlay over a shared Debian bookworm tree (built once per
 *     machine by scripts/test-rootfs.sh, cached in ${FORKLIFT_TEST_CACHE:-/var/cache/forklift-test}),
 *     in private mount, UTS and PID namespaces, sshd chrooted inside as PID 1. With `systemd: true`
 *     the tree boots under systemd-nspawn and systemd starts sshd (systemctl works there).
 *     sshd runs with Debian's own config (PAM on) plus a drop-in for the node's address and host key.
 *     Logins: root, and `deploy` (no password; NOPASSWD sudo), both with the test's key.
 *   Logs: plain nodes DIR/sshd.log; rootfs nodes DIR/upper/var/log/forklift-sshd.log (the journal
 *     under systemd, boot console in DIR/console.log).
 *   startSilentServer(address?): Promise<SilentServer>
 *     A TCP server that accepts and never speaks (connect timeouts); claims an address when none given.
 *   claimAddress(): Promise<string> / releaseAddress(address)
 *     A loopback address no other running test uses (for servers a test starts by itself).
 *
 * TestNodes: { nodes: TestNode[], clientKey (private key path), clientPublicKey ('type base64'),
 *   knownHosts (a known_hosts file with the nodes' host keys as they were at start), dir, stop() }.
 * TestNode: { name, address, port, user ('root'), hostKeyFile, hostPublicKey ('type base64'),
 *   fingerprint ('SHA256:…'), dir, running, exec(script, { sudo?, user? }), kill(), restart({ newHostKey? }) }.
 *   exec runs the script with the openssh client (`ssh … sh -s`, the script on stdin) and returns
 *   { stdout, stderr, code }; it throws when ssh itself fails (exit 255). kill() SIGKILLs the node and all
 *   its processes (open connections drop). restart() starts it again with the same files; with
 *   newHostKey it gets a fresh host key (hostPublicKey and fingerprint change; knownHosts does not).
 *
 * Every start registers stop() with t.after when t has it (a test's context); a suite's `before` gets
 * no such hook, so call stop() in `after`. Nodes left running when the process exits are killed, and a
 * node's processes die with the test process (parent-death signal) if it is killed; the next start
 * removes folders such a killed process left behind.
 */
import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodeCgroups, removeNodeCgroups } from './cgroups.js'
import { generateKey, type TestKey } from './keys.js'
import { requireThat, requireTools } from './require.js'
import { ensureRootfs, prepareUpper } from './rootfs.js'
import { claimAddress, NODE_PORT, releaseAddress, waitForSsh } from './sshd-net.js'
import { type Daemon, type GentleStop, killDaemon, spawnDaemon } from './sshd-process.js'

export { claimAddress, NODE_PORT, releaseAddress, type SilentServer, startSilentServer } from './sshd-net.js'

export interface NodeExecResult {
  stdout: string
  stderr: string
  code: number | null
}

export interface NodeExecOptions {
  /** Run through `sudo -n` (for a non-root user). */
  sudo?: boolean
  /** Log in as this user instead of the node's (rootfs nodes also have `deploy`). */
  user?: string
}

export interface TestNode {
  name: string
  address: string
  port: number
  /** The login the node is reached with by default: root. */
  user: string
  /** Private host key file (its `.pub` beside it). */
  hostKeyFile: string
  /** `ssh-ed25519 AAAA…`, the current host key. */
  hostPublicKey: string
  /** `SHA256:…` of the current host key. */
  fingerprint: string
  /** The node's own temp folder (configs, logs; upper/ holds a rootfs node's changes). */
  dir: string
  readonly running: boolean
  exec(script: string, options?: NodeExecOptions): Promise<NodeExecResult>
  kill(): Promise<void>
  restart(options?: { newHostKey?: boolean }): Promise<void>
}

export interface TestNodes {
  nodes: TestNode[]
  /** Private key path that logs in to every node. */
  clientKey: string
  /** Its public half, `type base64`. */
  clientPublicKey: string
  /** known_hosts file listing every node's host key as it was at start. */
  knownHosts: string
  dir: string
  stop(): Promise<void>
}

/** What a test passes in; a test's context has `after`, a suite's does not. */
type Context = { after?: (fn: () => unknown) => void } | undefined

const SSHD = '/usr/sbin/sshd'

/** Whether plain sshd nodes can run here; skips the test otherwise (fails it under CI). */
export function requireSshd(t: Parameters<typeof requireTools>[0]): boolean {
  return (
    requireThat(t, process.getuid?.() === 0, 'needs root (sshd nodes)') &&
    requireTools(t, SSHD, 'ssh', 'ssh-keygen', 'setpriv', 'unshare')
  )
}

/** Whether rootfs nodes can run here (and booted ones, with systemd); skips the test otherwise. */
export function requireRootfs(
  t: Parameters<typeof requireTools>[0],
  options: { systemd?: boolean } = {},
): boolean {
  const tools = ['debootstrap', 'chroot', 'flock', ...(options.systemd ? ['systemd-nspawn'] : [])]
  return requireSshd(t) && requireTools(t, ...tools)
}

const bases = new Set<string>()
process.once('exit', () => {
  for (const base of bases) rmSync(base, { recursive: true, force: true })
})

function knownHostsLine(address: string, port: number, publicKey: string): string {
  return `[${address}]:${port} ${publicKey}\n`
}

async function logTail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.trim().split('\n').slice(-5).join(' | ')
}

/** How one kind of node is laid out and started. */
interface NodeKind {
  /** Write the node's files before its first start. */
  prepare(node: NodeState): Promise<void>
  /** Put a (new) host key where the node's sshd reads it. */
  installHostKey(node: NodeState): Promise<void>
  argv(node: NodeState): string[]
  /** Where the node's sshd logs (read when it fails to start). */
  log(node: NodeState): string
  bootTimeoutMs: number
  /** How to stop the node so it cleans up after itself; else everything gets SIGKILL. */
  gentle?: GentleStop
  /** Clean up after the node's processes have all ended. */
  stopped?(node: NodeState): Promise<void>
}

interface NodeState {
  name: string
  address: string
  dir: string
  hostKey: TestKey
  daemon?: Daemon
}

function execOverSsh(
  state: NodeState,
  clientKey: string,
  user: string,
  script: string,
  options: NodeExecOptions,
): Promise<NodeExecResult> {
  const login = options.user ?? user
  const command = options.sudo && login !== 'root' ? 'sudo -n sh -s' : 'sh -s'
  const args = [
    '-F',
    '/dev/null',
    '-T',
    '-i',
    clientKey,
    '-p',
    String(NODE_PORT),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${join(state.dir, 'known_hosts')}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'ConnectTimeout=20',
    '-o',
    'LogLevel=ERROR',
    `${login}@${state.address}`,
    command,
  ]
  const env = { ...process.env }
  delete env.SSH_AUTH_SOCK
  return new Promise((resolve, reject) => {
    const child = execFile('ssh', args, { env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
      if (code === 255) {
        return reject(new Error(`ssh to ${state.name} (${login}@${state.address}) failed: ${stderr.trim()}`))
      }
      if (error && code === null && !error.signal) return reject(error)
      resolve({ stdout, stderr, code })
    })
    child.stdin?.on('error', () => {})
    child.stdin?.end(script)
  })
}

/** Remove node folders whose test process died without cleaning up (killed outright, say). */
async function sweepAbandoned(): Promise<void> {
  const names = (await readdir(tmpdir())).filter((n) => n.startsWith('forklift-nodes-'))
  for (const name of names) {
    const dir = join(tmpdir(), name)
    const owner = Number(await readFile(join(dir, 'owner'), 'utf8').catch(() => '0'))
    if (owner && !processAlive(owner)) await rm(dir, { recursive: true, force: true })
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function startNodes(
  t: Context,
  kind: NodeKind,
  count: number,
  prefix: string,
  user = 'root',
): Promise<TestNodes> {
  await sweepAbandoned()
  const base = await mkdtemp(join(tmpdir(), 'forklift-nodes-'))
  bases.add(base)
  await writeFile(join(base, 'owner'), String(process.pid))
  const states: NodeState[] = []
  const addresses: string[] = []
  let stopped = false

  const start = async (state: NodeState) => {
    state.daemon = spawnDaemon(kind.argv(state), join(state.dir, 'console.log'))
    const daemon = state.daemon
    await waitForSsh(
      state.address,
      NODE_PORT,
      () => (daemon.hasExited() ? `node ${state.name} exited while starting` : undefined),
      kind.bootTimeoutMs,
    ).catch(async (error: Error) => {
      const log = await logTail(kind.log(state))
      const consoleLog = await logTail(join(state.dir, 'console.log'))
      throw new Error(`${error.message}; log: ${log || consoleLog || '(empty)'}`)
    })
  }

  const halt = async (state: NodeState) => {
    if (!state.daemon) return
    await killDaemon(state.daemon, kind.gentle)
    await kind.stopped?.(state)
  }

  const stop = async () => {
    if (stopped) return
    stopped = true
    await Promise.all(states.map((s) => halt(s)))
    for (const address of addresses) releaseAddress(address)
    await rm(base, { recursive: true, force: true })
    bases.delete(base)
  }
  if (typeof t?.after === 'function') t.after(stop)

  try {
    const clientKey = await generateKey(join(base, 'client_key'))
    await writeFile(join(base, 'authorized_keys'), `${clientKey.publicKey}\n`, { mode: 0o600 })
    if (user !== 'root') {
      // sshd reads authorized_keys as the user logging in.
      await chmod(base, 0o711)
      await chmod(join(base, 'authorized_keys'), 0o644)
    }
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const address = await claimAddress()
        addresses.push(address)
        const name = `${prefix}-${i + 1}`
        const dir = join(base, name)
        await mkdir(dir)
        const hostKey = await generateKey(join(dir, 'ssh_host_ed25519_key'))
        const state: NodeState = { name, address, dir, hostKey }
        states[i] = state
        await writeFile(join(dir, 'known_hosts'), knownHostsLine(address, NODE_PORT, hostKey.publicKey))
        await kind.prepare(state)
        await start(state)
      }),
    )
    const knownHosts = join(base, 'known_hosts')
    await writeFile(
      knownHosts,
      states.map((s) => knownHostsLine(s.address, NODE_PORT, s.hostKey.publicKey)).join(''),
    )

    const nodes = states.map((state): TestNode => {
      const node: TestNode = {
        name: state.name,
        address: state.address,
        port: NODE_PORT,
        user,
        hostKeyFile: state.hostKey.privateKey,
        hostPublicKey: state.hostKey.publicKey,
        fingerprint: state.hostKey.fingerprint,
        dir: state.dir,
        get running() {
          return state.daemon !== undefined && !state.daemon.hasExited()
        },
        exec: (script, options = {}) => execOverSsh(state, clientKey.privateKey, node.user, script, options),
        async kill() {
          await halt(state)
        },
        async restart(options = {}) {
          if (stopped) throw new Error(`${state.name} was stopped`)
          await halt(state)
          if (options.newHostKey) {
            await rm(state.hostKey.privateKey, { force: true })
            await rm(state.hostKey.publicKeyFile, { force: true })
            state.hostKey = await generateKey(state.hostKey.privateKey)
            node.hostPublicKey = state.hostKey.publicKey
            node.fingerprint = state.hostKey.fingerprint
            await writeFile(
              join(state.dir, 'known_hosts'),
              knownHostsLine(state.address, NODE_PORT, node.hostPublicKey),
            )
            await kind.installHostKey(state)
          }
          await start(state)
        },
      }
      return node
    })
    return {
      nodes,
      clientKey: clientKey.privateKey,
      clientPublicKey: clientKey.publicKey,
      knownHosts,
      dir: base,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Start `count` plain sshd nodes of this machine; root (or `user`) logs in with the returned client key. */
export async function startSshNodes(
  t: Context,
  options: { count: number; prefix?: string; user?: string; sshdConfig?: string[] },
): Promise<TestNodes> {
  // sshd's privilege separation needs this folder; a fresh machine may not have it.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 })
  const kind: NodeKind = {
    async prepare(node) {
      const config = [
        `ListenAddress ${node.address}:${NODE_PORT}`,
        `HostKey ${node.hostKey.privateKey}`,
        'PidFile none',
        `AuthorizedKeysFile ${join(node.dir, '..', 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'MaxStartups 200:30:400',
        'Subsystem sftp internal-sftp',
        ...(options.sshdConfig ?? []),
        '',
      ]
      await writeFile(join(node.dir, 'sshd_config'), config.join('\n'))
    },
    async installHostKey() {
      // sshd_config names the key file, which restart() regenerated in place.
    },
    // In a PID namespace of its own, so killing the node ends its sessions too.
    argv: (node) => [
      'unshare',
      '--pid',
      '--fork',
      '--kill-child',
      '--',
      SSHD,
      '-D',
      '-f',
      join(node.dir, 'sshd_config'),
      '-E',
      join(node.dir, 'sshd.log'),
    ],
    log: (node) => join(node.dir, 'sshd.log'),
    bootTimeoutMs: 15_000,
  }
  return startNodes(t, kind, options.count, options.prefix ?? 'node', options.user)
}

const CHROOT_NODE = `
mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"
mount -t proc proc "$4/proc"
mount -t sysfs -o ro sysfs "$4/sys"
mount --rbind /dev "$4/dev"
mount -t tmpfs tmpfs "$4/run"
mkdir -p "$4/run/sshd"
hostname "$5"
exec chroot "$4" /usr/sbin/sshd -D -E /var/log/forklift-sshd.log
`

/** Machine names must differ between concurrently running containers; claimed addresses do. */
function machineName(node: NodeState): string {
  return `forklift-test-${node.address.replaceAll('.', '-')}`
}

const NSPAWN_NODE = `
for cg in $7; do mkdir -p "$cg"; echo $$ > "$cg/cgroup.procs"; done
mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"
exec systemd-nspawn -q -b --register=no --keep-unit --link-journal=no --kill-signal=SIGKILL \
  -D "$4" -M "$6" --hostname="$5"
`

/**
 * Start `count` nodes with their own root filesystem (see the top of this file). Building the shared
 * tree the first time takes a few minutes; CI builds it beforehand with scripts/test-rootfs.sh.
 */
export async function startRootfsNodes(
  t: Context,
  options: { count: number; systemd?: boolean; prefix?: string },
): Promise<TestNodes> {
  const lower = await ensureRootfs()
  const upper = (node: NodeState) => join(node.dir, 'upper')
  const kind: NodeKind = {
    async prepare(node) {
      // A container of this name killed outright left its runtime folder; the claimed address makes it ours.
      if (options.systemd) {
        await rm(join('/run/systemd/nspawn/propagate', machineName(node)), { recursive: true, force: true })
        await removeNodeCgroups(nodeCgroups(machineName(node)))
      }
      await mkdir(join(node.dir, 'work'))
      await mkdir(join(node.dir, 'merged'))
      const clientPublicKey = (await readFile(join(node.dir, '..', 'authorized_keys'), 'utf8')).trim()
      await prepareUpper({
        lower,
        upper: upper(node),
        name: node.name,
        address: node.address,
        port: NODE_PORT,
        hostKey: node.hostKey.privateKey,
        authorizedKey: clientPublicKey,
      })
    },
    async installHostKey(node) {
      const target = join(upper(node), 'etc/ssh/ssh_host_ed25519_key')
      await writeFile(target, await readFile(node.hostKey.privateKey), { mode: 0o600 })
      await writeFile(`${target}.pub`, await readFile(node.hostKey.publicKeyFile))
    },
    argv: (node) => [
      'unshare',
      '--mount',
      '--uts',
      '--pid',
      '--fork',
      '--kill-child',
      '--',
      '/bin/sh',
      '-ec',
      options.systemd ? NSPAWN_NODE : CHROOT_NODE,
      'node',
      lower,
      upper(node),
      join(node.dir, 'work'),
      join(node.dir, 'merged'),
      node.name,
      machineName(node),
      options.systemd ? nodeCgroups(machineName(node)).join(' ') : '',
    ],
    // Under systemd, sshd logs to the journal; the boot console is the useful log then.
    log: (node) =>
      options.systemd ? join(node.dir, 'console.log') : join(upper(node), 'var/log/forklift-sshd.log'),
    bootTimeoutMs: options.systemd ? 90_000 : 20_000,
    // On SIGTERM nspawn kills the container at once (--kill-signal) and removes its lock and runtime
    // files, which a SIGKILL would leave in /run/systemd/nspawn.
    ...(options.systemd
      ? {
          gentle: { command: 'systemd-nspawn', signal: 'SIGTERM', timeoutMs: 10_000 },
          stopped: (node: NodeState) => removeNodeCgroups(nodeCgroups(machineName(node))),
        }
      : {}),
  }
  return startNodes(t, kind, options.count, options.prefix ?? 'node')
}
