import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { acquirePidLock, lockHolder } from '../../../src/core/hail/lock.js'

describe('pid locks', () => {
  it('refuses a second holder with its pid, and frees the lock on release', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-lock-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const path = join(dir, 'watcher.pid')
    const lock = await acquirePidLock(path, (pid) => `held by ${pid}`)
    assert.match(await readFile(path, 'utf8'), new RegExp(`^${process.pid} \\d+\\n$`))
    assert.equal(await lockHolder(path), process.pid)
    await assert.rejects(
      acquirePidLock(path, (pid) => `held by ${pid}`),
      { name: 'UsageError', message: `held by ${process.pid}`, pid: process.pid },
    )
    await lock.release()
    assert.equal(await lockHolder(path), undefined)
    const again = await acquirePidLock(path, (pid) => `held by ${pid}`)
    await again.release()
  })

  it('replaces a lock left by a dead process or a reused pid', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-lock-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const path = join(dir, 'watcher.pid')
    const child = spawn(process.execPath, ['-e', ''])
    await new Promise((resolve) => child.on('exit', resolve))
    await writeFile(path, `${child.pid} 123\n`)
    assert.equal(await lockHolder(path), undefined, 'a dead pid holds nothing')
    // Our own pid with another start time: the pid was reused by an unrelated process.
    await writeFile(path, `${process.pid} 1\n`)
    assert.equal(await lockHolder(path), undefined)
    const lock = await acquirePidLock(path, () => 'held')
    assert.equal(await lockHolder(path), process.pid)
    await lock.release()
  })

  it('waits for a holder that lets go within the wait', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-lock-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const path = join(dir, 'switch.lock')
    const first = await acquirePidLock(path, () => 'held')
    const order: string[] = []
    const second = acquirePidLock(path, () => 'held', 5000).then((l) => {
      order.push('second')
      return l
    })
    await new Promise((resolve) => setTimeout(resolve, 150))
    order.push('released')
    await first.release()
    await (await second).release()
    assert.deepEqual(order, ['released', 'second'])
  })
})
