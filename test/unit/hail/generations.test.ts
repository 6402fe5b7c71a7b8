import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { dirBackend } from '../../../src/core/hail/dir-profile.js'
import {
  currentGeneration,
  listGenerations,
  pointProfileAt,
  removeTempLinks,
} from '../../../src/core/hail/generations.js'

describe('profile generations on disk', () => {
  it('reads generations as Nix lays them out and switches the profile link atomically', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-gen-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const profile = join(dir, 'web')
    assert.equal(await currentGeneration(profile), undefined)
    await symlink('/nix/store/aaa-web', `${profile}-1-link`)
    await symlink('/nix/store/bbb-web', `${profile}-10-link`)
    await symlink('/nix/store/ccc-other', join(dir, 'webby-2-link'))
    await pointProfileAt(profile, 10)
    assert.equal(await readlink(profile), 'web-10-link')
    assert.deepEqual(
      (await listGenerations(profile)).map((g) => [g.number, g.target]),
      [
        [1, '/nix/store/aaa-web'],
        [10, '/nix/store/bbb-web'],
      ],
    )
    assert.deepEqual(await currentGeneration(profile), {
      number: 10,
      link: `${profile}-10-link`,
      target: '/nix/store/bbb-web',
    })
    await symlink('web-1-link', `${profile}.tmp-999-abc`)
    assert.deepEqual(await removeTempLinks(profile), [`${profile}.tmp-999-abc`])
    await writeFile(join(dir, 'plain'), '')
    await assert.rejects(currentGeneration(join(dir, 'plain')), /is not a symlink: not a profile/)
  })

  it('adds, switches and deletes unpacked generations, removing a build no generation uses', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-gen-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const store = join(dir, '.forklift-store')
    const backend = dirBackend({ profilePath: join(dir, 'svc'), storeDir: store, http: { timeoutMs: 1000 } })
    for (const name of ['a', 'b']) await mkdir(join(store, name, 'bin'), { recursive: true })
    const one = await backend.switchTo(join(store, 'a'))
    const two = await backend.switchTo(join(store, 'b'))
    assert.deepEqual([one.number, two.number], [1, 2])
    assert.equal(
      (await backend.switchTo(join(store, 'b'))).number,
      2,
      'the current build again: no new generation',
    )
    await assert.rejects(backend.deleteGeneration(2), /generation 2 is current; not deleted/)
    await backend.switchGeneration(1)
    await backend.deleteGeneration(2)
    assert.deepEqual(
      (await backend.generations()).map((g) => g.number),
      [1],
    )
    assert.deepEqual(await readdir(store), ['a'])
    await mkdir(join(store, '.partial-123'))
    assert.deepEqual(await backend.recover(), [join(store, '.partial-123')])
    await assert.rejects(backend.switchGeneration(5), /no generation 5/)
  })
})
