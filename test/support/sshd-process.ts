import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

/** A node's process tree: the process the harness spawned and whatever it started. */
export interface Daemon {
  child: ChildProcess
  pid: number
  /** Resolves when the spawned process has exited. */
  exited: Promise<void>
  hasExited(): boolean
}

const live = new Set<Daemon>()

// If the test process ends without stopping its nodes (a crash, a forgotten stop), kill them anyway.
// The spawned processes also carry a parent-death signal, for when this process is killed outright.
process.once('exit', () => {
  for (const daemon of live) killTreeSync(daemon.pid)
})

/**
 * Start `argv` with its output appended to `logFile`. It gets SIGKILL if this process dies
 * (setpriv --pdeathsig), so a crashed test leaves no daemon behind.
 */
export function spawnDaemon(argv: string[], logFile: string): Daemon {
  const log = openSync(logFile, 'a')
  let child: ChildProcess
  try {
    child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...argv], { stdio: ['ignore', log, log] })
  } finally {
    closeSync(log)
  }
  let done = false
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      done = true
      resolve()
    })
    child.once('error', () => {
      done = true
      resolve()
    })
  })
  const daemon: Daemon = { child, pid: child.pid ?? -1, exited, hasExited: () => done }
  live.add(daemon)
  exited.then(() => live.delete(daemon))
  return daemon
}

/** Parent of each live (non-zombie) process, read from /proc. */
function processTable(): Map<number, number> {
  const parents = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (fields[0] === 'Z' || fields[0] === 'X') continue
      parents.set(Number(name), Number(fields[1]))
    } catch {
      // The process ended while we looked.
    }
  }
  return parents
}

/** The process and all its live descendants. */
function treeOf(pid: number): number[] {
  const parents = processTable()
  const tree = parents.has(pid) ? [pid] : []
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child)
  }
  return tree
}

function killTreeSync(pid: number): number[] {
  const tree = treeOf(pid)
  for (const p of tree) {
    try {
      process.kill(p, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  return tree
}

/** A process in the tree that cleans up after itself when sent `signal` (systemd-nspawn on SIGTERM). */
export interface GentleStop {
  command: string
  signal: NodeJS.Signals
  timeoutMs: number
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return ''
  }
}

async function stopGently(daemon: Daemon, gentle: GentleStop): Promise<void> {
  const targets = treeOf(daemon.pid).filter((pid) => commandOf(pid) === gentle.command)
  for (const pid of targets) {
    try {
      process.kill(pid, gentle.signal)
    } catch {
      // Already gone.
    }
  }
  if (targets.length === 0) return
  const timer = new AbortController()
  await Promise.race([
    daemon.exited,
    sleep(gentle.timeoutMs, undefined, { signal: timer.signal }).catch(() => {}),
  ])
  timer.abort()
}

/**
 * SIGKILL the daemon and everything under it (sshd sessions, a container's processes), then wait until
 * all are gone, so their mount namespaces (and overlay mounts) are released before the caller cleans up.
 */
export async function killDaemon(daemon: Daemon, gentle?: GentleStop): Promise<void> {
  // Once it has exited its pid may belong to another process: never signal it again.
  if (daemon.pid <= 0 || daemon.hasExited()) return
  const tree = treeOf(daemon.pid)
  if (gentle) await stopGently(daemon, gentle)
  // Whatever outlived a gentle stop (or everything, without one) gets SIGKILL.
  const table = processTable()
  for (const pid of tree) {
    if (!table.has(pid)) continue
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  await daemon.exited
  for (let i = 0; i < 500; i++) {
    const table = processTable()
    const left = tree.filter((p) => table.has(p))
    if (left.length === 0) return
    if (i % 20 === 19) for (const p of left) killTreeSync(p)
    await sleep(10)
  }
  throw new Error(`processes ${tree.join(' ')} did not end after SIGKILL`)
}
