import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Node } from '../../../src/core/model/node.js'
import { connect } from '../../../src/core/transport/index.js'
import { connectSsh, type SshOptions, type SshTarget } from '../../../src/core/transport/ssh.js'
import { TransportError, type TransportErrorKind } from '../../../src/core/transport/types.js'
import { generateKey } from '../../support/keys.js'
import {
  claimAddress,
  releaseAddress,
  requireSshd,
  startSilentServer,
  startSshNodes,
  type TestNode,
  type TestNodes,
} from '../../support/nodes.js'
import { requireTools } from '../../support/require.js'

// The SSH transport against real OpenSSH daemons on loopback.

/** Options that trust the lab's nodes and nothing from this machine's own ~/.ssh. */
function options(lab: TestNodes, extra: Partial<SshOptions> = {}): SshOptions {
  return {
    sshConfigFile: join(lab.dir, 'no-ssh-config'),
    knownHostsFiles: [lab.knownHosts],
    forkliftKnownHosts: join(lab.dir, 'forklift', 'known_hosts'),
    acceptNewHostKeys: false,
    agent: false,
    identityFiles: [],
    ...extra,
  }
}

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

/** Assert a TransportError of this kind whose one-line message names the node. */
function failsWith(kind: TransportErrorKind, label: string, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof TransportError, `expected a TransportError, got ${error}`)
    assert.equal(error.kind, kind, error.message)
    assert.ok(error.message.startsWith(`${label}:`), error.message)
    assert.ok(!error.message.includes('\n'), 'one line')
    if (pattern) assert.match(error.message, pattern)
    return true
  }
}

async function acceptedLogins(node: TestNode): Promise<number> {
  const log = await readFile(join(node.dir, 'sshd.log'), 'utf8').catch(() => '')
  return log.split('\n').filter((l) => l.includes('Accepted publickey')).length
}

