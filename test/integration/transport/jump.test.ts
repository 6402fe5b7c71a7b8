import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { connectSsh, type SshOptions } from '../../../src/core/transport/ssh.js'
import { TransportError } from '../../../src/core/transport/types.js'
import {
  claimAddress,
  releaseAddress,
  requireRootfs,
  startRootfsNodes,
  type TestNode,
} from '../../support/nodes.js'

// ProxyJump through real sshd nodes. Each node has its own /etc/hosts, so a name that only a jump host
// can resolve proves the connection went through that jump host (this machine never looks it up:
// it would ask a DNS server off the machine).

async function logins(node: TestNode): Promise<number> {
  const log = await readFile(join(node.dir, 'upper/var/log/forklift-sshd.log'), 'utf8').catch(() => '')
  return log.split('\n').filter((l) => l.includes('Accepted publickey')).length
}

test('ProxyJump through one and two jump hosts', async (t) => {
  if (!requireRootfs(t)) return
  const lab = await startRootfsNodes(t, { count: 3 })
  const [jump1, jump2, inner] = lab.nodes as [TestNode, TestNode, TestNode]
  await jump1.exec(
    `echo '${jump2.address} jump2.internal' >> /etc/hosts; echo '${inner.address} inner.internal' >> /etc/hosts`,
  )
  await jump2.exec(`echo '${inner.address} inner.internal' >> /etc/hosts`)

  // An address where nothing listens, for a jump host to fail to reach.
  const closed = await claimAddress()
  t.after(() => releaseAddress(closed))
  const config = join(lab.dir, 'ssh_config')
  await writeFile(
    config,
    `Host jump1
  HostName ${jump1.address}
Host jump2
  HostName jump2.internal
Host via-one
  HostName inner.internal
  ProxyJump jump1
Host via-two
  HostName inner.internal
  ProxyJump jump1,jump2
Host via-nowhere
  HostName ${closed}
  ProxyJump jump1
Host *
  Port 2222
  User root
  IdentityFile ${lab.clientKey}
`,
  )
  const knownHosts = join(lab.dir, 'jump_known_hosts')
  await writeFile(
    knownHosts,
    `[${jump1.address}]:2222 ${jump1.hostPublicKey}\n[jump2.internal]:2222 ${jump2.hostPublicKey}\n` +
      `[inner.internal]:2222 ${inner.hostPublicKey}\n`,
  )
  const options: SshOptions = {
    sshConfigFile: config,
    knownHostsFiles: [knownHosts],
    forkliftKnownHosts: join(lab.dir, 'forklift_known_hosts'),
    acceptNewHostKeys: false,
    agent: false,
    identityFiles: [],
  }

  await t.test('one hop', async () => {
    const before = await logins(jump1)
    const connection = await connectSsh({ name: 'inner', host: 'via-one' }, options)
    assert.equal((await connection.run('hostname')).stdout, `${inner.name}\n`)
    assert.equal((await connection.run('echo again')).stdout, 'again\n')
    await connection.close()
    assert.equal((await logins(jump1)) - before, 1)
  })

  await t.test('two hops, the second named as only the first can resolve it', async () => {
    const before = [await logins(jump1), await logins(jump2)]
    const connection = await connectSsh({ name: 'inner', host: 'via-two' }, options)
    assert.equal((await connection.run('hostname')).stdout, `${inner.name}\n`)
    await connection.close()
    assert.deepEqual([(await logins(jump1)) - before[0]!, (await logins(jump2)) - before[1]!], [1, 1])
  })

  await t.test('a jump host’s key is verified like any other', async () => {
    await assert.rejects(
      connectSsh({ name: 'inner', host: 'via-one' }, { ...options, knownHostsFiles: [] }),
      (e: unknown) =>
        e instanceof TransportError &&
        e.kind === 'host-key-unknown' &&
        e.message.startsWith(
          `inner (root@inner.internal:2222) via jump host jump1 (root@${jump1.address}:2222):`,
        ),
    )
  })

  await t.test('a jump host that cannot reach the node says so', async () => {
    await assert.rejects(
      connectSsh({ name: 'lost', host: 'via-nowhere' }, options),
      (e: unknown) =>
        e instanceof TransportError &&
        e.kind === 'refused' &&
        e.message.startsWith(`lost (root@${closed}:2222) via jump host jump1`) &&
        e.message.includes(`could not reach ${closed}:2222`),
    )
  })
})
