import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { fixture } from '../../support/paths.js'

export const libV1 = fixture('pods', 'fixture-lib-1.0.0.tgz')
export const libV2 = fixture('pods', 'fixture-lib-2.0.0.tgz')

/**
 * A fresh pod cache and npm cache for this test file, removed afterwards. npm is pointed at a closed
 * loopback port, so no test can reach a real registry by accident. Call it at the top of a test file.
 */
export async function podSandbox(): Promise<{ root: string; cacheDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'forklift-pods-'))
  process.env.npm_config_cache = join(root, 'npm-cache')
  process.env.npm_config_registry ??= 'http://127.0.0.1:9/'
  after(() => rm(root, { recursive: true, force: true }))
  return { root, cacheDir: join(root, 'pods') }
}

/** Whether a process with this id still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Whether a process runs: a zombie has exited, only its parent (init, for an orphan) has yet to reap it. */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** CPU time a process has used, in clock ticks (user + system). */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // After the command: state is field 3, utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0
  }
}

/** A process and all its descendants (a pod is its sandbox's processes and node inside them). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)])
    } catch {
      // gone while looking
    }
  }
  const out = [pid]
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []))
  return out
}

/** Process ids of the pods this process started that still run (their program is a view's host.js). */
export function podProcesses(): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // Field 4 (after the command in parentheses) is the parent's pid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid !== process.pid) continue
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('/.views/')) out.push(Number(name))
    } catch {
      // gone while looking
    }
  }
  return out.sort((a, b) => a - b)
}

/** Wait (up to a bound) until `check` holds, for states reached in the background. */
export async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`never happened: ${what}`)
}
