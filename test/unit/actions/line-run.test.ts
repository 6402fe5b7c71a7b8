import assert from 'node:assert/strict'
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { Action } from '../../../src/core/actions/types.js'
import { runPhase, SHELLS, type Shell, shellFor, statuses, tempDir } from './support.js'

// Consecutive `line` actions on one file run as one awk pass and one rewrite. These tests count
// the processes, and hold every way such a run can fail to what the same actions do one by one.
// The reference spells the path two ways in turn (`dir/f`, `dir//f`): the same file, yet no two
// neighbours share a path string, so no run forms.

/** The shell, with wrappers on PATH that log each run of these tools to `log` (and fail when told). */
async function wrapped(
  shell: Shell,
  dir: string,
  tools: Record<string, 'log' | 'fail'>,
): Promise<{ shell: Shell; count: (tool: string) => Promise<number> }> {
  const bin = join(dir, 'bin')
  await mkdir(bin, { recursive: true })
  const log = join(dir, 'tools.log')
  const path = shell.env.PATH ?? process.env.PATH ?? ''
  for (const [tool, how] of Object.entries(tools)) {
    // Find the real tool on the shell's own PATH, then put the wrapper first.
    const body =
      how === 'fail'
        ? `echo ${tool} >>'${log}'; echo "${tool}: refused by the test" >&2; exit 1`
        : `echo ${tool} >>'${log}'; PATH='${path}'; exec ${tool} "$@"`
    await writeFile(join(bin, tool), `#!/bin/sh\n${body}\n`)
    await chmod(join(bin, tool), 0o755)
  }
  return {
    shell: { ...shell, env: { ...shell.env, PATH: `${bin}:${path}` } },
    count: async (tool) =>
      (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l === tool).length,
  }
}

/** The same actions with the path spelt two ways in turn: each runs on its own. */
const oneByOne = (actions: Action[]): Action[] =>
  actions.map((a, i) =>
    a.type === 'line' && i % 2 ? { ...a, path: a.path.replace(/\/([^/]*)$/, '//$1') } : a,
  )

const outcome = (run: Awaited<ReturnType<typeof runPhase>>) =>
  run.results.map((r) => `${r.status}: ${r.message?.replaceAll('//', '/')}`)

