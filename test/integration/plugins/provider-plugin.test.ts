import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { type CliResult, runCli } from '../../support/cli.js'
import { repoRoot } from '../../support/paths.js'
import { linkDependencies, npm } from '../../support/template-plugin.js'

// A third-party provider plugin end to end: written by `forklift init --template provider-plugin`,
// built with its own `npm run build`, its own tests run with `npm test`, linked with
// `forklift plugins link`, used by converge, then uninstalled. Offline: the plugin's dependencies are
// links to this repository (Forklift itself, typescript, @types/node), never registry downloads.
// provider-plugin-install.test.ts installs one from a registry instead.

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  )

interface ProviderRow {
  type: string
  plugin: string
  version: string
  canCreate: boolean
}

const oneLine = (r: CliResult) => r.stderr.trim().split('\n')

describe('a provider plugin from the template', () => {
  let dir: string
  let plugin: string
  let projectDir: string
  let env: NodeJS.ProcessEnv
  let forkliftVersion: string
  // Every command gets its own oclif data, config and cache folders: the user's plugin list is never touched.
  const cli = (args: string[], cwd?: string) => runCli(args, { env, ...(cwd ? { cwd } : {}) })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-plugin-'))
    plugin = join(dir, 'forklift-provider-shelf')
    projectDir = join(dir, 'project')
    env = {
      FORKLIFT_DATA_DIR: join(dir, 'oclif', 'data'),
      FORKLIFT_CONFIG_DIR: join(dir, 'oclif', 'config'),
      FORKLIFT_CACHE_DIR: join(dir, 'oclif', 'cache'),
      XDG_DATA_HOME: join(dir, 'xdg', 'data'),
      XDG_CONFIG_HOME: join(dir, 'xdg', 'config'),
      XDG_CACHE_HOME: join(dir, 'xdg', 'cache'),
    }
    forkliftVersion = (
      JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
    ).version
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('init --template provider-plugin writes the skeleton, its type named after the package', async () => {
    const result = await cli(['init', '--template', 'provider-plugin', plugin])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /wrote src\/provider\.ts/)
    assert.match(result.stdout, /wrote test\/provider\.test\.ts/)
    assert.ok(await exists(join(plugin, 'README.md')))
    assert.ok(await exists(join(plugin, '.gitignore')))
    const pjson = JSON.parse(await readFile(join(plugin, 'package.json'), 'utf8'))
    assert.equal(pjson.name, 'forklift-provider-shelf')
    assert.equal(pjson.type, 'module')
    assert.ok(pjson.oclif, 'an oclif section, so oclif takes it as a plugin')
    assert.deepEqual(pjson.forklift, { providers: { shelf: './dist/src/index.js' } })
    assert.deepEqual(pjson.peerDependencies, { forklift: `^${forkliftVersion}` })
    // Optional, so npm never fetches a `forklift` of its own: the running Forklift provides it.
    assert.deepEqual(pjson.peerDependenciesMeta, { forklift: { optional: true } })
    const index = await readFile(join(plugin, 'src', 'index.ts'), 'utf8')
    assert.match(index, /type: 'shelf'/)
    assert.doesNotMatch(index + JSON.stringify(pjson), /__[A-Z_]+__/, 'every placeholder was replaced')
  })

  it('builds with its own npm run build, and its own tests pass with npm test', async () => {
    await linkDependencies(plugin)
    const build = await npm(['run', 'build'], plugin)
    assert.equal(build.code, 0, build.stdout + build.stderr)
    assert.ok(await exists(join(plugin, 'dist', 'src', 'index.js')))
    assert.ok(await exists(join(plugin, 'dist', 'src', 'provider.js')))
    const test = await npm(['test'], plugin)
    assert.equal(test.code, 0, test.stdout + test.stderr)
    assert.match(test.stdout, /[#ℹ] pass [1-9]/)
    assert.match(test.stdout, /[#ℹ] fail 0/)
  })

  it('forklift plugins link makes its provider type known to forklift providers', async () => {
    const link = await cli(['plugins', 'link', '--no-install', plugin])
    assert.equal(link.code, 0, link.stderr)
    const listed = await cli(['providers', '--json'])
    assert.equal(listed.code, 0, listed.stderr)
    const rows = JSON.parse(listed.stdout) as ProviderRow[]
    const shelf = rows.find((r) => r.type === 'shelf')
    assert.ok(shelf, listed.stdout)
    assert.deepEqual(
      { plugin: shelf.plugin, version: shelf.version, canCreate: shelf.canCreate },
      { plugin: 'forklift-provider-shelf', version: '0.1.0', canCreate: true },
    )
    assert.equal(rows.find((r) => r.type === 'local')?.plugin, 'forklift', 'built-ins stay listed')
    const table = await cli(['providers'])
    assert.match(table.stdout, /^shelf +forklift-provider-shelf +0\.1\.0 +yes +Folders under/m)
  })

  it('forklift schema includes its settings schema', async () => {
    const result = await cli(['schema'])
    assert.equal(result.code, 0, result.stderr)
    const provider = JSON.parse(result.stdout).properties.providers.additionalProperties
    assert.ok(provider.properties.type.enum.includes('shelf'))
    const branch = provider.allOf.find(
      (b: { if: { properties: { type: { const: string } } } }) => b.if.properties.type.const === 'shelf',
    )
    const settings = branch.then.properties.settings
    assert.deepEqual(settings.required, ['root'])
    assert.equal(settings.properties['max-nodes'].type, 'integer')
    assert.equal(settings.additionalProperties, false)
  })

  it('forklift.yaml is checked against its settings schema: a bad value is one line naming the key', async () => {
    await mkdir(projectDir)
    await writeFile(
      join(projectDir, 'forklift.yaml'),
      'providers:\n  rack:\n    type: shelf\n    settings: { root: nodes, max-nodes: lots }\ngroups:\n  g: { provider: rack }\n',
    )
    const result = await cli(['converge'], projectDir)
    assert.equal(result.code, 2)
    assert.equal(oneLine(result).length, 1, result.stderr)
    assert.match(
      result.stderr,
      /forklift\.yaml:4:\d+: providers\.rack\.settings\.max-nodes: expected .*"lots"/,
    )
  })

  it('converge creates its nodes, a second converge changes nothing, --count destroys one', async () => {
    await writeFile(
      join(projectDir, 'forklift.yaml'),
      `providers:
  rack:
    type: shelf
    settings: { root: nodes, max-nodes: 3 }
groups:
  g:
    provider: rack
    count: 2
    phases:
      configure:
        - { type: exec, script: "echo hello > hello", creates: hello }
`,
    )
    const first = await cli(['converge', '--json'], projectDir)
    assert.equal(first.code, 0, first.stdout + first.stderr)
    const created = (JSON.parse(first.stdout) as RunResult).groups[0]!
    assert.deepEqual(created.created.sort(), ['g-1', 'g-2'])
    assert.deepEqual(
      created.nodes.map((n) => n.status),
      ['changed', 'changed'],
    )
    assert.equal(await readFile(join(projectDir, 'nodes', 'g-2', 'hello'), 'utf8'), 'hello\n')

    const second = await cli(['converge', '--json'], projectDir)
    assert.equal(second.code, 0, second.stdout + second.stderr)
    const same = (JSON.parse(second.stdout) as RunResult).groups[0]!
    assert.deepEqual([same.created, same.destroyed], [[], []])
    assert.deepEqual(
      same.nodes.map((n) => n.status),
      ['ok', 'ok'],
    )
    assert.equal(same.phases.filter((p) => p.phase === 'bootstrap').length, 0)

    const down = await cli(['converge', '--count', 'g=1', '--json'], projectDir)
    assert.equal(down.code, 0, down.stdout + down.stderr)
    assert.deepEqual((JSON.parse(down.stdout) as RunResult).groups[0]!.destroyed, ['g-2'])
    assert.equal(await exists(join(projectDir, 'nodes', 'g-2')), false)
    assert.ok(await exists(join(projectDir, 'nodes', 'g-1', 'hello')))
  })

  it('a second plugin declaring a type already taken is one clear error naming both plugins', async () => {
    // The template names its type after the package: this one declares `local`, as forklift does.
    const clash = join(dir, 'forklift-provider-local')
    const init = await cli(['init', '--template', 'provider-plugin', clash])
    assert.equal(init.code, 0, init.stderr)
    const link = await cli(['plugins', 'link', '--no-install', clash])
    assert.equal(link.code, 0, link.stderr)
    try {
      const expected =
        /provider type "local" is declared by two plugins: forklift@[\d.]+ and forklift-provider-local@0\.1\.0; uninstall forklift-provider-local$/m
      for (const [args, cwd] of [[['providers']], [['schema']], [['converge'], projectDir]] as const) {
        const result = await cli([...args], cwd)
        assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`)
        assert.equal(oneLine(result).length, 1, result.stderr)
        assert.match(result.stderr, expected)
      }
    } finally {
      const removed = await cli(['plugins', 'uninstall', 'forklift-provider-local'])
      assert.equal(removed.code, 0, removed.stderr)
    }
    const back = await cli(['providers', '--json'])
    assert.equal(back.code, 0, back.stderr)
  })

  it('forklift plugins uninstall removes it: providers no longer lists it, forklift.yaml names it unknown', async () => {
    const result = await cli(['plugins', 'uninstall', 'forklift-provider-shelf'])
    assert.equal(result.code, 0, result.stderr)
    const listed = await cli(['providers', '--json'])
    assert.equal(listed.code, 0, listed.stderr)
    const types = (JSON.parse(listed.stdout) as ProviderRow[]).map((r) => r.type)
    assert.ok(!types.includes('shelf'), types.join(', '))
    assert.ok(types.includes('local'))
    const converge = await cli(['converge'], projectDir)
    assert.equal(converge.code, 2)
    assert.match(converge.stderr, /providers\.rack\.type: unknown provider type "shelf"/)
  })
})

describe('init templates', () => {
  it('the hail unit is not a template, and an unknown template is one line listing the real ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-templates-'))
    try {
      for (const template of ['hail', 'nope']) {
        const result = await runCli(['init', '--template', template, join(dir, template)])
        assert.equal(result.code, 2)
        assert.equal(oneLine(result).length, 1, result.stderr)
        assert.match(
          result.stderr,
          new RegExp(`unknown template "${template}"; templates: project, provider-plugin$`, 'm'),
        )
        assert.equal(await exists(join(dir, template)), false, 'nothing was written')
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
