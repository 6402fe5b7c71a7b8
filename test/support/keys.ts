import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** An SSH key pair made by ssh-keygen for a test. */
export interface TestKey {
  /** Private key file. */
  privateKey: string
  /** Public key file (`privateKey.pub`). */
  publicKeyFile: string
  /** `type base64` (no comment), as in known_hosts and authorized_keys. */
  publicKey: string
  /** OpenSSH `SHA256:…` fingerprint, as `ssh-keygen -l` prints it. */
  fingerprint: string
}

/** Generate a key pair with `ssh-keygen -t TYPE` (no passphrase) at `path`. */
export async function generateKey(
  path: string,
  type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519',
): Promise<TestKey> {
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'forklift-test', '-f', path])
  return describeKey(path)
}

/** Read the public half and fingerprint of a key pair made by generateKey. */
export async function describeKey(path: string): Promise<TestKey> {
  const publicKeyFile = `${path}.pub`
  const [type, base64] = (await readFile(publicKeyFile, 'utf8')).trim().split(/\s+/)
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile])
  const fingerprint = stdout.split(/\s+/)[1]!
  return { privateKey: path, publicKeyFile, publicKey: `${type} ${base64}`, fingerprint }
}
