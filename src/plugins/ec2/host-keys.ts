import { createHash } from 'node:crypto'

const FINGERPRINTS =
  /-----BEGIN SSH HOST KEY FINGERPRINTS-----([\s\S]*?)-----END SSH HOST KEY FINGERPRINTS-----/g
const KEYS = /-----BEGIN SSH HOST KEY KEYS-----([\s\S]*?)-----END SSH HOST KEY KEYS-----/g

/** OpenSSH's SHA256 fingerprint of a public key blob given in base64. */
export function sha256Fingerprint(base64Blob: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(base64Blob, 'base64')).digest('base64').replace(/=+$/, '')}`
}

/**
 * The SSH host key fingerprints cloud-init printed on an instance's console (the last boot's blocks):
 * the SHA256 fingerprints it lists, plus those of the host keys it prints in full.
 */
export function consoleHostKeyFingerprints(output: string): string[] {
  const found = new Set<string>()
  const lastBlock = (pattern: RegExp) => [...output.matchAll(pattern)].at(-1)?.[1] ?? ''
  for (const match of lastBlock(FINGERPRINTS).matchAll(/\bSHA256:([A-Za-z0-9+/]{43})(?![A-Za-z0-9+/])/g)) {
    found.add(`SHA256:${match[1]}`)
  }
  for (const line of lastBlock(KEYS).split('\n')) {
    const match = /(?:^|\s)((?:ssh|ecdsa-sha2|sk-)[\w@.-]*)\s+([A-Za-z0-9+/]+={0,2})(?:\s|$)/.exec(line)
    if (match) found.add(sha256Fingerprint(match[2]!))
  }
  return [...found]
}

/** Whether cloud-init's final stage says it finished (after which it prints no more keys). */
export function cloudInitFinished(output: string): boolean {
  return /Cloud-init v\. \S+ finished at|Cloud-init v\. \S+ finished\./.test(output)
}
