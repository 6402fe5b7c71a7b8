import assert from 'node:assert/strict'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { runCli } from '../../support/cli.js'
import { libV1, libV2 } from './helpers.js'

// Two crates in one `forklift lift`, on two majors of one library, through the real CLI and the local
// provider's folder nodes. Everything the run writes (nodes, pod cache, npm cache) stays in one temp dir.

const crate = (lib: string, code: string) => ({
  'package.json': JSON.stringify({
    name: `greets-${lib}`,
    version: '1.0.0',
    type: 'module',
    dependencies: { 'fixture-lib': `file:../../vendor/fixture-lib-${lib}.tgz` },
  }),
  'index.js': `${code}
export default {
  phases: {
    configure: (ctx) => [
      { type: 'directory', path: ctx.node.root + '/etc' },
      { type: 'file', path: ctx.node.root + '/etc/greets-${lib}', content: greeting(ctx.node.name) + '\\n' },
    ],
  },
}
`,
})

const crates = {
  // Major 1 is CommonJS with greet(name); major 2 an ES module with greet({ name }).
  'greets-1.0.0': crate(
    '1.0.0',
    "import lib from 'fixture-lib'\nconst greeting = (name) => lib.greet(name) + ' (' + lib.version + ')'",
  ),
  'greets-2.0.0': crate(
    '2.0.0',
    "import { greet, version } from 'fixture-lib'\nconst greeting = (name) => greet({ name }) + ' (' + version + ')'",
  ),
}

describe('two crates on two majors of one library in one lift', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-pods-lift-'))
    await writeFile(
      join(dir, 'forklift.yaml'),
      `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: box
    count: 2
    crates: [greets-1.0.0, greets-2.0.0]
`,
    )
    await mkdir(join(dir, 'vendor'))
    await copyFile(libV1, join(dir, 'vendor', 'fixture-lib-1.0.0.tgz'))
    await copyFile(libV2, join(dir, 'vendor', 'fixture-lib-2.0.0.tgz'))
    for (const [name, files] of Object.entries(crates)) {
      await mkdir(join(dir, 'crates', name), { recursive: true })
      for (const [file, content] of Object.entries(files))
        await writeFile(join(dir, 'crates', name, file), content)
    }
    // The pod cache and npm's own under the test's folder; npm pointed at a closed port, not a registry.
    env = {
      XDG_CACHE_HOME: join(dir, 'cache'),
      npm_config_cache: join(dir, 'npm-cache'),
      npm_config_registry: 'http://127.0.0.1:9/',
    }
    // Converge makes the folder nodes and applies both crates once; lift then runs them again.
    const created = await runCli(['converge'], { cwd: dir, env })
    assert.equal(created.code, 0, created.stdout + created.stderr)
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('each crate sees its own major', async () => {
    const result = await runCli(['lift', '--json'], { cwd: dir, env })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const report = JSON.parse(result.stdout) as RunResult
    assert.equal(report.ok, true)
    const configured = report.groups[0]!.phases.filter((p) => p.phase === 'configure')
    assert.deepEqual(configured.map((p) => `${p.node}:${p.status}`).sort(), ['web-1:ok', 'web-2:ok'])
    for (const node of ['web-1', 'web-2']) {
      const etc = join(dir, 'nodes', node, 'etc')
      assert.equal(await readFile(join(etc, 'greets-1.0.0'), 'utf8'), `hello, ${node} (1.0.0)\n`)
      assert.equal(await readFile(join(etc, 'greets-2.0.0'), 'utf8'), `Hello, ${node}! (2.0.0)\n`)
    }
    // One installed set per major, in the run's own cache.
    const sets = (await readdir(join(dir, 'cache', 'forklift', 'pods'))).filter(
      (name) => !name.startsWith('.'),
    )
    assert.equal(sets.length, 2, sets.join(', '))
  })
})
