import { execFile } from 'node:child_process'
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Environment for real Vagrant in a test: its own home, and nothing that dials out. */
export function vagrantEnv(home: string): Record<string, string> {
  return { VAGRANT_HOME: home, VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_BOX_UPDATE_CHECK_DISABLE: '1' }
}

/** Machine folders under a project's `.forklift/vagrant/<group>/<name>`. */
export async function machineFolders(projectDir: string): Promise<string[]> {
  const root = join(projectDir, '.forklift', 'vagrant')
  const groups = await readdir(root).catch(() => [] as string[])
  const folders: string[] = []
  for (const group of groups) {
    for (const name of await readdir(join(root, group)).catch(() => [] as string[]))
      folders.push(join(root, group, name))
  }
  return folders.sort()
}

/** Cleanup for after a test, even a failed one: `vagrant destroy -f` in every machine folder left. */
export async function destroyMachines(projectDir: string, env: Record<string, string>): Promise<void> {
  for (const dir of await machineFolders(projectDir)) {
    await run('vagrant', ['destroy', '-f'], {
      cwd: dir,
      env: { ...process.env, ...env, VAGRANT_CWD: dir },
    }).catch(() => {})
  }
}

/** The state of one machine as `vagrant status --machine-readable` prints it, read independently of the provider. */
export async function vagrantState(dir: string, name: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await run('vagrant', ['status', name, '--machine-readable'], {
    cwd: dir,
    env: { ...process.env, ...env, VAGRANT_CWD: dir },
  })
  const line = stdout.split('\n').find((l) => l.split(',')[2] === 'state')
  return line?.split(',')[3] ?? ''
}

/**
 * A stand-in for VBoxManage that only reports a version, so that `vagrant validate` accepts the
 * virtualbox provider as usable and checks the provider block of a Vagrantfile on a machine without
 * VirtualBox. Nothing else is asked of it by validate.
 */
export async function fakeVBoxManage(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  const file = join(dir, 'VBoxManage')
  await writeFile(
    file,
    '#!/bin/sh\n[ "$1" = --version ] && { echo 7.0.14r161095; exit 0; }\necho "VBoxManage stand-in: $*" >&2\nexit 1\n',
  )
  await chmod(file, 0o755)
  return dir
}
