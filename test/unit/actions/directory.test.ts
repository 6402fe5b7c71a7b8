import assert from 'node:assert/strict'
import { chmod, lstat, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runPhase, SHELLS, shellFor, statuses, tempDir } from './support.js'

const mode = async (path: string) => ((await stat(path)).mode & 0o7777).toString(8)

for (const shellName of SHELLS) {
  describe(`directory (${shellName})`, () => {
    it('creates nested folders with a mode, then is ok; a dry run after drift changes nothing', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'a/b/c')
      const action = { type: 'directory', path, mode: '0750' } as const
      const first = await runPhase([action], { shell })
      assert.deepEqual(statuses(first), ['changed'], first.stderr)
      assert.equal(first.results[0]!.message, 'created')
      assert.equal(await mode(path), '750')
      assert.deepEqual(statuses(await runPhase([action], { shell })), ['ok'])

      await chmod(path, 0o755)
      const dry = await runPhase([action], { shell, dryRun: true })
      assert.equal(dry.results[0]!.message, 'would set mode 0750')
      assert.equal(await mode(path), '755')
      const fix = await runPhase([action], { shell })
      assert.equal(fix.results[0]!.message, 'set mode 0750')
      assert.equal(await mode(path), '750')
    })

    it('recursive applies the mode below (symlinks aside), and only what differs', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const root = join(dir, 'tree')
      await mkdir(join(root, 'sub'), { recursive: true })
      await writeFile(join(root, 'sub/file'), 'x', { mode: 0o644 })
      await writeFile(join(dir, 'outside'), 'x', { mode: 0o644 })
      await symlink(join(dir, 'outside'), join(root, 'link'))
      const action = { type: 'directory', path: root, mode: '0700', recursive: true } as const
      const run = await runPhase([action], { shell })
      assert.equal(run.results[0]!.message, 'set mode 0700, set mode below', run.stderr)
      assert.equal(await mode(join(root, 'sub')), '700')
      assert.equal(await mode(join(root, 'sub/file')), '700')
      assert.equal(await mode(join(dir, 'outside')), '644', 'a link below is not followed')
      assert.deepEqual(statuses(await runPhase([action], { shell })), ['ok'])
      await chmod(join(root, 'sub/file'), 0o600)
      const again = await runPhase([action], { shell })
      assert.equal(again.results[0]!.message, 'set mode below')
    })

    it('absent removes the tree, then is ok; a file in place of a present directory fails', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const root = join(dir, 'tree')
      await mkdir(join(root, 'sub'), { recursive: true })
      await writeFile(join(root, 'sub/file'), 'x')
      const run = await runPhase([{ type: 'directory', path: root, state: 'absent' }], { shell })
      assert.equal(run.results[0]!.message, 'removed')
      assert.deepEqual(await readdir(dir), [])
      assert.deepEqual(
        statuses(await runPhase([{ type: 'directory', path: root, state: 'absent' }], { shell })),
        ['ok'],
      )

      await writeFile(root, 'a file')
      const refused = await runPhase([{ type: 'directory', path: root }], { shell })
      assert.equal(refused.results[0]!.status, 'failed')
      assert.equal(refused.results[0]!.message, 'exists and is not a directory')
      assert.ok((await lstat(root)).isFile())
    })

    it('the root directory is never removed', async () => {
      await assert.rejects(
        runPhase([{ type: 'directory', path: '/', state: 'absent' }]),
        /action 0 \(directory \/\): path: is the root directory, which is never removed/,
      )
    })
  })
}
