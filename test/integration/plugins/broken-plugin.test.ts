import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { type CliResult, runCli } from '../../support/cli.js'

// A linked plugin that declares a provider type whose module does not exist (never built): only what
// uses that type fails; every other command and project goes on as if it were not there.

interface ProviderRow {
  type: string
  plugin: string
  version: string
  canCreate?: boolean
  description?: string
  error?: string
}

const stderrLines = (r: CliResult) => r.stderr.trim().split('\n')

describe('a linked plugin whose provider module is missing', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  let missing: string
  const cli = (args: string[], cwd?: string) => runCli(args, { env, ...(cwd ? { cwd } : {}) })
  const project = async (name: string, yaml: string) => {
    await mkdir(join(dir, name))
    await writeFile(join(dir, name, 'forklift.yaml'), yaml)
    return join(dir, name)
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-broken-plugin-'))
    env = {
      FORKLIFT_DATA_DIR: join(dir, 'oclif', 'data'),
      FORKLIFT_CONFIG_DIR: join(dir, 'oclif', 'config'),
      FORKLIFT_CACHE_DIR: join(dir, 'oclif', 'cache'),
    }
    const plugin = join(dir, 'forklift-provider-broken')
    missing = join(plugin, 'dist', 'src', 'index.js')
    await mkdir(plugin)
    await writeFile(
      join(plugin, 'package.json'),
      `${JSON.stringify({
        name: 'forklift-provider-broken',
        version: '0.1.0',
        type: 'module',
        oclif: {},
        forklift: { providers: { broken: './dist/src/index.js' } },
      })}\n`,
    )
    const link = await cli(['plugins', 'link', '--no-install', plugin])
    assert.equal(link.code, 0, link.stderr)
  })
  after(() => rm(dir, { recursive: true, force: true }))

  const loadError = () =>
    `plugin forklift-provider-broken: cannot load provider "broken": ${missing} does not exist (build the plugin, or reinstall it)`

  it('converge and nodes work in a project that does not use it', async () => {
    const cwd = await project(
      'local',
      `providers:\n  lab: { type: local, settings: { root: nodes } }\ngroups:\n  web:\n    provider: lab\n    count: 1\n    phases:\n      configure:\n        - { type: exec, script: "echo hi > hi", creates: hi }\n`,
    )
    const converge = await cli(['converge', '--json'], cwd)
    assert.equal(converge.code, 0, converge.stdout + converge.stderr)
    assert.deepEqual((JSON.parse(converge.stdout) as RunResult).groups[0]!.created, ['web-1'])
    const nodes = await cli(['nodes'], cwd)
    assert.equal(nodes.code, 0, nodes.stderr)
    assert.match(nodes.stdout, /^web +web-1 /m)
  })

  it('a project that uses it fails with one line naming file, key, plugin and module', async () => {
    const cwd = await project(
      'uses',
      'providers:\n  rack:\n    type: broken\ngroups:\n  web: { provider: rack }\n',
    )
    for (const command of ['converge', 'lift', 'nodes']) {
      const result = await cli([command], cwd)
      assert.equal(result.code, 2, `${command}: ${result.stdout}${result.stderr}`)
      assert.equal(stderrLines(result).length, 1, result.stderr)
      assert.match(result.stderr, /forklift\.yaml:3:11: providers\.rack\.type: /)
      assert.ok(result.stderr.includes(loadError()), result.stderr)
    }
  })

  it('an unknown type in forklift.yaml still lists every installed type', async () => {
    const cwd = await project(
      'typo',
      'providers:\n  rack:\n    type: brokn\ngroups:\n  web: { provider: rack }\n',
    )
    const result = await cli(['converge'], cwd)
    assert.equal(result.code, 2)
    assert.equal(stderrLines(result).length, 1, result.stderr)
    assert.match(
      result.stderr,
      /providers\.rack\.type: unknown provider type "brokn"; installed: broken, ec2, local, node-list, vagrant \(did you mean "broken"\?\)$/m,
    )
  })

  it('providers lists it with its error, the others as usual, and exits 0', async () => {
    const json = await cli(['providers', '--json'])
    assert.equal(json.code, 0, json.stderr)
    const rows = JSON.parse(json.stdout) as ProviderRow[]
    assert.deepEqual(
      rows.map((r) => r.type),
      ['broken', 'ec2', 'local', 'node-list', 'vagrant'],
    )
    assert.deepEqual(rows[0], {
      type: 'broken',
      plugin: 'forklift-provider-broken',
      version: '0.1.0',
      error: loadError(),
    })
    assert.equal(rows.find((r) => r.type === 'local')?.canCreate, true)
    const table = await cli(['providers'])
    assert.equal(table.code, 0, table.stderr)
    assert.ok(
      table.stdout
        .split('\n')
        .some((line) => /^broken +forklift-provider-broken +0\.1\.0 +- +error: /.test(line)),
      table.stdout,
    )
    assert.match(table.stdout, /^local +forklift +[\d.]+ +yes /m)
  })

  it('providers TYPE exits 2 when asked about it, 0 when asked about others', async () => {
    const asked = await cli(['providers', 'broken', 'local', '--json'])
    assert.equal(asked.code, 2)
    assert.deepEqual(
      (JSON.parse(asked.stdout) as ProviderRow[]).map((r) => [r.type, r.error !== undefined]),
      [
        ['broken', true],
        ['local', false],
      ],
    )
    assert.equal(stderrLines(asked).length, 1, asked.stderr)
    assert.ok(asked.stderr.includes(loadError()), asked.stderr)
    const others = await cli(['providers', 'local'])
    assert.equal(others.code, 0, others.stderr)
    assert.doesNotMatch(others.stdout, /broken/)
    const unknown = await cli(['providers', 'brokn'])
    assert.equal(unknown.code, 2)
    assert.match(
      unknown.stderr,
      /unknown provider type "brokn"; installed: broken, ec2, .*\(did you mean "broken"\?\)$/m,
    )
  })

  it('schema includes the others and says on stderr which type it left out', async () => {
    const result = await cli(['schema'])
    assert.equal(result.code, 0, result.stderr)
    const provider = JSON.parse(result.stdout).properties.providers.additionalProperties
    assert.deepEqual(provider.properties.type.enum, ['ec2', 'local', 'node-list', 'vagrant'])
    assert.deepEqual(stderrLines(result), [`provider type "broken" left out of the schema: ${loadError()}`])
  })
})
