import { readdir, readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'

/** Pids of the live processes whose command line mentions `needle`. */
async function pidsMentioning(needle: string): Promise<number[]> {
  const pids: number[] = []
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.includes(needle)) pids.push(Number(name))
  }
  return pids
}

/**
 * End the ssh ControlPersist masters an Ansible run left behind: they detach from the run, so they
 * are found by the run's own ControlPath folder in their command line, and ended by pid.
 */
export async function stopMasters(controlDir: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const pids = await pidsMentioning(controlDir)
    if (pids.length === 0) return
    for (const pid of pids) {
      try {
        process.kill(pid, i < 10 ? 'SIGTERM' : 'SIGKILL')
      } catch {
        // Gone already.
      }
    }
    await sleep(20)
  }
}
