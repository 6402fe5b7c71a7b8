import assert from 'node:assert/strict'
import { mkdtemp, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Node } from '../../../src/core/model/node.js'
import { connect } from '../../../src/core/transport/index.js'
import { connectLocal } from '../../../src/core/transport/local.js'
import { sudoRefusal } from '../../../src/core/transport/output.js'
import { TransportError } from '../../../src/core/transport/types.js'

describe('local transport', () => {
  let root: string
  before(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'forklift-local-')))
  })
  after(() => rm(root, { recursive: true, force: true }))

  it('runs the script in sh inside the root, which it names in FORKLIFT_ROOT', async () => {
    const connection = await connectLocal({ root })
    const result = await connection.run('pwd; echo "$FORKLIFT_ROOT"; echo oops >&2; exit 3\n')
    assert.deepEqual(result, { stdout: `${root}\n${root}\n`, stderr: 'oops\n', code: 3 })
    await connection.close()
  })

  it('counts one channel per script and keeps multibyte text whole', async () => {
    const connection = await connectLocal({ root })
    // 200 000 two-byte characters arrive in many chunks; none may be split into replacement characters.
    const result = await connection.run(`i=0; s=é; while [ $i -lt 10 ]; do s="$s$s"; i=$((i+1)); done
n=0; while [ $n -lt 200 ]; do printf %s "$s" | head -c 2000; n=$((n+1)); done\n`)
    assert.equal(result.code, 0)
    assert.equal(result.stdout, 'é'.repeat(200_000))
    await connection.run('true')
    assert.equal(connection.channels, 2)
    await connection.close()
  })

  it('feeds long scripts whole through stdin', async () => {
    const connection = await connectLocal({ root })
    const lines = Array.from({ length: 20_000 }, (_, i) => `echo line-${i}`).join('\n')
    const result = await connection.run(`${lines}\n`)
    assert.equal(result.stdout.split('\n').length, 20_001)
    assert.ok(result.stdout.endsWith('line-19999\n'))
  })

  it('streams stdout to onStdout as it comes', async () => {
    const connection = await connectLocal({ root })
    const chunks: string[] = []
    const result = await connection.run('echo one; sleep 0.1; echo two', { onStdout: (c) => chunks.push(c) })
    assert.equal(chunks.join(''), result.stdout)
    assert.equal(result.stdout, 'one\ntwo\n')
  })

  it('reports a signal that ended the script', async () => {
    const connection = await connectLocal({ root })
    const result = await connection.run('kill -KILL $$')
    assert.equal(result.code, null)
    assert.equal(result.signal, 'SIGKILL')
  })

  it('ignores sudo when already root, and refuses runs after close', async (t) => {
    const connection = await connectLocal({ root })
    if (process.getuid?.() === 0) {
      assert.equal((await connection.run('id -u', { sudo: true })).stdout, '0\n')
    } else {
      t.diagnostic('not root: the sudo half of this test does not apply')
    }
    await connection.close()
    await assert.rejects(
      connection.run('true'),
      (e: unknown) => e instanceof TransportError && e.kind === 'dropped',
    )
  })

  it('stops a script when its signal aborts', async () => {
    const connection = await connectLocal({ root })
    const controller = new AbortController()
    const running = connection.run('sleep 30', { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await assert.rejects(running, (e: unknown) => e instanceof TransportError && e.kind === 'aborted')
  })

  it('is what connect() opens for a local node', async () => {
    const node: Node = {
      id: 'n1',
      name: 'web-1',
      group: 'web',
      provider: 'local',
      transport: 'local',
      address: '',
      root,
    }
    const connection = await connect(node, { forkliftKnownHosts: join(root, 'kh'), acceptNewHostKeys: false })
    assert.equal((await connection.run('echo "$FORKLIFT_ROOT"')).stdout, `${root}\n`)
    await connection.close()
  })
})

describe('sudo refusals', () => {
  const label = 'web-1 (deploy@10.0.0.1:22)'
  it('says when sudo wants a password', () => {
    const error = sudoRefusal(
      { stdout: '', stderr: 'sudo: a password is required\n', code: 1 },
      label,
      'deploy',
    )
    assert.equal(error?.kind, 'sudo')
    assert.match(
      error!.message,
      /^web-1 \(deploy@10\.0\.0\.1:22\): sudo asks deploy for a password; .*NOPASSWD/,
    )
  })

  it('says when sudo is missing', () => {
    const error = sudoRefusal({ stdout: '', stderr: 'sh: 1: sudo: not found\n', code: 127 }, label, 'deploy')
    assert.match(error!.message, /sudo is not installed/)
  })

  it('leaves a failing script alone', () => {
    assert.equal(
      sudoRefusal({ stdout: '', stderr: 'cp: cannot stat\n', code: 1 }, label, 'deploy'),
      undefined,
    )
    assert.equal(
      sudoRefusal({ stdout: 'x', stderr: 'sudo: a password is required', code: 1 }, label, 'deploy'),
      undefined,
    )
  })
})
