import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { runCli } from '../../support/cli.js'

// A node that prints escape sequences must not move the cursor, erase lines or hide text in what
// Forklift shows; --json keeps the bytes exactly.

const HOSTILE = 'before\x1b[1A\x1b[2Kerased\r\x1b[8mhidden\x1b[0m\x9b2J\u202eevil'

describe('node output on the terminal', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-text-'))
    const script = `printf '%s\\n' '${HOSTILE}'; printf '%s\\n' '${HOSTILE}' >&2`
    await writeFile(
      join(dir, 'forklift.yaml'),
      `providers:
  box: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: box
    count: 1
    phases:
      configure:
        - { type: file, path: /motd, content: ${JSON.stringify(`${HOSTILE}\n`)} }
        - { type: exec, script: ${JSON.stringify(script)} }
      preview:
        - { type: file, path: /motd2, content: ${JSON.stringify(`${HOSTILE}\n`)} }
      broken:
        - { type: exec, script: ${JSON.stringify(`${script}; exit 3`)} }
`,
    )
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('is made visible as cat -v does in plain output, --verbose diffs and failure summaries', async () => {
    const converged = await runCli(['converge', '--verbose'], { cwd: dir })
    assert.equal(converged.code, 0, converged.stderr)
    const run = await runCli(['lift', '--verbose', '--dry-run', '-p', 'preview'], { cwd: dir })
    assert.equal(run.code, 0, run.stderr)
    const failed = await runCli(['lift', '--verbose', '-p', 'broken'], { cwd: dir })
    assert.equal(failed.code, 1, failed.stderr)
    for (const out of [run.stdout, converged.stdout, failed.stdout]) {
      assert.doesNotMatch(out, /[\x1b\r\x9b\u202e]/, 'no control character reaches the terminal')
    }
    assert.ok(run.stdout.includes('+before^[[1A^[[2Kerased^M^[[8mhidden^[[0mM-^[2J<U+202E>evil'), run.stdout)
    assert.ok(failed.stdout.includes('| before^[[1A^[[2Kerased^M'), failed.stdout)
  })

  it('--json keeps the exact bytes', async () => {
    const run = await runCli(['lift', '--json', '-p', 'broken'], { cwd: dir })
    assert.equal(run.code, 1, run.stderr)
    const result = JSON.parse(run.stdout) as RunResult
    const action = result.groups[0]!.phases.find((p) => p.phase === 'broken')!.actions[0]!
    assert.ok(action.output?.includes(HOSTILE), action.output)
  })
})
