import assert from 'node:assert/strict'
import { symlink as link, lstat, mkdir, readFile, readlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runPhase, SHELLS, shellFor, statuses, tempDir } from './support.js'

for (const shellName of SHELLS) {
  describe(`symlink (${shellName})`, () => {
    it('creates, is ok again, replaces a wrong link (also one to a folder) and removes it', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'current')
      await mkdir(join(dir, 'v1'))
      await mkdir(join(dir, 'v2'))
      const to = (target: string) => ({ type: 'symlink', path, target }) as const
      const first = await runPhase([to(join(dir, 'v1'))], { shell })
      assert.equal(first.results[0]!.message, 'created', first.stderr)
      assert.equal(await readlink(path), join(dir, 'v1'))
      assert.deepEqual(statuses(await runPhase([to(join(dir, 'v1'))], { shell })), ['ok'])

      const dry = await runPhase([to('v2')], { shell, dryRun: true })
      assert.equal(dry.results[0]!.message, 'would point to v2')
      assert.equal(await readlink(path), join(dir, 'v1'))
      const moved = await runPhase([to('v2')], { shell })
      assert.equal(moved.results[0]!.message, 'pointed to v2')
      assert.equal(await readlink(path), 'v2', 'the link itself changed, not a link inside v1')
      assert.deepEqual(await readFile(join(dir, 'v1', 'v2')).catch(() => 'none'), 'none')

      const gone = await runPhase([{ type: 'symlink', path, state: 'absent' }], { shell })
      assert.equal(gone.results[0]!.message, 'removed')
      await assert.rejects(lstat(path))
      assert.deepEqual(statuses(await runPhase([{ type: 'symlink', path, state: 'absent' }], { shell })), [
        'ok',
      ])
    })

    it('a dangling target is fine; a regular file or folder in its place is left alone (failed)', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      assert.deepEqual(
        statuses(await runPhase([{ type: 'symlink', path: join(dir, 'l'), target: 'missing' }], { shell })),
        ['changed'],
      )
      await writeFile(join(dir, 'file'), 'keep')
      await mkdir(join(dir, 'folder'))
      const run = await runPhase(
        [
          { type: 'symlink', path: join(dir, 'file'), target: '/etc' },
          { type: 'symlink', path: join(dir, 'folder'), target: '/etc' },
        ],
        { shell },
      )
      assert.deepEqual(statuses(run), ['failed', 'skipped'])
      assert.equal(run.results[0]!.message, 'exists and is not a symlink; left alone')
      assert.equal(await readFile(join(dir, 'file'), 'utf8'), 'keep')
      const absent = await runPhase([{ type: 'symlink', path: join(dir, 'folder'), state: 'absent' }], {
        shell,
      })
      assert.equal(absent.results[0]!.status, 'failed')
      assert.ok((await lstat(join(dir, 'folder'))).isDirectory())
    })

    it('a target with a trailing newline is compared exactly', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      await link('odd\n', join(dir, 'l'))
      assert.deepEqual(
        statuses(await runPhase([{ type: 'symlink', path: join(dir, 'l'), target: 'odd\n' }], { shell })),
        ['ok'],
      )
      assert.deepEqual(
        statuses(await runPhase([{ type: 'symlink', path: join(dir, 'l'), target: 'odd' }], { shell })),
        ['changed'],
      )
      assert.equal(await readlink(join(dir, 'l')), 'odd')
    })
  })
}
