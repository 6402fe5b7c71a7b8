// A pod must not outlive Forklift. An idle pod notices the closed IPC channel and exits, but one busy in
// a call never looks, so on Linux the kernel kills it when Forklift dies (a parent-death signal).
import { type ChildProcess, execFile } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
import { delimiter, isAbsolute, join } from 'node:path'

let prefix: Promise<string[]> | undefined

/**
 * The command that starts a pod's node with SIGKILL as its parent-death signal (util-linux `setpriv`),
 * or none where that is not available (not Linux, no setpriv, one without --pdeathsig): found once.
 */
export function deathSignalPrefix(): Promise<string[]> {
  prefix ??= findSetpriv()
  return prefix
}

const executable = (path: string) =>
  access(path, constants.X_OK).then(
    () => true,
    () => false,
  )

async function findSetpriv(): Promise<string[]> {
  if (process.platform !== 'linux') return []
  // Absolute folders only: a relative PATH entry would let the current folder choose the program.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/bin'].filter(isAbsolute)
  for (const dir of dirs) {
    const setpriv = join(dir, 'setpriv')
    if (!(await executable(setpriv))) continue
    // Try the very thing: util-linux before 2.33 lacks --pdeathsig, and a sandbox may refuse the prctl.
    const args = ['--pdeathsig', 'KILL', '--']
    const works = await new Promise<boolean>((resolve) =>
      execFile(setpriv, [...args, setpriv, '--version'], { timeout: 5000 }, (error) => resolve(!error)),
    )
    return works ? [setpriv, ...args] : []
  }
  return []
}

const running = new Set<ChildProcess>()

/** Kill `child` when Forklift exits on its own, for systems where no parent-death signal does it. */
export function endWithForklift(child: ChildProcess): void {
  if (running.size === 0) process.on('exit', killAll)
  running.add(child)
  const gone = () => {
    running.delete(child)
    if (running.size === 0) process.off('exit', killAll)
  }
  child.once('exit', gone).once('error', gone)
}

function killAll(): void {
  for (const child of running) child.kill('SIGKILL')
}
