import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { PLAIN_PROGRESS_MS } from '../../../src/cli/render/plain.js'
import type { RunResult } from '../../../src/core/model/results.js'
import { runCli } from '../../support/cli.js'

// A long phase through the real CLI on a folder node: progress in plain output, none in --json;
// and a crate returning 100,000 `line` actions runs to the end (its time and memory: bench/phases).

const seconds = Math.ceil(PLAIN_PROGRESS_MS / 1000) + 1

const files: Record<string, string> = {
  'forklift.yaml': `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  app:
    provider: box
    count: 1
    phases:
      slow:
        - { type: exec, script: 'true' }
        - { type: exec, script: 'sleep ${seconds}' }
        - { type: exec, script: 'sleep 1' }
    crates: [big]
`,
  'crates/big/package.json': '{ "name": "big", "version": "1.0.0", "type": "module", "main": "index.js" }\n',
  'crates/big/index.js': `
export default { phases: { configure(ctx) {
  const out = []
  for (let i = 0; i < 100000; i++)
    out.push({ type: 'line', path: '/lines/l-' + Math.floor(i / 1000) + '.conf', line: 'key' + i + ' = ' + i })
  return [{ type: 'directory', path: '/lines' }, ...out]
} } }
`,
}

describe('large phases', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-large-'))
    for (const [name, content] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true })
      await writeFile(join(dir, name), content)
    }
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('100,000 line actions from a crate complete, each with its own status, and converge', async () => {
    const first = await runCli(['converge', '--json'], { cwd: dir })
    assert.equal(first.code, 0, first.stderr)
    const phase = (JSON.parse(first.stdout) as RunResult).groups[0]!.phases.find(
      (p) => p.phase === 'configure',
    )!
    assert.deepEqual(phase.counts, { ok: 0, changed: 100001, failed: 0, skipped: 0 })
    assert.equal(phase.actions[100000]!.index, 100000)
    assert.ok(
      phase.actions[100000]!.diff!.endsWith(
        '@@ -997,3 +997,4 @@\n key99996 = 99996\n key99997 = 99997\n key99998 = 99998\n+key99999 = 99999\n',
      ),
      phase.actions[100000]!.diff,
    )
    const lines = (await readFile(join(dir, 'nodes', 'app-1', 'lines', 'l-99.conf'), 'utf8')).split('\n')
    assert.equal(lines.length, 1001)
    assert.equal(lines[999], 'key99999 = 99999')
    const again = await runCli(['lift', '--json'], { cwd: dir })
    const settled = (JSON.parse(again.stdout) as RunResult).groups[0]!.phases.find(
      (p) => p.phase === 'configure',
    )!
    assert.deepEqual(settled.counts, { ok: 100001, changed: 0, failed: 0, skipped: 0 })
  })
  it('a long phase prints how far it is; --json stays one document without it', async () => {
    const plain = await runCli(['lift', '--phase', 'slow'], { cwd: dir })
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stdout, /app-1 +slow: 2\/3 actions done\n/)
    const json = await runCli(['lift', '--phase', 'slow', '--json'], { cwd: dir })
    assert.equal(json.code, 0, json.stderr)
    const result = JSON.parse(json.stdout) as RunResult
    assert.doesNotMatch(json.stdout, /actions done|progress/)
    assert.deepEqual(result.groups[0]!.phases.find((p) => p.phase === 'slow')!.counts, {
      ok: 0,
      changed: 3,
      failed: 0,
      skipped: 0,
    })
  })
})
