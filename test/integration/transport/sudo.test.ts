import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { connectSsh, type SshOptions } from '../../../src/core/transport/ssh.js'
import { TransportError } from '../../../src/core/transport/types.js'
import { requireRootfs, startRootfsNodes, type TestNode } from '../../support/nodes.js'

// sudo for a non-root login, on a node with its own root filesystem where `deploy` has sudo rights.

test('sudo for a non-root login', async (t) => {
  if (!requireRootfs(t)) return
  const lab = await startRootfsNodes(t, { count: 1 })
  const node = lab.nodes[0] as TestNode
  const options: SshOptions = {
    sshConfigFile: join(lab.dir, 'no-config'),
    knownHostsFiles: [lab.knownHosts],
    forkliftKnownHosts: join(lab.dir, 'forklift_known_hosts'),
    acceptNewHostKeys: false,
    agent: false,
    identityFiles: [],
  }
  const deploy = {
    name: node.name,
    host: node.address,
    port: node.port,
    user: 'deploy',
    identityFile: lab.clientKey,
  }

  await t.test('runs the script as root through sudo -n, and as the login without it', async () => {
    const connection = await connectSsh(deploy, options)
    assert.deepEqual(await connection.run('sudo -n id -un; id -un', { sudo: true }), {
      stdout: 'root\nroot\n',
      stderr: '',
      code: 0,
    })
    assert.equal((await connection.run('id -un')).stdout, 'deploy\n')
    // The script goes through stdin whole under sudo too.
    const long = Array.from({ length: 5000 }, (_, i) => `echo ${i} > /dev/null`).join('\n')
    assert.equal(
      (await connection.run(`${long}\ntouch /root/made-by-sudo; echo done`, { sudo: true })).stdout,
      'done\n',
    )
    assert.equal((await node.exec('ls /root/made-by-sudo')).code, 0)
    assert.equal(connection.channels, 3)
    await connection.close()
  })

  await t.test(
    'an aborted script run through sudo gets SIGTERM (its trap runs as root), then nothing is left',
    async () => {
      const connection = await connectSsh(deploy, options)
      const abort = new AbortController()
      const running = connection.run(
        "trap 'id -un > /root/trapped; exit 129' TERM; touch /root/started; sleep 37",
        { sudo: true, signal: abort.signal },
      )
      for (let i = 0; i < 400 && (await node.exec('test -e /root/started')).code !== 0; i++)
        await new Promise((r) => setTimeout(r, 50))
      abort.abort()
      await assert.rejects(running, (e: unknown) => e instanceof TransportError && e.kind === 'aborted')
      await connection.close()
      assert.equal((await node.exec('cat /root/trapped')).stdout, 'root\n')
      const left = await node.exec("ps -eo args | grep -c '^sleep 37' || true")
      assert.equal(left.stdout.trim(), '0', 'the script’s sleep is left on the node')
    },
  )

  await t.test('says clearly when sudo wants a password', async () => {
    await node.exec("echo 'deploy ALL=(ALL) ALL' > /etc/sudoers.d/deploy")
    const connection = await connectSsh(deploy, options)
    await assert.rejects(
      connection.run('touch /root/never', { sudo: true }),
      (e: unknown) =>
        e instanceof TransportError &&
        e.kind === 'sudo' &&
        e.message ===
          `${node.name} (deploy@${node.address}:2222): sudo asks deploy for a password; ` +
            'allow it without one (NOPASSWD in /etc/sudoers.d) or log in as root',
    )
    // A script that fails on its own is a result, not a sudo refusal.
    assert.equal((await connection.run('exit 4')).code, 4)
    await connection.close()
    assert.notEqual((await node.exec('ls /root/never')).code, 0)
  })
})
