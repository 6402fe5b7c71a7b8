import assert from 'node:assert/strict'
import { chmod, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runPhase, SHELLS, shellFor, statuses, tempDir } from './support.js'

const mode = async (path: string) => ((await stat(path)).mode & 0o7777).toString(8)

for (const shellName of SHELLS) {
  describe(`file (${shellName})`, () => {
    it('creates with content and mode, then is ok; a dry run after drift shows the diff and changes nothing', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'motd')
      const action = { type: 'file', path, content: 'hello\nworld\n', mode: '0600' } as const

      const first = await runPhase([action], { shell })
      assert.equal(first.results[0]!.status, 'changed', first.stderr)
      assert.equal(first.results[0]!.message, 'created')
      assert.match(first.results[0]!.diff!, /\+hello\n\+world\n/)
      assert.equal(await readFile(path, 'utf8'), 'hello\nworld\n')
      assert.equal(await mode(path), '600')

      const second = await runPhase([action], { shell })
      assert.deepEqual(statuses(second), ['ok'])
      assert.equal(second.results[0]!.message, 'up to date')
      assert.equal(second.results[0]!.diff, undefined)

      await writeFile(path, 'hello\nthere\n')
      await chmod(path, 0o644)
      const dry = await runPhase([action], { shell, dryRun: true })
      assert.equal(dry.results[0]!.status, 'changed')
      assert.equal(dry.results[0]!.message, 'would update content, set mode 0600')
      assert.match(
        dry.results[0]!.diff!,
        /--- a.*motd\n\+\+\+ b.*motd\n@@ -1,2 \+1,2 @@\n hello\n-there\n\+world\n/,
      )
      assert.equal(await readFile(path, 'utf8'), 'hello\nthere\n')
      assert.equal(await mode(path), '644')
      assert.deepEqual(await readdir(dir), ['motd'], 'a dry run leaves no temp file')

      const fix = await runPhase([action], { shell })
      assert.equal(fix.results[0]!.message, 'updated content, set mode 0600')
      assert.match(fix.results[0]!.diff!, /-there\n\+world\n/)
      assert.equal(await readFile(path, 'utf8'), 'hello\nworld\n')
      assert.equal(await mode(path), '600')
      assert.deepEqual(await readdir(dir), ['motd'], 'the temp file was moved into place')
    })

    it('rewriting content keeps the mode the file had; a mode change alone leaves content alone', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'conf')
      await writeFile(path, 'old\n', { mode: 0o640 })
      await chmod(path, 0o640)
      const before = (await stat(path)).ino
      const run = await runPhase([{ type: 'file', path, content: 'new\n' }], { shell })
      assert.equal(run.results[0]!.message, 'updated content')
      assert.equal(await mode(path), '640')
      assert.notEqual((await stat(path)).ino, before, 'replaced atomically by rename')

      const chmodOnly = await runPhase([{ type: 'file', path, mode: '0604' }], { shell })
      assert.equal(chmodOnly.results[0]!.message, 'set mode 0604')
      assert.equal(await readFile(path, 'utf8'), 'new\n')
      assert.equal(await mode(path), '604')
    })

    it('owner and group given as the current ones (name or id) are ok', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'owned')
      await writeFile(path, 'x')
      const uid = String(process.getuid!())
      const gid = String(process.getgid!())
      const run = await runPhase([{ type: 'file', path, owner: uid, group: gid }], { shell })
      assert.deepEqual(statuses(run), ['ok'], run.stderr)
    })

    it('without content: creates an empty file, never touches existing content', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'empty')
      assert.deepEqual(statuses(await runPhase([{ type: 'file', path }], { shell })), ['changed'])
      assert.equal(await readFile(path, 'utf8'), '')
      await writeFile(path, 'kept')
      assert.deepEqual(statuses(await runPhase([{ type: 'file', path }], { shell })), ['ok'])
      assert.equal(await readFile(path, 'utf8'), 'kept')
    })

    it('bytes that are not UTF-8 (NUL included) are written exactly; a diff says binary', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'blob')
      const bytes = Uint8Array.from([0, 255, 254, 10, 0xc3, 0x28, 37, 92, 39, 45])
      await writeFile(path, 'text\n')
      const run = await runPhase([{ type: 'file', path, content: bytes }], { shell })
      assert.equal(run.results[0]!.status, 'changed')
      assert.match(run.results[0]!.diff!, /^Binary content differs \(5 bytes → 10 bytes\)/)
      assert.deepEqual(new Uint8Array(await readFile(path)), bytes)
    })

    it('absent removes a file or symlink, then is ok; a directory there is a failure', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'gone')
      await writeFile(path, 'x')
      await symlink(path, join(dir, 'link'))
      const run = await runPhase(
        [
          { type: 'file', path, state: 'absent' },
          { type: 'file', path: join(dir, 'link'), state: 'absent' },
        ],
        { shell },
      )
      assert.deepEqual(statuses(run), ['changed', 'changed'])
      assert.equal(run.results[0]!.message, 'removed')
      assert.deepEqual(await readdir(dir), [])
      assert.deepEqual(statuses(await runPhase([{ type: 'file', path, state: 'absent' }], { shell })), ['ok'])

      await mkdir(join(dir, 'sub'))
      const refused = await runPhase([{ type: 'file', path: join(dir, 'sub'), state: 'absent' }], { shell })
      assert.equal(refused.results[0]!.status, 'failed')
      assert.equal(refused.results[0]!.message, 'a directory is in the way')
      assert.ok((await stat(join(dir, 'sub'))).isDirectory())
    })

    it('a symlink in place of the file is replaced by a regular file, its target untouched', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      await writeFile(join(dir, 'target'), 'target\n')
      await symlink(join(dir, 'target'), join(dir, 'path'))
      const run = await runPhase([{ type: 'file', path: join(dir, 'path'), content: 'target\n' }], { shell })
      assert.equal(run.results[0]!.message, 'replaced a symlink')
      assert.ok((await lstat(join(dir, 'path'))).isFile())
      assert.equal(await readFile(join(dir, 'target'), 'utf8'), 'target\n')
    })

    it('a missing parent folder fails in one line naming the folder, and later actions are skipped', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const run = await runPhase(
        [
          { type: 'file', path: join(dir, 'no/such/file'), content: 'x' },
          { type: 'file', path: join(dir, 'after'), content: 'x' },
        ],
        { shell },
      )
      assert.deepEqual(statuses(run), ['failed', 'skipped'])
      assert.equal(
        run.results[0]!.message,
        `the folder ${join(dir, 'no/such')} does not exist: create it first (a directory action before this one)`,
      )
      assert.equal(run.results[0]!.output, undefined, 'no shell or mktemp words besides')
      assert.equal(
        run.results[1]!.message,
        'not run: action 0 (file ' + join(dir, 'no/such/file') + ') failed',
      )
      assert.deepEqual(await readdir(dir), [])
    })
  })
}
