import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { runCli } from '../../support/cli.js'

// What a failed exec's report keeps of its output, through the real CLI on a folder node.

describe("a failed exec's output in the report", () => {
  it('keeps the last 200 lines of stdout, then of stderr; error.stderr holds stderr alone', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-exec-output-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
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
        - type: exec
          script: |
            i=1; while [ $i -le 300 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done
            exit 3
`,
    )
    const result = await runCli(['converge', '--json'], { cwd: dir })
    assert.equal(result.code, 1, result.stdout + result.stderr)
    const phase = (JSON.parse(result.stdout) as RunResult).groups[0]!.phases.find(
      (p) => p.phase === 'configure',
    )!
    const lines = (from: number, prefix: string) =>
      Array.from({ length: 200 }, (_, i) => `${prefix} ${from + i}`)
    assert.equal(phase.actions[0]!.output, [...lines(101, 'out'), ...lines(101, 'err')].join('\n'))
    assert.equal(phase.error!.stderr, lines(101, 'err').join('\n'))
    assert.equal(phase.error!.exitCode, 3)
  })
})
