/**
 * A cgroup of its own for each booted test node. `systemd-nspawn --keep-unit` places the container under
 * the caller's cgroup; two containers started from one process would share that tree, and their
 * systemds, each creating and removing the same unit cgroups, fail units at random (219/CGROUP).
 */
import { existsSync, readFileSync } from 'node:fs'
import { readdir, rmdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const ROOT = '/sys/fs/cgroup'

/** The hierarchies systemd uses, each with this process's place in it. */
function ownCgroups(): string[] {
  const dirs: string[] = []
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [id, controllers, path] = line.split(':')
    if (path === undefined) continue
    if (controllers === 'name=systemd') dirs.push(join(ROOT, 'systemd', path))
    else if (id === '0' && controllers === '') {
      // cgroup v2: beside v1 under unified/ (hybrid), else at the root itself.
      const base = existsSync(join(ROOT, 'unified', 'cgroup.procs')) ? join(ROOT, 'unified') : ROOT
      dirs.push(join(base, path))
    }
  }
  return dirs.filter((dir) => existsSync(join(dir, 'cgroup.procs')))
}

/** Where a node named `name` gets its cgroups (created by its start script, which moves itself in). */
export function nodeCgroups(name: string): string[] {
  return ownCgroups().map((dir) => join(dir, name))
}

async function removeTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) if (entry.isDirectory()) await removeTree(join(dir, entry.name))
  await rmdir(dir)
}

/** Remove a stopped node's cgroups; the last processes may take a moment to leave them. */
export async function removeNodeCgroups(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        await removeTree(dir)
        break
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT') break
        if (code !== 'EBUSY' || attempt >= 100) throw new Error(`cgroup ${dir} stays in use: ${code}`)
        await sleep(20)
      }
    }
  }
}
