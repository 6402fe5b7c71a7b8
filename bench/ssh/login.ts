import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The login every contender uses: /bin/sh (no rc files), passwordless sudo. */
export const BENCH_USER = 'forklift-bench'

/**
 * Create the bench login once (left in place: it is idempotent). Root's own login would run
 * ~/.bashrc on every exec (~100 ms here), which would swamp what is measured.
 */
export async function ensureBenchUser(): Promise<void> {
  const exists = await run('id', ['-u', BENCH_USER]).then(
    () => true,
    () => false,
  )
  if (!exists) await run('useradd', ['-m', '-s', '/bin/sh', BENCH_USER])
  // With `UsePAM no`, sshd refuses a locked account ('!'); '*' is no password, yet not locked.
  await run('usermod', ['-p', '*', '-s', '/bin/sh', BENCH_USER])
  await writeFile(`/etc/sudoers.d/${BENCH_USER}`, `${BENCH_USER} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 })
}
