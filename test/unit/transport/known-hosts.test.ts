import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import {
  checkHostKey,
  entriesFor,
  fingerprintOf,
  hostsFieldMatches,
  keyTypeOf,
  normalizeFingerprint,
  parseKnownHosts,
  readKnownHosts,
  recordHostKey,
} from '../../../src/core/transport/known-hosts.js'
import { fixture } from '../../support/paths.js'

const file = fixture('transport', 'known_hosts')
const text = await readFile(file, 'utf8')
const entries = parseKnownHosts(text, file)

/** The key blob of a fixture public key (keys/NAME.pub). */
async function key(name: string): Promise<Buffer> {
  const line = await readFile(fixture('transport', 'keys', `${name}.pub`), 'utf8')
  return Buffer.from(line.split(/\s+/)[1]!, 'base64')
}

const fingerprints = new Map(
  (await readFile(fixture('transport', 'fingerprints.txt'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => l.split(' ') as [string, string]),
)

describe('known_hosts parsing', () => {
  it('keeps usable lines with their line numbers and skips comments, blanks and malformed lines', () => {
    assert.deepEqual(
      entries.map((e) => [e.line, e.marker ?? '', e.keyType]),
      [
        [2, '', 'ssh-ed25519'],
        [3, '', 'ssh-ed25519'],
        [4, '', 'ssh-ed25519'],
        [5, '', 'ssh-ed25519'],
        [6, '', 'ssh-ed25519'],
        [7, '', 'ssh-ed25519'],
        [8, 'revoked', 'ssh-ed25519'],
        [9, 'cert-authority', 'ssh-ed25519'],
        [13, '', 'ssh-rsa'],
      ],
    )
    assert.ok(entries.every((e) => e.file === file))
  })

  it('reads the key type from inside the key blob', async () => {
    assert.equal(keyTypeOf(await key('rsa')), 'ssh-rsa')
    assert.equal(keyTypeOf(Buffer.from([0, 0, 0, 99, 1])), '')
  })

  it('computes the fingerprints ssh-keygen prints', async () => {
    for (const [name, expected] of fingerprints) assert.equal(fingerprintOf(await key(name)), expected, name)
  })

  it('normalizes provider fingerprints (prefix case, base64 padding)', () => {
    assert.equal(normalizeFingerprint('sha256:abc='), 'SHA256:abc')
    assert.equal(normalizeFingerprint(' SHA256:abc '), 'SHA256:abc')
  })
})

describe('known_hosts host matching', () => {
  it('matches a bare host name for port 22 only', () => {
    assert.ok(hostsFieldMatches('plain.example.com', 'plain.example.com', 22))
    assert.ok(hostsFieldMatches('PLAIN.example.com', 'plain.EXAMPLE.com', 22))
    assert.ok(!hostsFieldMatches('plain.example.com', 'plain.example.com', 2222))
    assert.ok(!hostsFieldMatches('plain.example.com', 'other.example.com', 22))
  })

  it('matches [host]:port entries on that port, and [host]:22 on port 22', () => {
    assert.ok(hostsFieldMatches('[ported.example.com]:2200', 'ported.example.com', 2200))
    assert.ok(!hostsFieldMatches('[ported.example.com]:2200', 'ported.example.com', 22))
    assert.ok(!hostsFieldMatches('[ported.example.com]:2200', 'ported.example.com', 2201))
    assert.ok(hostsFieldMatches('[h.example.com]:22', 'h.example.com', 22))
  })

  it('matches any name of a comma list', () => {
    const field = 'alpha.example.com,beta.example.com,10.0.0.7'
    for (const host of ['alpha.example.com', 'beta.example.com', '10.0.0.7'])
      assert.ok(hostsFieldMatches(field, host, 22))
    assert.ok(!hostsFieldMatches(field, 'gamma.example.com', 22))
  })

  it('honours wildcards and negated patterns', () => {
    const field = '*.wild.example.com,!bad.wild.example.com'
    assert.ok(hostsFieldMatches(field, 'a.wild.example.com', 22))
    assert.ok(!hostsFieldMatches(field, 'bad.wild.example.com', 22))
    assert.ok(!hostsFieldMatches(field, 'wild.example.com', 22))
    assert.ok(hostsFieldMatches('web-?', 'web-1', 22))
    assert.ok(!hostsFieldMatches('web-?', 'web-10', 22))
    assert.ok(hostsFieldMatches('[10.0.0.*]:2222', '10.0.0.9', 2222))
  })

  it('matches hashed entries written by ssh-keygen -H, with and without a port', () => {
    const hashed = entries.filter((e) => e.hosts.startsWith('|1|'))
    assert.equal(hashed.length, 2)
    assert.ok(hostsFieldMatches(hashed[0]!.hosts, 'hashed.example.com', 22))
    assert.ok(!hostsFieldMatches(hashed[0]!.hosts, 'hashed.example.org', 22))
    assert.ok(!hostsFieldMatches(hashed[0]!.hosts, 'hashed.example.com', 2222))
    assert.ok(hostsFieldMatches(hashed[1]!.hosts, 'hashed.example.com', 2222))
    assert.ok(!hostsFieldMatches('|1|bad', 'hashed.example.com', 22))
  })
})

describe('host key checks', () => {
  it('knows a listed key, also through a hashed entry', async () => {
    const known = checkHostKey(entriesFor(entries, 'plain.example.com', 22), await key('a'))
    assert.equal(known.status, 'known')
    const hashed = checkHostKey(entriesFor(entries, 'hashed.example.com', 2222), await key('f'))
    assert.deepEqual(hashed.status === 'known' && hashed.entry.line, 7)
  })

  it('reports a changed key with the entry it contradicts', async () => {
    const result = checkHostKey(entriesFor(entries, 'beta.example.com', 22), await key('other'))
    assert.equal(result.status, 'changed')
    assert.deepEqual(result.status === 'changed' && result.expected.map((e) => [e.file, e.line]), [[file, 4]])
  })

  it('treats a key of another type than those on file as changed, as OpenSSH does', async () => {
    const result = checkHostKey(entriesFor(entries, 'rsa.example.com', 22), await key('other'))
    assert.equal(result.status, 'changed')
    assert.deepEqual(result.status === 'changed' && result.expected.map((e) => [e.keyType, e.line]), [
      ['ssh-rsa', 13],
    ])
    assert.equal(
      checkHostKey(entriesFor(entries, 'nobody.example.org', 22), await key('other')).status,
      'unknown',
    )
  })

  it('refuses a revoked key even where it would be unknown', async () => {
    const revoked = checkHostKey(entriesFor(entries, 'any.host', 22), await key('revoked'))
    assert.deepEqual(revoked.status === 'revoked' && revoked.entry.line, 8)
  })

  it('asks for a certificate where only a @cert-authority line speaks of the host', async () => {
    // A CA key is not a host key: offered as one, it is not trusted, nor is any other plain key.
    for (const name of ['ca', 'other']) {
      const result = checkHostKey(entriesFor(entries, 'x.example.com', 22), await key(name))
      assert.deepEqual(result.status === 'certificate' && result.authority.line, 9, name)
    }
    // A key on file for the host still decides.
    const known = checkHostKey(entriesFor(entries, 'plain.example.com', 22), await key('a'))
    assert.equal(known.status, 'known')
  })

  it('ignores lines with an unknown marker', async () => {
    assert.equal(
      checkHostKey(entriesFor(entries, 'plain.example.com', 22), await key('other')).status,
      'changed',
    )
    const matching = entriesFor(entries, 'plain.example.com', 22)
    assert.ok(matching.every((e) => e.line !== 11))
  })
})

describe('recording host keys', () => {
  let dir: string
  after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined))

  it('creates folders and a private file, writes OpenSSH lines, and never duplicates', async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-kh-'))
    const target = join(dir, 'deep', 'er', 'known_hosts')
    await recordHostKey(target, '127.0.0.5', 2222, await key('a'))
    await recordHostKey(target, 'plain.example.com', 22, await key('b'))
    await recordHostKey(target, '127.0.0.5', 2222, await key('a'))
    const lines = (await readFile(target, 'utf8')).trimEnd().split('\n')
    const a = (await readFile(fixture('transport', 'keys', 'a.pub'), 'utf8')).split(' ').slice(0, 2).join(' ')
    assert.equal(lines.length, 2)
    assert.equal(lines[0], `[127.0.0.5]:2222 ${a}`)
    assert.match(lines[1]!, /^plain\.example\.com ssh-ed25519 /)
    assert.equal((await stat(target)).mode & 0o777, 0o600)
    assert.equal((await stat(join(dir, 'deep'))).mode & 0o777, 0o700)
    const reread = await readKnownHosts([target, join(dir, 'missing')])
    assert.equal(checkHostKey(entriesFor(reread, '127.0.0.5', 2222), await key('a')).status, 'known')
  })

  it('starts a new line when the file does not end with one', async () => {
    const target = join(dir, 'no-newline')
    await writeFile(target, `other.example.com ssh-ed25519 ${(await key('c')).toString('base64')}`)
    await recordHostKey(target, 'new.example.com', 22, await key('d'))
    const parsed = parseKnownHosts(await readFile(target, 'utf8'), target)
    assert.deepEqual(
      parsed.map((e) => e.hosts),
      ['other.example.com', 'new.example.com'],
    )
  })

  it('keeps every line whole when many connections record at once', async () => {
    const target = join(dir, 'concurrent')
    const blob = await key('e')
    await Promise.all(Array.from({ length: 40 }, (_, i) => recordHostKey(target, `10.0.0.${i}`, 2222, blob)))
    const parsed = parseKnownHosts(await readFile(target, 'utf8'), target)
    assert.equal(parsed.length, 40)
    assert.equal(new Set(parsed.map((e) => e.hosts)).size, 40)
  })
})
