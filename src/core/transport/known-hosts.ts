import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  file: string
  /** 1-based line number, for messages that say which line to fix. */
  line: number
  marker?: 'revoked' | 'cert-authority'
  /** The host field as written: a comma list of patterns, or one hashed `|1|salt|hash` entry. */
  hosts: string
  /** Key type named inside the key blob (`ssh-ed25519`, `ssh-rsa` …). */
  keyType: string
  key: Buffer
}

/** How a host's offered key compares with what the known_hosts files say about that host. */
export type HostKeyStatus =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** Keys are known for the host (of any type), and none is the offered one. */
  | { status: 'changed'; expected: KnownHostEntry[] }
  /** No key is known for the host, but a `@cert-authority` line covers it: only a certificate would do. */
  | { status: 'certificate'; authority: KnownHostEntry }
  | { status: 'unknown' }

/** The key type a public key blob names in its first field (SSH wire format). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return ''
  const length = blob.readUInt32BE(0)
  if (length > blob.length - 4) return ''
  return blob.subarray(4, 4 + length).toString('latin1')
}

/** The OpenSSH `SHA256:…` fingerprint of a public key blob. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** A fingerprint as given by a provider, in the form fingerprintOf returns (padding and prefix case aside). */
export function normalizeFingerprint(fingerprint: string): string {
  const body = fingerprint.trim().replace(/^sha256:/i, '')
  return `SHA256:${body.replace(/=+$/, '')}`
}

/** The host field OpenSSH writes and looks up: bare for port 22, `[host]:port` otherwise. */
export function hostField(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

/** Parse known_hosts text; comments, blank and malformed lines are skipped as OpenSSH skips them. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/)
    if (fields[0] === '' || fields[0]!.startsWith('#')) continue
    let marker: KnownHostEntry['marker']
    if (fields[0]!.startsWith('@')) {
      const name = fields.shift()!.slice(1)
      if (name !== 'revoked' && name !== 'cert-authority') continue
      marker = name
    }
    const [hosts, type, base64] = fields
    if (!hosts || !type || !base64 || !/^[A-Za-z0-9+/]+=*$/.test(base64)) continue
    const key = Buffer.from(base64, 'base64')
    const keyType = keyTypeOf(key)
    if (!keyType) continue
    entries.push({ file, line: i + 1, ...(marker ? { marker } : {}), hosts, keyType, key })
  }
  return entries
}

/** OpenSSH wildcard match: `*` any run, `?` one character, case-insensitive as host names are. */
function wildcardMatch(pattern: string, name: string): boolean {
  const source = pattern
    .toLowerCase()
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`).test(name.toLowerCase())
}

function hashedMatch(field: string, name: string): boolean {
  const [, magic, salt, hash] = field.split('|')
  if (magic !== '1' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64')
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest()
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/** Whether a known_hosts host field names this host and port (hashed entries, comma lists, `!` negation). */
export function hostsFieldMatches(field: string, host: string, port: number): boolean {
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`]
  if (field.startsWith('|')) return names.some((name) => hashedMatch(field, name))
  let matched = false
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!')
    const body = negated ? pattern.slice(1) : pattern
    if (!names.some((name) => wildcardMatch(body, name))) continue
    if (negated) return false
    matched = true
  }
  return matched
}

/** Read and parse known_hosts files; missing files count as empty. */
export async function readKnownHosts(files: string[]): Promise<KnownHostEntry[]> {
  const all = await Promise.all(
    files.map(async (file) => {
      try {
        return parseKnownHosts(await readFile(file, 'utf8'), file)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
        throw error
      }
    }),
  )
  return all.flat()
}

/** The entries that speak about this host and port. */
export function entriesFor(entries: KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  return entries.filter((entry) => hostsFieldMatches(entry.hosts, host, port))
}

/**
 * Compare an offered host key with the entries for its host (as entriesFor returns them). As in
 * OpenSSH, any key known for the host makes every other key a changed one, whatever its type: a man
 * in the middle cannot slip in by offering a type not on file.
 */
export function checkHostKey(entries: KnownHostEntry[], offered: Buffer): HostKeyStatus {
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(offered))
  if (revoked) return { status: 'revoked', entry: revoked }
  const plain = entries.filter((e) => !e.marker)
  const match = plain.find((e) => e.key.equals(offered))
  if (match) return { status: 'known', entry: match }
  if (plain.length > 0) {
    // The known keys of the offered type first: they are the ones the message should name.
    const type = keyTypeOf(offered)
    return {
      status: 'changed',
      expected: [...plain.filter((e) => e.keyType === type), ...plain.filter((e) => e.keyType !== type)],
    }
  }
  const authority = entries.find((e) => e.marker === 'cert-authority')
  if (authority) return { status: 'certificate', authority }
  return { status: 'unknown' }
}

/** Append a host key to a known_hosts file as one line, creating the file and its folders as needed. */
export async function recordHostKey(file: string, host: string, port: number, key: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  let existing = ''
  try {
    existing = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  if (entriesFor(parseKnownHosts(existing, file), host, port).some((e) => !e.marker && e.key.equals(key)))
    return
  const line = `${hostField(host, port)} ${keyTypeOf(key)} ${key.toString('base64')}\n`
  // One write in append mode, so concurrent writers never interleave inside a line.
  const separator = existing && !existing.endsWith('\n') ? '\n' : ''
  await appendFile(file, separator + line, { mode: 0o600 })
}

/**
 * Remove the lines a known_hosts file keeps under exactly these host names (as recordHostKey writes
 * them for a HostKeyAlias): for a machine that was destroyed, whose alias no other machine will have.
 * Other lines, comments and markers stay as written. A missing file is left missing.
 */
export async function forgetHostKeys(file: string, names: string[]): Promise<void> {
  if (names.length === 0) return
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  const gone = new Set(names)
  const lines = text.split('\n')
  const kept = lines.filter((line) => !gone.has(line.trim().split(/\s+/)[0] ?? ''))
  if (kept.length === lines.length) return
  // A new file renamed over the old one: a reader sees the old lines or the new, never half of them.
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, kept.join('\n'), { mode: 0o600 })
  await rename(temporary, file)
}
