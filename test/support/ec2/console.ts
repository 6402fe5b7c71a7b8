import { createHash } from 'node:crypto'

/**
 * What an instance's console shows of its host keys: both of cloud-init's blocks, only one of them,
 * nothing though cloud-init finished (as when its ssh key output is turned off), or nothing yet
 * because cloud-init is still running (`unfinished`: no keys, no "finished" line).
 */
export type ConsoleMode = 'full' | 'fingerprints' | 'keys' | 'none' | 'unfinished'

const TYPE_NAMES: Record<string, [string, number]> = {
  'ssh-ed25519': ['ED25519', 256],
  'ecdsa-sha2-nistp256': ['ECDSA', 256],
  'ssh-rsa': ['RSA', 3072],
}

/** A boot log as cloud-init leaves it on an EC2 console, host key blocks included per `mode`. */
export function bootLog(
  instance: { id: string; privateIp: string },
  hostKeys: string[],
  mode: ConsoleMode,
): string {
  const host = `ip-${instance.privateIp.replaceAll('.', '-')}`
  const keys = hostKeys.map((line) => line.trim().split(/\s+/)).filter((f) => f.length >= 2)
  const lines = [
    '[    0.000000] Linux version 6.1.0-23-cloud-amd64 (debian-kernel@lists.debian.org)',
    '[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-23-cloud-amd64 root=PARTUUID=0 ro console=ttyS0',
    `[    2.104511] cloud-init[412]: Cloud-init v. 22.4.2 running 'init' at ${new Date().toUTCString()}.`,
    `[    3.880112] cloud-init[412]: Generating public/private ed25519 key pair.`,
  ]
  if (mode === 'full' || mode === 'fingerprints') {
    lines.push('ec2: ', 'ec2: #############################################################')
    lines.push('ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----')
    for (const [type, blob] of keys) {
      const [name, bits] = TYPE_NAMES[type!] ?? [type!.toUpperCase(), 256]
      const fingerprint = createHash('sha256')
        .update(Buffer.from(blob!, 'base64'))
        .digest('base64')
        .replace(/=+$/, '')
      lines.push(`ec2: ${bits} SHA256:${fingerprint} root@${host} (${name})`)
    }
    lines.push('ec2: -----END SSH HOST KEY FINGERPRINTS-----')
    lines.push('ec2: #############################################################')
  }
  if (mode === 'full' || mode === 'keys') {
    lines.push('-----BEGIN SSH HOST KEY KEYS-----')
    for (const [type, blob] of keys) lines.push(`${type} ${blob} root@${host}`)
    lines.push('-----END SSH HOST KEY KEYS-----')
  }
  if (mode === 'unfinished') return `${lines.join('\r\n')}\r\n`
  lines.push(
    `[    6.514210] cloud-init[601]: Cloud-init v. 22.4.2 finished at ${new Date().toUTCString()}. Datasource DataSourceEc2Local.  Up 6.51 seconds`,
  )
  return `${lines.join('\r\n')}\r\n`
}
