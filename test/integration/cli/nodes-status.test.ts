import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../support/cli.js'

describe('forklift nodes', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-nodes-'))
    await writeFile(
      join(dir, 'forklift.yaml'),
      'providers:\n  lab: { type: node-list, settings: { inventory: missing.ini } }\n  here: { type: local }\ngroups:\n  web: { provider: lab }\n  box: { provider: here }\n',
    )
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('exits 1 when a group could not be listed, after listing the others', async () => {
    const run = await runCli(['nodes'], { cwd: dir })
    assert.equal(run.code, 1, run.stderr)
    assert.match(run.stdout, /web\s+-\s+-\s+error: .*missing\.ini/)
    assert.match(run.stdout, /box\s+\S+\s+localhost/)
    const json = await runCli(['nodes', '--json'], { cwd: dir })
    assert.equal(json.code, 1, json.stderr)
    assert.match(JSON.parse(json.stdout)[0].error, /missing\.ini/)
  })
})
