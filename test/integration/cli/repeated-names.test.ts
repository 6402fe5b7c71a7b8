import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../support/cli.js'

describe('a group or phase named twice runs once', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-repeat-'))
    const init = await runCli(['init', '--name', 'repeat', dir])
    assert.equal(init.code, 0, init.stderr)
    const converge = await runCli(['converge', '--json'], { cwd: dir })
    assert.equal(converge.code, 0, converge.stderr)
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('lift web web -p configure -p configure', async () => {
    const run = await runCli(['lift', 'web', 'web', '-p', 'configure', '-p', 'configure', '--json'], {
      cwd: dir,
    })
    assert.equal(run.code, 0, run.stderr)
    const report = JSON.parse(run.stdout)
    assert.deepEqual(
      report.groups.map((g: { name: string }) => g.name),
      ['web'],
    )
    assert.equal(report.groups[0].nodes.length, 2)
    const runs = (report.groups[0].phases as { node: string; phase: string }[]).map(
      (p) => `${p.node} ${p.phase}`,
    )
    assert.deepEqual(runs.sort(), ['web-1 configure', 'web-1 settings', 'web-2 configure', 'web-2 settings'])
    const plain = await runCli(['lift', 'web', 'web', '-p', 'configure', '-p', 'configure'], { cwd: dir })
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stdout, /lift: web\b/)
    assert.doesNotMatch(plain.stdout, /web, web/)
    assert.doesNotMatch(plain.stdout, /configure, configure/)
  })

  it('nodes web web lists each node once', async () => {
    const run = await runCli(['nodes', 'web', 'web', '--json'], { cwd: dir })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(JSON.parse(run.stdout).length, 1)
  })
})