for (const shellName of SHELLS) {
  describe(`a run of line actions (${shellName})`, () => {
    it('is one awk and one rename, and each action keeps its status, message and diff', async (t) => {
      const base = await shellFor(t, shellName)
      if (!base) return
      const dir = await tempDir(t)
      const path = join(dir, 'app.conf')
      const lines = Array.from({ length: 30 }, (_, i) => `key${i} = ${i}`)
      await writeFile(path, `${lines.join('\n')}\n`)
      const { shell, count } = await wrapped(base, dir, { awk: 'log', mv: 'log' })
      const actions: Action[] = [
        { type: 'line', path, line: 'key3 = 3' },
        { type: 'line', path, line: 'key30 = 30' },
        { type: 'line', path, line: 'key20 = twenty', match: '^key20 =' },
        { type: 'line', path, line: 'key5 = 5', state: 'absent' },
        { type: 'line', path, line: 'key20 = twenty' },
      ]
      const run = await runPhase(actions, { shell })
      assert.deepEqual(statuses(run), ['ok', 'changed', 'changed', 'changed', 'ok'], run.stderr)
      assert.deepEqual(
        run.results.map((r) => r.message),
        ['up to date', 'set the line', 'set the line', 'removed the line', 'up to date'],
      )
      assert.equal(await count('awk'), 1, 'one awk for the five actions')
      assert.equal(await count('mv'), 1, 'one rewrite of the file')
      const hunks = run.results.map((r) => r.diff?.split('\n').slice(3).join('\n'))
      assert.equal(hunks[0], undefined)
      assert.equal(hunks[1], '@@ -28,3 +28,4 @@\n key27 = 27\n key28 = 28\n key29 = 29\n+key30 = 30\n')
      assert.equal(
        hunks[2],
        '@@ -18,7 +18,7 @@\n key17 = 17\n key18 = 18\n key19 = 19\n-key20 = 20\n+key20 = twenty\n key21 = 21\n key22 = 22\n key23 = 23\n',
      )
      assert.equal(
        hunks[3],
        '@@ -3,7 +3,6 @@\n key2 = 2\n key3 = 3\n key4 = 4\n-key5 = 5\n key6 = 6\n key7 = 7\n key8 = 8\n',
      )
      const expected = [...lines.filter((l) => l !== 'key5 = 5'), 'key30 = 30'].map((l) =>
        l === 'key20 = 20' ? 'key20 = twenty' : l,
      )
      assert.equal(await readFile(path, 'utf8'), `${expected.join('\n')}\n`)

      // One by one, the same statuses, messages and hunks.
      await writeFile(path, `${lines.join('\n')}\n`)
      const alone = await runPhase(oneByOne(actions), { shell: base })
      assert.doesNotMatch(alone.script, /_lb /)
      assert.deepEqual(outcome(alone), outcome(run))
      assert.deepEqual(
        alone.results.map((r) => r.diff?.split('\n').slice(3).join('\n')),
        hunks,
      )
      assert.equal(await readFile(path, 'utf8'), `${expected.join('\n')}\n`)
      assert.deepEqual(statuses(await runPhase(actions, { shell })), ['ok', 'ok', 'ok', 'ok', 'ok'])
    })

    it('a dry run shows each step as the real run would take it, and writes nothing', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'f')
      const actions: Action[] = [
        { type: 'line', path, line: 'a' },
        { type: 'line', path, line: 'b' },
        { type: 'line', path, line: 'a', state: 'absent' },
      ]
      const dry = await runPhase(actions, { shell, dryRun: true })
      assert.deepEqual(statuses(dry), ['changed', 'changed', 'changed'], dry.stderr)
      assert.deepEqual(
        dry.results.map((r) => r.message),
        ['would create', 'would set the line', 'would remove the line'],
      )
      assert.match(dry.results[2]!.diff!, /@@ -1,2 \+1,1 @@\n-a\n b\n/)
      assert.deepEqual(await readdir(dir), [])
    })

    it('in a dry run after a would-change action, a run that meets a failure reports each action as after', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      await mkdir(join(dir, 'dir'))
      const actions: Action[] = [
        { type: 'file', path: join(dir, 'x'), content: 'x' },
        { type: 'line', path: join(dir, 'dir'), line: 'a' },
        { type: 'line', path: join(dir, 'dir'), line: 'b' },
        { type: 'exec', script: 'true' },
      ]
      const dry = await runPhase(actions, { shell, dryRun: true })
      assert.match(dry.script, /_lb 1 2 /)
      assert.deepEqual(statuses(dry), ['changed', 'after', 'after', 'changed'], dry.stderr)
      const alone = await runPhase(oneByOne(actions), { shell, dryRun: true })
      assert.deepEqual(outcome(dry), outcome(alone))
    })

    it('a failed rewrite fails the first action that changed; those before are ok, those after skipped', async (t) => {
      const base = await shellFor(t, shellName)
      if (!base) return
      const dir = await tempDir(t)
      const path = join(dir, 'f')
      const { shell } = await wrapped(base, dir, { mv: 'fail' })
      const actions: Action[] = [
        { type: 'line', path, line: 'kept' },
        { type: 'line', path, line: 'new' },
        { type: 'line', path, line: 'newer' },
        { type: 'exec', script: 'echo ran >"$0"' },
      ]
      await writeFile(path, 'kept\n')
      const run = await runPhase(actions, { shell })
      assert.deepEqual(statuses(run), ['ok', 'failed', 'skipped', 'skipped'])
      assert.match(run.results[1]!.output ?? '', /mv: refused by the test/)
      assert.equal(run.results[2]!.message, `not run: action 1 (line ${path}) failed`)
      assert.equal(await readFile(path, 'utf8'), 'kept\n')
      assert.deepEqual((await readdir(dir)).sort(), ['bin', 'f', 'tools.log'], 'no temp file is left')
      const alone = await runPhase(oneByOne(actions), { shell })
      assert.deepEqual(outcome(alone), outcome(run))
    })

    it('a folder in the way, a failed awk or mktemp fail where one action alone would', async (t) => {
      const base = await shellFor(t, shellName)
      if (!base) return
      const dir = await tempDir(t)
      const path = join(dir, 'f')
      const cases: {
        tools: Record<string, 'fail'>
        setup: () => Promise<void>
        actions: Action[]
        want: string[]
      }[] = [
        {
          // A missing file: the absent lines before never reach mktemp, as alone.
          tools: { mktemp: 'fail' },
          setup: () => rm(path, { recursive: true, force: true }),
          actions: [
            { type: 'line', path, line: 'x', state: 'absent' },
            { type: 'line', path, line: 'y', state: 'absent', match: '^y' },
            { type: 'line', path, line: 'z' },
            { type: 'line', path, line: 'w' },
          ],
          want: ['ok', 'ok', 'failed', 'skipped'],
        },
        {
          tools: { awk: 'fail' },
          setup: () => writeFile(path, 'a\n'),
          actions: [
            { type: 'line', path, line: 'a' },
            { type: 'line', path, line: 'b' },
          ],
          want: ['failed', 'skipped'],
        },
        {
          tools: {},
          setup: async () => {
            await rm(path, { recursive: true, force: true })
            await mkdir(path)
          },
          actions: [
            { type: 'line', path, line: 'a', state: 'absent' },
            { type: 'line', path, line: 'b' },
          ],
          want: ['failed', 'skipped'],
        },
      ]
      for (const [i, c] of cases.entries()) {
        const { shell } = await wrapped(base, join(dir, `w${i}`), c.tools)
        await c.setup()
        const run = await runPhase(c.actions, { shell })
        assert.match(run.script, /_lb 0 /)
        assert.deepEqual(statuses(run), c.want, `case ${i}: ${run.stderr}`)
        await c.setup()
        const alone = await runPhase(oneByOne(c.actions), { shell })
        assert.deepEqual(outcome(run), outcome(alone), `case ${i} one by one`)
        await rm(path, { recursive: true, force: true })
      }
    })
  })
}
