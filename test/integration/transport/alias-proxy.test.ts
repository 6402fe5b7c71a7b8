import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { forgetHostKeys } from '../../../src/core/transport/known-hosts.js'
import { connectSsh, type SshOptions, type SshTarget } from '../../../src/core/transport/ssh.js'
import { TransportError } from '../../../src/core/transport/types.js'
import { requireSshd, startSshNodes, type TestNode, type TestNodes } from '../../support/nodes.js'

// A node's HostKeyAlias (a machine that may reappear at another's address) and ProxyCommand (the
// way vagrant ssh-config says to reach it), against a real sshd.

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

async function echo(lab: TestNodes, node: TestNode, options: SshOptions, extra: Partial<SshTarget> = {}) {
  const connection = await connectSsh(target(lab, node, extra), options)
  const result = await connection.run('echo ok')
  await connection.close()
  return result.stdout
}

/** Whether a process is alive (a zombie counts as ended). */
async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  return !/^State:\s+Z/m.test(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => 'State: Z'))
}

test('host key aliases and ProxyCommand', async (t) => {
  if (!requireSshd(t)) return
  const lab = await startSshNodes(t, { count: 1 })
  const [node] = lab.nodes as [TestNode]
  const forklift = join(lab.dir, 'config', 'forklift', 'known_hosts')
  const base: SshOptions = {
    sshConfigFile: join(lab.dir, 'no-config'),
    knownHostsFiles: [join(lab.dir, 'empty_known_hosts')],
    globalKnownHostsFiles: [],
    forkliftKnownHosts: forklift,
    acceptNewHostKeys: true,
    agent: false,
    identityFiles: [],
  }

  await t.test(
    'a machine re-created at the same address under a new alias is a new host, not a changed key',
    async () => {
      assert.equal(await echo(lab, node, base, { hostKeyAlias: 'web-1.web.1.aa.vagrant.forklift' }), 'ok\n')
      // Kept under the alias alone, with no port, as OpenSSH keeps a HostKeyAlias.
      assert.match(await readFile(forklift, 'utf8'), /^web-1\.web\.1\.aa\.vagrant\.forklift ssh-ed25519 /)
      await node.restart({ newHostKey: true })
      assert.equal(await echo(lab, node, base, { hostKeyAlias: 'web-1.web.2.aa.vagrant.forklift' }), 'ok\n')
      // The old alias still names the old machine's key: this one is refused under it.
      await assert.rejects(
        echo(lab, node, base, { hostKeyAlias: 'web-1.web.1.aa.vagrant.forklift' }),
        (error: TransportError) => error.kind === 'host-key-changed',
      )
    },
  )

  await t.test("forgetting a destroyed machine's alias removes its lines and nothing else", async () => {
    const before = await readFile(forklift, 'utf8')
    await writeFile(
      forklift,
      `# kept comment\n${before}[127.0.0.9]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1\n`,
    )
    await forgetHostKeys(forklift, ['web-1.web.1.aa.vagrant.forklift', 'never-recorded'])
    const after = (await readFile(forklift, 'utf8')).split('\n')
    assert.equal(after[0], '# kept comment')
    assert.equal(after.filter((l) => l.startsWith('web-1.web.1.')).length, 0)
    assert.equal(after.filter((l) => l.startsWith('web-1.web.2.')).length, 1)
    assert.equal(after.filter((l) => l.startsWith('[127.0.0.9]:2222 ')).length, 1)
    // The alias is unknown again: refused without the flag as any unknown host is, not as a changed one.
    await assert.rejects(
      echo(
        lab,
        node,
        { ...base, acceptNewHostKeys: false },
        { hostKeyAlias: 'web-1.web.1.aa.vagrant.forklift' },
      ),
      (error: TransportError) => error.kind === 'host-key-unknown',
    )
    await forgetHostKeys(join(lab.dir, 'no-such-file'), ['x'])
  })

  const relay = join(lab.dir, 'relay.cjs')
  await writeFile(
    relay,
    [
      "const net = require('node:net')",
      "require('node:fs').writeFileSync(process.argv[4], String(process.pid))",
      'const socket = net.connect(Number(process.argv[3]), process.argv[2])',
      'process.stdin.pipe(socket).pipe(process.stdout)',
      "socket.on('close', () => process.exit(0))",
    ].join('\n'),
  )
  const pidFile = join(lab.dir, 'relay.pid')

  await t.test(
    'ProxyCommand carries the connection: %h and %p expanded, the command ended after',
    async () => {
      // The address given would not answer: only the command reaches the node.
      const connection = await connectSsh(
        target(lab, node, {
          host: '192.0.2.1',
          hostKeyAlias: 'web-1.web.2.aa.vagrant.forklift',
          proxyCommand: `${process.execPath} ${relay} ${node.address} %p ${pidFile}`,
        }),
        base,
      )
      assert.equal((await connection.run('echo "$SSH_CONNECTION"')).stdout.split(' ')[2], node.address)
      const pid = Number(await readFile(pidFile, 'utf8'))
      assert.equal(await alive(pid), true)
      await connection.close()
      for (let i = 0; i < 100 && (await alive(pid)); i++) await new Promise((r) => setTimeout(r, 20))
      assert.equal(await alive(pid), false, 'the ProxyCommand outlived its connection')

      assert.equal(
        await echo(lab, node, base, {
          hostKeyAlias: 'web-1.web.2.aa.vagrant.forklift',
          proxyCommand: `${process.execPath} ${relay} %h %p ${pidFile}`,
        }),
        'ok\n',
      )
    },
  )

  await t.test('a ProxyCommand that fails is one line with its exit status and what it said', async () => {
    await assert.rejects(
      connectSsh(target(lab, node, { proxyCommand: `sh -c "echo 'no route to web-1' >&2; exit 3"` }), base),
      (error: TransportError) => {
        assert.ok(error instanceof TransportError)
        assert.match(
          error.message,
          /: ProxyCommand 'sh -c "echo 'no route to web-1' >&2; exit 3"' failed \(exit 3\): no route to web-1$/,
        )
        assert.ok(!error.message.includes('\n'))
        return true
      },
    )
  })
})
