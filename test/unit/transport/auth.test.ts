import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { authAttempts, authHandler, describeAuthFailure } from '../../../src/core/transport/auth.js'
import { TransportError } from '../../../src/core/transport/types.js'
import { requireTools } from '../../support/require.js'

const run = promisify(execFile)
const label = 'web-1 (root@10.0.0.1:22)'

test('login attempts, in order, from the sources that can be used', async (t) => {
  if (!requireTools(t, 'ssh-keygen')) return
  const dir = await mkdtemp(join(tmpdir(), 'forklift-auth-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const key = async (name: string, passphrase = '') => {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', join(dir, name)])
    return join(dir, name)
  }
  const [node, config, locked, fallback] = await Promise.all([
    key('node'),
    key('config'),
    key('locked', 'secret'),
    key('fallback'),
  ])

  await t.test(
    'node key, config keys, agent, defaults; duplicates and missing config keys dropped',
    async () => {
      const { attempts, skipped } = await authAttempts(
        'root',
        {
          nodeIdentityFile: node,
          configIdentityFiles: [config, join(dir, 'missing'), node, locked],
          agent: join(dir, 'no-agent.sock'),
          defaultIdentityFiles: [fallback, config],
        },
        label,
      )
      assert.deepEqual(
        attempts.map((a) => a.label),
        [
          `key ${node} (identity file)`,
          `key ${config} (ssh config IdentityFile)`,
          `key ${fallback} (default identity)`,
        ],
      )
      assert.deepEqual(skipped, [
        `${locked} (ssh config IdentityFile, encrypted: load it into ssh-agent)`,
        `ssh-agent ${join(dir, 'no-agent.sock')} (no socket there)`,
      ])
    },
  )

  await t.test('an unreadable node identity file is an error naming it', async () => {
    await assert.rejects(
      authAttempts(
        'root',
        { nodeIdentityFile: join(dir, 'nope'), configIdentityFiles: [], defaultIdentityFiles: [] },
        label,
      ),
      (e: unknown) =>
        e instanceof TransportError &&
        e.kind === 'auth' &&
        e.message === `${label}: cannot read identity file ${join(dir, 'nope')}: ENOENT`,
    )
    await assert.rejects(
      authAttempts(
        'root',
        { nodeIdentityFile: `${node}.pub`, configIdentityFiles: [], defaultIdentityFiles: [] },
        label,
      ),
      /is not a usable key/,
    )
  })

  await t.test(
    'the handler offers each attempt once, skipping all when the server takes no keys',
    async () => {
      const { attempts } = await authAttempts(
        'root',
        { nodeIdentityFile: node, configIdentityFiles: [config], defaultIdentityFiles: [] },
        label,
      )
      const log = { tried: [] as string[] }
      const handler = authHandler(attempts, log)
      const offered: unknown[] = []
      handler(null as never, false, (m) => offered.push(m))
      handler(['publickey', 'password'], false, (m) => offered.push(m))
      handler(['publickey'], false, (m) => offered.push(m))
      assert.deepEqual(offered, [attempts[0]!.method, attempts[1]!.method, false])
      assert.equal(describeAuthFailure(log, []), `tried ${attempts[0]!.label}, ${attempts[1]!.label}`)

      const passwordOnly = { tried: [] as string[] }
      const refusing = authHandler(attempts, passwordOnly)
      const none: unknown[] = []
      refusing(['password', 'keyboard-interactive'], false, (m) => none.push(m))
      assert.deepEqual(none, [false])
      assert.equal(
        describeAuthFailure(passwordOnly, []),
        'tried nothing the server accepts; the server only accepts password, keyboard-interactive',
      )
    },
  )
})