test('ssh transport against real sshd nodes', async (t) => {
  if (!requireSshd(t)) return
  const lab = await startSshNodes(t, { count: 2 })
  const [node, other] = lab.nodes as [TestNode, TestNode]
  const label = `${node.name} (root@${node.address}:2222)`

  await t.test('runs a script on stdin and returns stdout, stderr and the exit code', async () => {
    const connection = await connectSsh(target(lab, node), options(lab))
    const result = await connection.run('echo "out $(id -un)"; echo err >&2; exit 7\n')
    assert.deepEqual(result, { stdout: 'out root\n', stderr: 'err\n', code: 7 })
    await connection.close()
  })

  await t.test('reuses one connection for many scripts, one channel each', async () => {
    const before = await acceptedLogins(node)
    const connection = await connectSsh(target(lab, node), options(lab))
    const results = []
    for (let i = 0; i < 6; i++) results.push(await connection.run(`echo ${i}`))
    results.push(...(await Promise.all([connection.run('echo a'), connection.run('echo b')])))
    assert.deepEqual(
      results.map((r) => r.stdout.trim()),
      [...Array.from({ length: 6 }, (_, i) => String(i)), 'a', 'b'],
    )
    assert.equal(connection.channels, 8)
    await connection.close()
    assert.equal((await acceptedLogins(node)) - before, 1, 'one login for all the scripts')
  })

  await t.test('runs more scripts at once than sshd has sessions for', async () => {
    const connection = await connectSsh(target(lab, node), options(lab))
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => connection.run(`sleep 0.2; echo ${i}`)),
    )
    assert.deepEqual(
      results.map((r) => r.stdout),
      Array.from({ length: 12 }, (_, i) => `${i}\n`),
    )
    assert.equal(connection.channels, 12)
    await connection.close()
  })

  await t.test('an aborted script rejects and leaves the connection usable', async () => {
    const connection = await connectSsh(target(lab, node), options(lab))
    const controller = new AbortController()
    const running = connection.run('echo started; sleep 30', {
      signal: controller.signal,
      onStdout: () => controller.abort(),
    })
    await assert.rejects(running, failsWith('aborted', label))
    assert.equal((await connection.run('echo still-here')).stdout, 'still-here\n')
    await connection.close()
  })

  await t.test('keeps bytes whole: long scripts in, multibyte output out', async () => {
    const connection = await connectSsh(target(lab, node), options(lab))
    const script = `${Array.from({ length: 20_000 }, (_, i) => `: line ${i} ‹quoted›`).join('\n')}
i=0; s=é; while [ $i -lt 10 ]; do s="$s$s"; i=$((i+1)); done
n=0; while [ $n -lt 100 ]; do printf %s "$s"; n=$((n+1)); done\n`
    const chunks: string[] = []
    const result = await connection.run(script, { onStdout: (c) => chunks.push(c) })
    assert.equal(result.code, 0)
    assert.equal(result.stdout, 'é'.repeat(102_400))
    assert.equal(chunks.join(''), result.stdout)
    await connection.close()
  })

  await t.test('reports a script ended by a signal, and ignores sudo for root', async () => {
    const connection = await connectSsh(target(lab, node), options(lab))
    const killed = await connection.run('kill -KILL $$')
    assert.equal(killed.code, null)
    assert.equal(killed.signal, 'SIGKILL')
    assert.equal((await connection.run('id -un', { sudo: true })).stdout, 'root\n')
    await connection.close()
    await assert.rejects(connection.run('true'), failsWith('dropped', label, /connection is closed/))
  })

  await t.test('connect() maps a node to its target', async () => {
    const spec: Node = {
      id: node.address,
      name: 'web-9',
      group: 'web',
      provider: 'lab',
      transport: 'ssh',
      address: node.address,
      port: node.port,
      user: 'root',
      identityFile: lab.clientKey,
    }
    const connection = await connect(spec, options(lab))
    assert.equal((await connection.run('echo ok')).stdout, 'ok\n')
    await connection.close()
  })

  await t.test('resolves a host alias from the ssh config', async () => {
    const config = join(lab.dir, 'ssh_config')
    await writeFile(
      config,
      `Host lab-alias\n  HostName ${node.address}\n  Port 2222\n  User root\n  IdentityFile ${lab.clientKey}\n`,
    )
    const connection = await connectSsh(
      { name: 'aliased', host: 'lab-alias' },
      options(lab, { sshConfigFile: config }),
    )
    assert.equal((await connection.run('echo via-alias')).stdout, 'via-alias\n')
    await connection.close()
  })

  await t.test('falls back from a refused node key to the ssh config IdentityFile', async () => {
    const wrong = await generateKey(join(lab.dir, 'wrong_key'))
    const config = join(lab.dir, 'ssh_config_fallback')
    await writeFile(config, `Host ${node.address}\n  IdentityFile ${lab.clientKey}\n`)
    const connection = await connectSsh(
      target(lab, node, { identityFile: wrong.privateKey }),
      options(lab, { sshConfigFile: config }),
    )
    assert.equal((await connection.run('echo second-key')).stdout, 'second-key\n')
    await connection.close()
  })

  await t.test('auth failure names every key tried, in order', async () => {
    const keys = await Promise.all(['w1', 'w2', 'w3'].map((n) => generateKey(join(lab.dir, n))))
    const config = join(lab.dir, 'ssh_config_wrong')
    await writeFile(config, `Host *\n  IdentityFile ${keys[1]!.privateKey}\n`)
    await assert.rejects(
      connectSsh(
        target(lab, node, { identityFile: keys[0]!.privateKey }),
        options(lab, { sshConfigFile: config, identityFiles: [keys[2]!.privateKey] }),
      ),
      failsWith(
        'auth',
        label,
        new RegExp(
          `authentication failed as root; tried key ${keys[0]!.privateKey} \\(identity file\\), ` +
            `key ${keys[1]!.privateKey} \\(ssh config IdentityFile\\), key ${keys[2]!.privateKey} \\(default identity\\)`,
        ),
      ),
    )
  })

  await t.test('a missing node identity file is a clear error', async () => {
    await assert.rejects(
      connectSsh(target(lab, node, { identityFile: join(lab.dir, 'nope') }), options(lab)),
      failsWith('auth', label, /cannot read identity file .*nope: ENOENT/),
    )
  })

  await t.test('connection refused where nothing listens', async () => {
    const address = await claimAddress()
    try {
      await assert.rejects(
        connectSsh(
          { name: 'ghost', host: address, port: 2222, user: 'root', identityFile: lab.clientKey },
          options(lab),
        ),
        failsWith('refused', `ghost (root@${address}:2222)`, /connection refused/),
      )
    } finally {
      releaseAddress(address)
    }
  })

  await t.test('times out on a server that never speaks SSH', async () => {
    const silent = await startSilentServer()
    try {
      await assert.rejects(
        connectSsh(
          {
            name: 'mute',
            host: silent.address,
            port: silent.port,
            user: 'root',
            identityFile: lab.clientKey,
          },
          options(lab, { connectTimeoutMs: 300 }),
        ),
        failsWith('timeout', `mute (root@${silent.address}:2222)`, /timed out after 300 ms/),
      )
    } finally {
      await silent.close()
    }
  })

  await t.test('logs in with keys from a real ssh-agent', async (t2) => {
    if (!requireTools(t2, 'ssh-agent', 'ssh-add')) return
    const sock = join(lab.dir, 'agent.sock')
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' })
    t2.after(() => {
      agent.kill('SIGTERM')
    })
    for (let i = 0; i < 200 && !existsSync(sock); i++) await sleep(10)
    const added = spawn('ssh-add', [lab.clientKey], {
      env: { ...process.env, SSH_AUTH_SOCK: sock },
      stdio: 'ignore',
    })
    assert.equal(await new Promise((resolve) => added.on('close', resolve)), 0)

    const viaOption = await connectSsh(
      target(lab, node, { identityFile: undefined }),
      options(lab, { agent: sock }),
    )
    assert.equal((await viaOption.run('echo agent')).stdout, 'agent\n')
    await viaOption.close()

    // By default the agent comes from SSH_AUTH_SOCK.
    const saved = process.env.SSH_AUTH_SOCK
    process.env.SSH_AUTH_SOCK = sock
    try {
      const { agent: _, ...rest } = options(lab)
      const viaEnv = await connectSsh(target(lab, other, { identityFile: undefined }), rest)
      assert.equal((await viaEnv.run('echo env-agent')).stdout, 'env-agent\n')
      await viaEnv.close()
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK
      else process.env.SSH_AUTH_SOCK = saved
    }
  })

  await t.test('says so when there is no key at all', async () => {
    await assert.rejects(
      connectSsh(target(lab, node, { identityFile: undefined }), options(lab)),
      failsWith('auth', label, /no key to log in with/),
    )
  })

  await t.test('a node killed mid-command gives a dropped error', async () => {
    const connection = await connectSsh(target(lab, other), options(lab))
    let killing: Promise<void> | undefined
    const running = connection.run('echo started; sleep 30; echo never', {
      onStdout: (chunk) => {
        if (chunk.includes('started')) killing ??= other.kill()
      },
    })
    await assert.rejects(
      running,
      failsWith(
        'dropped',
        `${other.name} (root@${other.address}:2222)`,
        /connection dropped while running a script/,
      ),
    )
    // What the script printed before the drop comes with the error.
    const error = await running.catch((e: unknown) => e)
    assert.deepEqual((error as TransportError).output, { stdout: 'started\n', stderr: '' })
    await killing
    await assert.rejects(
      connection.run('true'),
      failsWith('dropped', `${other.name} (root@${other.address}:2222)`),
    )
    await connection.close()
  })
})
