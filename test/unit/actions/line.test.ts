import assert from 'node:assert/strict'
import { chmod, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runPhase, SHELLS, shellFor, statuses, tempDir } from './support.js'

for (const shellName of SHELLS) {
  describe(`line (${shellName})`, () => {
    it('appends a missing line, then is ok; a dry run shows the diff and changes nothing', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'hosts')
      await writeFile(path, '127.0.0.1 localhost\n::1 localhost\n')
      await chmod(path, 0o640)
      const action = { type: 'line', path, line: '10.0.0.5 app.internal' } as const

      const dry = await runPhase([action], { shell, dryRun: true })
      assert.equal(dry.results[0]!.status, 'changed', dry.stderr)
      assert.equal(dry.results[0]!.message, 'would set the line')
      assert.match(
        dry.results[0]!.diff!,
        /@@ -1,2 \+1,3 @@\n 127.0.0.1 localhost\n ::1 localhost\n\+10.0.0.5 app.internal\n/,
      )
      assert.equal(await readFile(path, 'utf8'), '127.0.0.1 localhost\n::1 localhost\n')

      const run = await runPhase([action], { shell })
      assert.equal(run.results[0]!.message, 'set the line')
      assert.match(run.results[0]!.diff!, /\+10.0.0.5 app.internal/)
      assert.equal(
        await readFile(path, 'utf8'),
        '127.0.0.1 localhost\n::1 localhost\n10.0.0.5 app.internal\n',
      )
      assert.equal(((await stat(path)).mode & 0o777).toString(8), '640', 'the rewrite keeps the mode')
      assert.deepEqual(await readdir(dir), ['hosts'])
      assert.deepEqual(statuses(await runPhase([action], { shell })), ['ok'])
    })

    it('with match: replaces the first matching line, else appends; ok once it is there', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'sshd_config')
      await writeFile(path, '# PermitRootLogin yes\nPort 22\nPermitRootLogin yes\nPermitRootLogin maybe\n')
      const action = {
        type: 'line',
        path,
        line: 'PermitRootLogin no',
        match: '^PermitRootLogin[[:space:]]',
      } as const
      const run = await runPhase([action], { shell })
      assert.equal(run.results[0]!.status, 'changed', run.stderr)
      assert.equal(
        await readFile(path, 'utf8'),
        '# PermitRootLogin yes\nPort 22\nPermitRootLogin no\nPermitRootLogin maybe\n',
      )
      assert.deepEqual(statuses(await runPhase([action], { shell })), ['ok'])

      const other = { type: 'line', path, line: 'UseDNS no', match: '^UseDNS ' } as const
      await runPhase([other], { shell })
      assert.match(await readFile(path, 'utf8'), /PermitRootLogin maybe\nUseDNS no\n$/)
    })

    it('regex metacharacters in the line itself are literal without match', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'f')
      const line = 'a.*b [x] $HOME \\n \'q\' "d" (e|f)'
      await writeFile(path, 'aXXb [x] $HOME \\n\n')
      assert.deepEqual(statuses(await runPhase([{ type: 'line', path, line }], { shell })), ['changed'])
      assert.deepEqual(statuses(await runPhase([{ type: 'line', path, line }], { shell })), ['ok'])
      assert.equal(await readFile(path, 'utf8'), `aXXb [x] $HOME \\n\n${line}\n`)
    })

    it('absent removes every matching line; a missing file is created for a present line', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'f')
      await writeFile(path, 'keep\nx=1\nkeep too\nx=2\n')
      // With match, absent needs no `line`.
      const run = await runPhase([{ type: 'line', path, match: '^x=', state: 'absent' }], { shell })
      assert.equal(run.results[0]!.message, 'removed the line')
      assert.equal(await readFile(path, 'utf8'), 'keep\nkeep too\n')
      await assert.rejects(
        runPhase([{ type: 'line', path, state: 'absent' }], { shell }),
        /missing required key `line` \(expected a string; with state absent, `match` may stand for it\)/,
      )
      await assert.rejects(
        runPhase([{ type: 'line', path, match: '^keep' }], { shell }),
        /missing required key `line` \(expected a string\)/,
      )
      assert.deepEqual(
        statuses(await runPhase([{ type: 'line', path, line: 'keep', state: 'absent' }], { shell })),
        ['changed'],
      )
      assert.equal(await readFile(path, 'utf8'), 'keep too\n')

      const fresh = join(dir, 'new')
      assert.deepEqual(
        statuses(await runPhase([{ type: 'line', path: fresh, line: 'a', state: 'absent' }], { shell })),
        ['ok'],
      )
      const created = await runPhase([{ type: 'line', path: fresh, line: 'first' }], { shell })
      assert.equal(created.results[0]!.message, 'created')
      assert.equal(await readFile(fresh, 'utf8'), 'first\n')
    })

    it('edits the file a symlink points to; a bad regex is refused before anything runs', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      await writeFile(join(dir, 'real'), 'a\n')
      await symlink('real', join(dir, 'link'))
      assert.deepEqual(
        statuses(await runPhase([{ type: 'line', path: join(dir, 'link'), line: 'b' }], { shell })),
        ['changed'],
      )
      assert.equal(await readFile(join(dir, 'real'), 'utf8'), 'a\nb\n')
      await assert.rejects(
        runPhase([{ type: 'line', path: join(dir, 'real'), line: 'c', match: '(' }], { shell }),
        /match.*not a portable extended regex: unbalanced "\(" at character 2/,
      )
      assert.equal(await readFile(join(dir, 'real'), 'utf8'), 'a\nb\n')
      assert.deepEqual((await readdir(dir)).sort(), ['link', 'real'])
    })

    it('compares lines as text: numeric-looking lines are never equal to each other', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'f')
      await writeFile(path, '1\n0\n')
      assert.deepEqual(statuses(await runPhase([{ type: 'line', path, line: '1.0' }], { shell })), [
        'changed',
      ])
      assert.deepEqual(
        statuses(await runPhase([{ type: 'line', path, line: '0x0', state: 'absent' }], { shell })),
        ['ok'],
      )
      assert.deepEqual(
        statuses(await runPhase([{ type: 'line', path, line: '1.00', state: 'absent' }], { shell })),
        ['ok'],
      )
      assert.equal(await readFile(path, 'utf8'), '1\n0\n1.0\n')
    })

    it('a repetition such as {2} means the same under every awk', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'f')
      await writeFile(path, 'a{2}b\naab\n')
      const run = await runPhase([{ type: 'line', path, line: 'x', match: '^a{2}b$', state: 'absent' }], {
        shell,
      })
      assert.deepEqual(statuses(run), ['changed'])
      assert.equal(await readFile(path, 'utf8'), 'a{2}b\n')
    })
  })
}
