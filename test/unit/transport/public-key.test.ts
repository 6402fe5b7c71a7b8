import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { publicKeyOf } from '../../../src/core/transport/public-key.js'
import { generateKey } from '../../support/keys.js'

const run = promisify(execFile)

describe('publicKeyOf', () => {
  it('reads the .pub, and derives it from a bare .pem; a key with a passphrase is a clear error', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-pubkey-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const withPub = await generateKey(join(dir, 'id_ed25519'))
    assert.ok((await publicKeyOf(withPub.privateKey)).startsWith(withPub.publicKey))

    // A PEM RSA key as clouds hand them out: no .pub beside it.
    const pem = join(dir, 'cloud.pem')
    await run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-f', pem])
    const { stdout } = await run('ssh-keygen', ['-y', '-f', pem])
    await rm(`${pem}.pub`)
    assert.equal(await publicKeyOf(pem), stdout.trim())
    assert.match(await publicKeyOf(pem), /^ssh-rsa AAAA\S+$/)

    const locked = join(dir, 'locked')
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', locked])
    await rm(`${locked}.pub`)
    await assert.rejects(publicKeyOf(locked), (error: Error) =>
      error.message.startsWith(`no ${locked}.pub, and ssh-keygen -y cannot derive it from ${locked}: `),
    )
    await assert.rejects(
      publicKeyOf(join(dir, 'missing')),
      /no .*missing\.pub, and ssh-keygen -y cannot derive it/,
    )
  })
})
