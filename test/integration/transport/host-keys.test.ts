import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { appendFile, copyFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { connectSsh, type SshOptions, type SshTarget } from '../../../src/core/transport/ssh.js'
import { TransportError, type TransportErrorKind } from '../../../src/core/transport/types.js'
import { generateKey } from '../../support/keys.js'
import { requireSshd, startSshNodes, type TestNode, type TestNodes } from '../../support/nodes.js'

// Host key verification against real sshd nodes: OpenSSH known_hosts files (plain and hashed),
// Forklift's own file, provider fingerprints; unknown keys refused unless accepted, changed keys always.

const run = promisify(execFile)

function target(lab: TestNodes, node: TestNode, extra: Partial<SshTarget> = {}): SshTarget {
  return {
    name: node.name,
    host: node.address,
    port: node.port,
    user: 'root',
    identityFile: lab.clientKey,
    ...extra,
  }
}

function rejection(kind: TransportErrorKind, ...patterns: RegExp[]) {
  return (error: unknown) => {
    assert.ok(error instanceof TransportError, String(error))
    assert.equal(error.kind, kind, error.message)
    assert.ok(!error.message.includes('\n'), 'one line')
    for (const p of patterns) assert.match(error.message, p)
    return true
  }
}

const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

async function works(lab: TestNodes, node: TestNode, options: SshOptions, extra: Partial<SshTarget> = {}) {
  const connection = await connectSsh(target(lab, node, extra), options)
  const result = await connection.run('echo ok')
  await connection.close()
  assert.equal(result.stdout, 'ok\n')
}

test('host key verification', async (t) => {
  if (!requireSshd(t)) return
  const lab = await startSshNodes(t, { count: 2 })
  const [node, second] = lab.nodes as [TestNode, TestNode]
  const forklift = join(lab.dir, 'config', 'forklift', 'known_hosts')
  const base: SshOptions = {
    sshConfigFile: join(lab.dir, 'no-config'),
    knownHostsFiles: [join(lab.dir, 'empty_known_hosts')],
    forkliftKnownHosts: forklift,
    acceptNewHostKeys: false,
    agent: false,
    identityFiles: [],
  }

  await t.test('an unknown key is refused, naming the flag that accepts it', async () => {
    await assert.rejects(
      connectSsh(target(lab, node), base),
      rejection(
        'host-key-unknown',
        new RegExp(`^${quote(node.name)} \\(root@${quote(node.address)}:2222\\): host key unknown`),
        new RegExp(quote(node.fingerprint)),
        /--accept-new-host-keys/,
        new RegExp(quote(forklift)),
      ),
    )
    await assert.rejects(readFile(forklift), { code: 'ENOENT' })
  })

  await t.test('with acceptNewHostKeys it is recorded in Forklift’s file, then known', async () => {
    await works(lab, node, { ...base, acceptNewHostKeys: true })
    assert.equal(await readFile(forklift, 'utf8'), `[${node.address}]:2222 ${node.hostPublicKey}\n`)
    await works(lab, node, base)
    // Accepting again adds no second line.
    await works(lab, node, { ...base, acceptNewHostKeys: true })
    assert.equal((await readFile(forklift, 'utf8')).split('\n').length, 2)
  })

  await t.test('keys in OpenSSH known_hosts files are trusted, hashed ones too', async () => {
    await works(lab, second, { ...base, knownHostsFiles: [lab.knownHosts] })
    const hashed = join(lab.dir, 'hashed_known_hosts')
    await copyFile(lab.knownHosts, hashed)
    await run('ssh-keygen', ['-H', '-f', hashed])
    assert.match(await readFile(hashed, 'utf8'), /^\|1\|/)
    await works(lab, second, { ...base, knownHostsFiles: [hashed] })
  })

  await t.test('a fingerprint the provider vouches for is trusted; another is refused', async () => {
    await works(lab, second, base, { hostKeyFingerprints: [node.fingerprint, second.fingerprint] })
    await assert.rejects(
      connectSsh(target(lab, second, { hostKeyFingerprints: [node.fingerprint] }), {
        ...base,
        acceptNewHostKeys: true,
      }),
      rejection(
        'host-key-changed',
        /not one the provider vouches for/,
        new RegExp(quote(second.fingerprint)),
      ),
    )
    // Neither recorded anything for the second node.
    assert.ok(!(await readFile(forklift, 'utf8')).includes(second.address))
  })

  await t.test('a key marked @revoked is refused', async () => {
    const revoked = join(lab.dir, 'revoked_known_hosts')
    await writeFile(revoked, `${await readFile(lab.knownHosts, 'utf8')}@revoked * ${second.hostPublicKey}\n`)
    await assert.rejects(
      connectSsh(target(lab, second), { ...base, knownHostsFiles: [revoked], acceptNewHostKeys: true }),
      rejection('host-key-revoked', /@revoked/, new RegExp(`${quote(revoked)}:3`)),
    )
  })

  await t.test('asks for the key type already known for a host that has several', async () => {
    // The second node gets an RSA host key beside its ed25519 one; only the RSA key is known.
    const rsa = await generateKey(join(lab.dir, 'rsa_host_key'), 'rsa')
    await appendFile(join(second.dir, 'sshd_config'), `HostKey ${rsa.privateKey}\n`)
    await second.restart()
    const onlyRsa = join(lab.dir, 'rsa_known_hosts')
    await writeFile(onlyRsa, `[${second.address}]:2222 ${rsa.publicKey}\n`)
    await works(lab, second, { ...base, knownHostsFiles: [onlyRsa] })
    await works(lab, second, { ...base, knownHostsFiles: [lab.knownHosts] })
  })

  await t.test(
    'a changed key is refused even with acceptNewHostKeys, naming both keys and the file',
    async () => {
      const oldFingerprint = node.fingerprint
      await node.restart({ newHostKey: true })
      assert.notEqual(node.fingerprint, oldFingerprint)
      for (const acceptNewHostKeys of [false, true]) {
        await assert.rejects(
          connectSsh(target(lab, node), { ...base, acceptNewHostKeys }),
          rejection(
            'host-key-changed',
            /HOST KEY CHANGED/,
            new RegExp(`offered ssh-ed25519 ${quote(node.fingerprint)}, expected ${quote(oldFingerprint)}`),
            new RegExp(`${quote(forklift)}:1`),
            /ssh-keygen -R/,
          ),
        )
      }
      // The same from an OpenSSH known_hosts file.
      await assert.rejects(
        connectSsh(target(lab, node), { ...base, knownHostsFiles: [lab.knownHosts] }),
        rejection('host-key-changed', new RegExp(`${quote(lab.knownHosts)}:1`)),
      )
      assert.equal((await readFile(forklift, 'utf8')).split('\n').length, 2, 'nothing recorded')
    },
  )
})
