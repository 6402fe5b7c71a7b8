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

  it('lets exactly one of many starters replace a stale lock', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-lock-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const path = join(dir, 'watcher.pid')
    const go = join(dir, 'go')
    const dead = spawn(process.execPath, ['-e', ''])
    await new Promise((resolve) => dead.on('exit', resolve))
    await writeFile(path, `${dead.pid} 123\n`)
    const lockModule = new URL('../../../src/core/hail/lock.js', import.meta.url).href
    // Each starter waits for the same moment, tries once, and holds what it got for a while.
    const script = `
      import { existsSync } from 'node:fs'
      const { acquirePidLock } = await import(${JSON.stringify(lockModule)})
      while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 2))
      try {
        const lock = await acquirePidLock(${JSON.stringify(path)}, (pid) => 'held by ' + pid)
        console.log('got')
        await new Promise((r) => setTimeout(r, 1500))
        await lock.release()
      } catch (error) {
        console.log(error.message)
      }`
    const starters = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script])
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
      })
      return new Promise<string>((resolve) => child.on('exit', () => resolve(out.trim())))
    })
    await new Promise((resolve) => setTimeout(resolve, 500))
    await writeFile(go, '')
    const results = await Promise.all(starters)
    assert.equal(results.filter((r) => r === 'got').length, 1, results.join('\n'))
    for (const r of results.filter((r) => r !== 'got')) assert.match(r, /^held by \d+$/)
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
