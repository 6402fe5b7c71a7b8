import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'

/**
 * The public key of a private key file, as one `type base64` line: the `.pub` beside it, else
 * derived from the private key by `ssh-keygen -y` (a bare `.pem` has no `.pub`). Rejects with why,
 * e.g. a key with a passphrase, which ssh-keygen cannot read without asking.
 */
export async function publicKeyOf(identityFile: string): Promise<string> {
  try {
    return (await readFile(`${identityFile}.pub`, 'utf8')).trim()
  } catch {
    // No .pub: derive it.
  }
  return new Promise((resolve, reject) => {
    // -P '' never prompts: a key with a passphrase fails instead of waiting for one.
    execFile(
      'ssh-keygen',
      ['-y', '-P', '', '-f', identityFile],
      { timeout: 10_000 },
      (error, stdout, stderr) => {
        const key = stdout.trim()
        if (!error && /^\S+ \S+/.test(key)) return resolve(key)
        const code = (error as NodeJS.ErrnoException | null)?.code
        const why =
          code === 'ENOENT'
            ? 'ssh-keygen is not installed'
            : stderr.trim().split('\n').at(-1) || error?.message || 'no key printed'
        reject(
          new Error(
            `no ${identityFile}.pub, and ssh-keygen -y cannot derive it from ${identityFile}: ${why}`,
          ),
        )
      },
    )
  })
}
