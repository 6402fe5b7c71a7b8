import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { consoleHostKeyFingerprints, sha256Fingerprint } from '../../../src/plugins/ec2/host-keys.js'
import { requireTools } from '../../support/require.js'

// Console text as cloud-init prints it on EC2 (the `ec2:` prefix, CRLF line ends, two boots).
const ED = 'SHA256:2w6H7RBsLKGNMCG6jqjjkfTTk6oKbK5lWrRr0nJq0mk'
const EC = 'SHA256:Lq4bFVJzQzNvZ6p0n5mJ0d2pUq6QXQeM8Yk3hT4Rr1A'
const boot = (fingerprints: string[]) =>
  [
    '[    0.000000] Linux version 6.1.0-23-cloud-amd64',
    'ec2: #############################################################',
    'ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
    ...fingerprints.map((f, i) => `ec2: 256 ${f} root@ip-172-31-8-1 (${i ? 'ECDSA' : 'ED25519'})`),
    'ec2: -----END SSH HOST KEY FINGERPRINTS-----',
    'ec2: #############################################################',
    'Cloud-init v. 22.4.2 finished',
  ].join('\r\n')

describe('host key fingerprints from console output', () => {
  it('reads the SHA256 fingerprints of the fingerprint block', () => {
    assert.deepEqual(consoleHostKeyFingerprints(boot([ED, EC])), [ED, EC])
  })

  it('uses the last boot only: a rebuilt instance printed new keys', () => {
    const old = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
    assert.deepEqual(consoleHostKeyFingerprints(`${boot([old])}\r\n${boot([ED])}`), [ED])
  })

  it('ignores MD5 fingerprints and anything outside the block', () => {
    const text = [
      `unrelated ${ED}`,
      '-----BEGIN SSH HOST KEY FINGERPRINTS-----',
      '2048 3f:8a:2b:11:9c:aa:01:02:03:04:05:06:07:08:09:0a /etc/ssh/ssh_host_rsa_key.pub (RSA)',
      '-----END SSH HOST KEY FINGERPRINTS-----',
    ].join('\n')
    assert.deepEqual(consoleHostKeyFingerprints(text), [])
  })

  it('finds nothing in a console without cloud-init blocks, or an empty one', () => {
    assert.deepEqual(consoleHostKeyFingerprints('[    0.000000] Linux version 6.1\nlogin: '), [])
    assert.deepEqual(consoleHostKeyFingerprints(''), [])
  })

  it('computes fingerprints of the full keys block the way ssh-keygen does', (t) => {
    if (!requireTools(t, 'ssh-keygen')) return
    const dir = mkdtempSync(join(tmpdir(), 'forklift-hostkeys-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const expected: string[] = []
    const lines: string[] = []
    for (const type of ['ed25519', 'ecdsa']) {
      const key = join(dir, type)
      execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'root@ip-172-31-8-1', '-f', key])
      lines.push(readFileSync(`${key}.pub`, 'utf8').trim())
      expected.push(
        execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${key}.pub`], { encoding: 'utf8' }).split(
          ' ',
        )[1]!,
      )
    }
    const text = ['-----BEGIN SSH HOST KEY KEYS-----', ...lines, '-----END SSH HOST KEY KEYS-----'].join(
      '\r\n',
    )
    assert.deepEqual(consoleHostKeyFingerprints(text), expected)
    assert.equal(sha256Fingerprint(lines[0]!.split(' ')[1]!), expected[0])
    // Both blocks naming the same key give it once.
    assert.deepEqual(consoleHostKeyFingerprints(`${boot([expected[0]!])}\r\n${text}`), expected)
  })
})
