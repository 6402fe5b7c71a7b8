import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runPhase, SHELLS, shellFor, statuses, tempDir } from './support.js'

for (const shellName of SHELLS) {
  describe(`exec (${shellName})`, () => {
    it('runs in its folder with its env; `creates` makes it ok the second time', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const action = {
        type: 'exec',
        cwd: dir,
        env: { GREETING: "it's $HOME `here`" },
        script: 'printf "%s\\n" "$GREETING" > made; pwd; echo to-stderr >&2',
        creates: 'made',
      } as const
      const first = await runPhase([action], { shell })
      assert.equal(first.results[0]!.status, 'changed', first.stderr)
      assert.equal(first.results[0]!.message, 'ran')
      assert.equal(first.results[0]!.output, `${dir}\nto-stderr`)
      assert.equal(await readFile(join(dir, 'made'), 'utf8'), "it's $HOME `here`\n")
      const second = await runPhase([action], { shell })
      assert.deepEqual(statuses(second), ['ok'])
      assert.equal(second.results[0]!.message, 'skipped: made exists')
    })

    it('unless and onlyIf decide whether it runs', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const run = await runPhase(
        [
          { type: 'exec', script: `touch ${dir}/a`, unless: 'true' },
          { type: 'exec', script: `touch ${dir}/b`, unless: 'false' },
          { type: 'exec', script: `touch ${dir}/c`, onlyIf: 'false' },
          { type: 'exec', script: `touch ${dir}/d`, onlyIf: `test -d ${dir}` },
        ],
        { shell },
      )
      assert.deepEqual(statuses(run), ['ok', 'changed', 'ok', 'changed'])
      assert.deepEqual(
        run.results.map((r) => r.message),
        ['skipped: `unless` succeeded', 'ran', 'skipped: `onlyIf` failed', 'ran'],
      )
      assert.deepEqual(
        ['a', 'b', 'c', 'd'].map((f) => existsSync(join(dir, f))),
        [false, true, false, true],
      )
    })

    it('a non-zero exit fails with its status and stderr; the rest is skipped', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const run = await runPhase(
        [
          { type: 'exec', script: 'echo partial; echo "first problem" >&2; echo broken >&2; exit 3' },
          { type: 'exec', script: `touch ${dir}/after` },
          { type: 'file', path: join(dir, 'later'), content: 'x' },
        ],
        { shell },
      )
      assert.deepEqual(statuses(run), ['failed', 'skipped', 'skipped'])
      const failed = run.results[0]!
      assert.equal(failed.exitCode, 3)
      assert.equal(failed.message, 'exited with status 3: broken')
      assert.equal(failed.output, 'partial\nfirst problem\nbroken')
      assert.match(run.results[1]!.message, /^not run: action 0 \(exec echo partial.*\) failed$/)
      assert.equal(existsSync(join(dir, 'after')), false)
      assert.equal(run.code, 1)
    })

    it('a dry run runs the guards but never the script', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const run = await runPhase(
        [
          { type: 'exec', script: `touch ${dir}/ran`, onlyIf: 'true' },
          { type: 'exec', script: `touch ${dir}/ran`, unless: 'true' },
        ],
        { shell, dryRun: true },
      )
      assert.deepEqual(statuses(run), ['changed', 'ok'])
      assert.equal(run.results[0]!.message, 'would run')
      assert.equal(existsSync(join(dir, 'ran')), false)
    })

    it('a script that reads stdin or exits does not eat or end the phase script', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const run = await runPhase(
        [
          { type: 'exec', script: 'cat; read line; echo "read: $line"' },
          { type: 'exec', script: 'exit 0' },
          { type: 'file', path: join(dir, 'still'), content: 'here\n' },
        ],
        { shell },
      )
      assert.deepEqual(statuses(run), ['changed', 'changed', 'changed'], run.stderr)
      assert.equal(run.results[0]!.output, 'read: ')
      assert.equal(await readFile(join(dir, 'still'), 'utf8'), 'here\n')
    })

    it('a background process it starts does not hold the phase open', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const pidFile = join(dir, 'pid')
      t.after(async () => {
        const pid = Number(await readFile(pidFile, 'utf8').catch(() => '0'))
        if (pid > 0) {
          try {
            process.kill(pid)
          } catch {}
        }
      })
      const run = await runPhase([{ type: 'exec', script: `sleep 60 & echo $! > ${pidFile}` }], { shell })
      assert.deepEqual(statuses(run), ['changed'])
      assert.match(await readFile(pidFile, 'utf8'), /^\d+\n$/)
    })

    it('long output is cut to its last 200 lines', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const run = await runPhase(
        [{ type: 'exec', script: 'i=0; while [ $i -lt 1000 ]; do i=$((i+1)); echo "line $i"; done' }],
        {
          shell,
        },
      )
      const lines = run.results[0]!.output!.split('\n')
      assert.equal(lines.length, 200)
      assert.deepEqual([lines[0], lines[199]], ['line 801', 'line 1000'])
    })

    it('a missing cwd fails', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      await mkdir(join(dir, 'exists'))
      await writeFile(join(dir, 'exists', 'f'), '')
      const run = await runPhase([{ type: 'exec', cwd: join(dir, 'nope'), script: 'true' }], { shell })
      assert.equal(run.results[0]!.status, 'failed')
      assert.equal(run.results[0]!.exitCode, 1)
      assert.match(run.results[0]!.message, /^exited with status 1: .*(nope|No such file)/)
    })
  })
}
