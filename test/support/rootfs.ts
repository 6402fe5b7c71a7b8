import { execFile } from 'node:child_process'
import { chmod, chown, copyFile, lstat, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from './paths.js'

const run = promisify(execFile)

/** The script that builds the shared root filesystem; CI runs it before the tests, ensureRootfs runs it too. */
export const rootfsScript = join(repoRoot, 'scripts', 'test-rootfs.sh')

let building: Promise<string> | undefined

/**
 * Path of the shared Debian bookworm root filesystem (cached per machine), built by
 * scripts/test-rootfs.sh the first time (which holds a lock, so concurrent test files build it once).
 */
export function ensureRootfs(): Promise<string> {
  building ??= run('sh', [rootfsScript], { maxBuffer: 1 << 20 })
    .then(({ stdout }) => stdout.trim().split('\n').pop()!)
    .catch((error: Error & { stderr?: string }) => {
      building = undefined
      throw new Error(`building the test root filesystem failed: ${error.stderr?.trim() || error.message}`)
    })
  return building
}

/** Create `rel` inside `upper` with each folder's owner and mode copied from the same path in `lower`. */
async function mkdirLike(lower: string, upper: string, rel: string): Promise<void> {
  const parts = rel.split('/').filter(Boolean)
  for (let i = 1; i <= parts.length; i++) {
    const sub = parts.slice(0, i).join('/')
    const target = join(upper, sub)
    const exists = await lstat(target).then(
      () => true,
      () => false,
    )
    if (exists) continue
    // A folder the lower layer lacks (~/.ssh) is private and belongs to its parent's owner.
    const model = await lstat(join(lower, sub)).catch(async () => {
      const parent = await lstat(dirname(target))
      return { uid: parent.uid, gid: parent.gid, mode: 0o700 }
    })
    await mkdir(target)
    await chown(target, model.uid, model.gid)
    await chmod(target, model.mode & 0o7777)
  }
}

/** Write a file into a node's upper layer, its folders shaped like the lower ones. */
async function put(
  lower: string,
  upper: string,
  rel: string,
  content: string,
  mode: number,
  owner?: { uid: number; gid: number },
): Promise<void> {
  await mkdirLike(lower, upper, dirname(rel))
  const target = join(upper, rel)
  await writeFile(target, content, { mode })
  await chmod(target, mode)
  if (owner) await chown(target, owner.uid, owner.gid)
}

export interface UpperSetup {
  lower: string
  upper: string
  name: string
  address: string
  port: number
  hostKey: string
  authorizedKey: string
}

/**
 * Fill a node's upper layer before it starts: its host key, an sshd drop-in listening on its address,
 * hostname and hosts, and the test's key authorized for root and deploy.
 */
export async function prepareUpper(setup: UpperSetup): Promise<void> {
  const { lower, upper } = setup
  await mkdir(upper, { recursive: true })
  await mkdirLike(lower, upper, 'etc/ssh')
  await copyFile(setup.hostKey, join(upper, 'etc/ssh/ssh_host_ed25519_key'))
  await chmod(join(upper, 'etc/ssh/ssh_host_ed25519_key'), 0o600)
  await copyFile(`${setup.hostKey}.pub`, join(upper, 'etc/ssh/ssh_host_ed25519_key.pub'))
  await put(
    lower,
    upper,
    'etc/ssh/sshd_config.d/forklift-test.conf',
    [
      `ListenAddress ${setup.address}:${setup.port}`,
      'HostKey /etc/ssh/ssh_host_ed25519_key',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'MaxStartups 200:30:400',
      '',
    ].join('\n'),
    0o644,
  )
  await put(lower, upper, 'etc/hostname', `${setup.name}\n`, 0o644)
  await put(lower, upper, 'etc/hosts', `127.0.0.1 localhost\n${setup.address} ${setup.name}\n`, 0o644)
  const key = `${setup.authorizedKey}\n`
  await put(lower, upper, 'root/.ssh/authorized_keys', key, 0o600)
  const home = await lstat(join(lower, 'home/deploy'))
  const owner = { uid: home.uid, gid: home.gid }
  await put(lower, upper, 'home/deploy/.ssh/authorized_keys', key, 0o600, owner)
}
