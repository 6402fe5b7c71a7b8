import { readdir, readFile } from 'node:fs/promises'

/**
 * What this machine's process table shows (Linux /proc), for tests that check a run left nothing behind:
 *
 *   tagged(entry): string[]         live processes whose environment holds `entry` (`NAME=value`)
 *   descendants(pid): string[]      live processes below `pid`
 *   findProcess(part): number[]     pids whose command line contains `part`
 *   catches(pid, signal): boolean   whether the process has a handler for `signal` (SigCgt)
 *
 * Processes are given as `PID COMMAND LINE`; zombies (already ended, not yet reaped) are left out.
 */

interface Entry {
  pid: number
  ppid: number
  zombie: boolean
}

async function entries(): Promise<Entry[]> {
  const out: Entry[] = []
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '')
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields.length < 2) continue
    out.push({ pid: Number(name), ppid: Number(fields[1]), zombie: fields[0] === 'Z' })
  }
  return out
}

async function describe(pid: number): Promise<string> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
  return `${pid} ${cmdline.split('\0').join(' ').trim()}`
}

/** Live processes whose environment holds `entry` (`NAME=value`), as `PID COMMAND LINE`. */
export async function tagged(entry: string): Promise<string[]> {
  const found: string[] = []
  for (const { pid, zombie } of await entries()) {
    if (zombie || pid === process.pid) continue
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '')
    if (environ.split('\0').includes(entry)) found.push(await describe(pid))
  }
  return found
}

/** Live processes below `pid` (children, theirs, …), as `PID COMMAND LINE`. */
export async function descendants(pid: number): Promise<string[]> {
  const all = await entries()
  const below = new Set([pid])
  let grew = true
  while (grew) {
    grew = false
    for (const e of all) {
      if (!below.has(e.pid) && below.has(e.ppid)) {
        below.add(e.pid)
        grew = true
      }
    }
  }
  below.delete(pid)
  const live = all.filter((e) => below.has(e.pid) && !e.zombie)
  return Promise.all(live.map((e) => describe(e.pid)))
}

/** The pids whose command line contains `part`. */
export async function findProcess(part: string): Promise<number[]> {
  const found: number[] = []
  for (const { pid } of await entries()) {
    if ((await describe(pid)).includes(part)) found.push(pid)
  }
  return found
}

/** Whether the process has a handler of its own for `signal` (its SigCgt mask). */
export async function catches(pid: number, signal: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1]
  return mask !== undefined && (BigInt(`0x${mask}`) & (1n << BigInt(signal - 1))) !== 0n
}
