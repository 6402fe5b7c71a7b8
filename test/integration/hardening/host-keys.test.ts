import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { connectSsh, type SshOptions, type SshTarget } from '../../../src/core/transport/ssh.js'
import { TransportError, type TransportErrorKind } from '../../../src/core/transport/types.js'
import { generateKey, type TestKey } from '../../support/keys.js'
import { requireSshd, startSshNodes, type TestNode, type TestNodes } from '../../support/nodes.js'

// Host keys as strict as OpenSSH, against real sshd nodes: another key type than the one on file is a
// changed key (never recorded, whatever the flags); @cert-authority never leads to trust on first use;
// user and global known_hosts files are both read (@revoked from either); StrictHostKeyChecking yes
// in the ssh config beats --accept-new-host-keys.

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
    for (const p of patterns) assert.match(error.message, p)
    return true
  }
}

const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

async function works(lab: TestNodes, node: TestNode, options: SshOptions) {
  const connection = await connectSsh(target(lab, node), options)
  const result = await connection.run('echo ok')
  await connection.close()
  assert.equal(result.stdout, 'ok\n')
}

async function contents(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '')
}

test('host keys as strict as OpenSSH', async (t) => {
  if (!requireSshd(t)) return
  const lab = await startSshNodes(t, { count: 2 })
  const [node, other] = lab.nodes as [TestNode, TestNode]
  const forklift = join(lab.dir, 'forklift_known_hosts')
  const empty = join(lab.dir, 'empty')
  const base: SshOptions = {
    sshConfigFile: join(lab.dir, 'no-config'),
    knownHostsFiles: [empty],
    globalKnownHostsFiles: [empty],
    forkliftKnownHosts: forklift,
    acceptNewHostKeys: false,
    agent: false,
    identityFiles: [],
  }
  const field = (n: TestNode) => `[${n.address}]:${n.port}`

  // The node now answers with an RSA key only: a man in the middle that offers another key type.
  const rsa: TestKey = await generateKey(join(lab.dir, 'rsa_host_key'), 'rsa')
  const config = join(node.dir, 'sshd_config')
  await writeFile(
    config,
    (await readFile(config, 'utf8')).replace(/^HostKey .*$/m, `HostKey ${rsa.privateKey}`),
  )
  await node.restart()

  await t.test('a key of another type than the one on file is changed, refused with every flag', async () => {
    const onFile = join(lab.dir, 'ed25519_on_file')
    await writeFile(onFile, `${field(node)} ${node.hostPublicKey}\n`)
    for (const acceptNewHostKeys of [false, true]) {
      await assert.rejects(
        connectSsh(target(lab, node), { ...base, knownHostsFiles: [onFile], acceptNewHostKeys }),
        rejection(
          'host-key-changed',
          /HOST KEY CHANGED/,
          new RegExp(
            `offered ssh-rsa ${quote(rsa.fingerprint)}, expected ssh-ed25519 ${quote(node.fingerprint)}`,
          ),
          new RegExp(`${quote(onFile)}:1`),
        ),
      )
    }
    // The same when the ed25519 key is in Forklift's own file and the ssh config says accept-new.
    await writeFile(forklift, `${field(node)} ${node.hostPublicKey}\n`)
    const acceptNew = join(lab.dir, 'accept-new.config')
    await writeFile(acceptNew, 'Host *\n  StrictHostKeyChecking accept-new\n')
    await assert.rejects(
      connectSsh(target(lab, node), { ...base, sshConfigFile: acceptNew, acceptNewHostKeys: true }),
      rejection('host-key-changed', new RegExp(`${quote(forklift)}:1`)),
    )
    assert.equal(await contents(forklift), `${field(node)} ${node.hostPublicKey}\n`, 'nothing recorded')
    await writeFile(forklift, '')
  })

  await t.test(
    '@cert-authority: refused with a message that says certificates are not supported',
    async () => {
      const ca = await generateKey(join(lab.dir, 'host_ca'))
      const authority = join(lab.dir, 'ca_known_hosts')
      await writeFile(authority, `@cert-authority ${field(other)} ${ca.publicKey}\n`)
      for (const acceptNewHostKeys of [false, true]) {
        await assert.rejects(
          connectSsh(target(lab, other), { ...base, knownHostsFiles: [authority], acceptNewHostKeys }),
          (error: unknown) => {
            assert.ok(error instanceof TransportError, String(error))
            assert.match(error.message, /does not support host certificates/)
            assert.match(error.message, new RegExp(`${quote(authority)}:1`))
            assert.doesNotMatch(error.message, /accept-new/)
            return true
          },
        )
      }
      assert.equal(await contents(forklift), '', 'nothing recorded')
      // A key on file for the host still works beside the authority line.
      await writeFile(
        authority,
        `@cert-authority ${field(other)} ${ca.publicKey}\n${field(other)} ${other.hostPublicKey}\n`,
      )
      await works(lab, other, { ...base, knownHostsFiles: [authority] })
    },
  )

  await t.test('UserKnownHostsFile replaces the user files only: the global file is read too', async () => {
    const user = join(lab.dir, 'user_known_hosts')
    const global = join(lab.dir, 'global_known_hosts')
    await writeFile(user, '')
    await writeFile(global, `${field(other)} ${other.hostPublicKey}\n`)
    const sshConfig = join(lab.dir, 'user.config')
    await writeFile(sshConfig, `Host *\n  UserKnownHostsFile ${user}\n  GlobalKnownHostsFile ${global}\n`)
    // Known from the global file named by the ssh config, with the user file replaced.
    await works(lab, other, { ...base, sshConfigFile: sshConfig })
    // Known from the default global file (the option stands for /etc/ssh/ssh_known_hosts here).
    const userOnly = join(lab.dir, 'user-only.config')
    await writeFile(userOnly, `Host *\n  UserKnownHostsFile ${user}\n`)
    await works(lab, other, { ...base, sshConfigFile: userOnly, globalKnownHostsFiles: [global] })
  })

  await t.test('@revoked is honoured from the global file and from the user file', async () => {
    const user = join(lab.dir, 'revoking_user')
    const global = join(lab.dir, 'revoking_global')
    const sshConfig = join(lab.dir, 'revoke.config')
    await writeFile(sshConfig, `Host *\n  UserKnownHostsFile ${user}\n  GlobalKnownHostsFile ${global}\n`)
    // Known in the user file, revoked in the global one.
    await writeFile(user, `${field(other)} ${other.hostPublicKey}\n`)
    await writeFile(global, `@revoked * ${other.hostPublicKey}\n`)
    for (const acceptNewHostKeys of [false, true]) {
      await assert.rejects(
        connectSsh(target(lab, other), { ...base, sshConfigFile: sshConfig, acceptNewHostKeys }),
        rejection('host-key-revoked', new RegExp(`${quote(global)}:1`)),
      )
    }
    // Known in the global file, revoked in the user one.
    await writeFile(user, `@revoked * ${other.hostPublicKey}\n`)
    await writeFile(global, `${field(other)} ${other.hostPublicKey}\n`)
    await assert.rejects(
      connectSsh(target(lab, other), { ...base, sshConfigFile: sshConfig, acceptNewHostKeys: true }),
      rejection('host-key-revoked', new RegExp(`${quote(user)}:1`)),
    )
  })

  await t.test('StrictHostKeyChecking yes in the ssh config beats --accept-new-host-keys', async () => {
    const sshConfig = join(lab.dir, 'strict.config')
    await writeFile(
      sshConfig,
      `Host ${other.address}\n  StrictHostKeyChecking yes\nHost *\n  StrictHostKeyChecking accept-new\n`,
    )
    await assert.rejects(
      connectSsh(target(lab, other), { ...base, sshConfigFile: sshConfig, acceptNewHostKeys: true }),
      (error: unknown) => {
        assert.ok(error instanceof TransportError, String(error))
        assert.equal(error.kind, 'host-key-unknown')
        assert.match(error.message, /StrictHostKeyChecking yes/)
        assert.doesNotMatch(error.message, /--accept-new-host-keys/)
        return true
      },
    )
    assert.equal(await contents(forklift), '', 'nothing recorded')
  })
})
