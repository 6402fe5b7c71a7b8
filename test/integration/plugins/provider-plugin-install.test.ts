import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import type { RunResult } from '../../../src/core/model/results.js'
import { type CliResult, runCli } from '../../support/cli.js'
import { type NpmRegistry, startNpmRegistry } from '../../support/npm-registry.js'
import { runProcess } from '../../support/process.js'
import { linkDependencies, npm } from '../../support/template-plugin.js'

// A provider plugin installed as a user installs one: the template's plugin is built, packed with
// `npm pack` and served by a stand-in registry on 127.0.0.1; `forklift plugins install NAME` runs npm
// against it (FORKLIFT_NPM_REGISTRY) with its own npm cache and config, so neither the user's npm setup
// nor the real registry is touched. The installed copy has no `forklift` of its own: its
// `import 'forklift'` works only through the resolve hook Forklift registers before loading it.

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

/** Import a module in a bare Node process (no Forklift around it), reporting how that went. */
function importAlone(modulePath: string): Promise<CliResult> {
  const script = `import(${JSON.stringify(pathToFileURL(modulePath).href)}).then(() => console.log('loaded'), (e) => { console.log(e.code); process.exitCode = 1 })`
  return runProcess(process.execPath, ['--input-type=module', '-e', script])
}

describe('a provider plugin installed from a registry', () => {
  const name = 'forklift-provider-cupboard'
  let dir: string
  let dataDir: string
  let installed: string
  let projectDir: string
  let registry: NpmRegistry | undefined
  let env: NodeJS.ProcessEnv
  const cli = (args: string[], cwd?: string) => runCli(args, { env, ...(cwd ? { cwd } : {}) })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-plugin-install-'))
    const plugin = join(dir, name)
    dataDir = join(dir, 'oclif', 'data')
    installed = join(dataDir, 'node_modules', name)
    projectDir = join(dir, 'project')

    const npmDir = join(dir, 'npm')
    await mkdir(npmDir)
    await writeFile(join(npmDir, 'npmrc'), '')
    await writeFile(join(npmDir, 'global-npmrc'), '')
    env = {
      FORKLIFT_DATA_DIR: dataDir,
      FORKLIFT_CONFIG_DIR: join(dir, 'oclif', 'config'),
      FORKLIFT_CACHE_DIR: join(dir, 'oclif', 'cache'),
      XDG_DATA_HOME: join(dir, 'xdg', 'data'),
      XDG_CONFIG_HOME: join(dir, 'xdg', 'config'),
      XDG_CACHE_HOME: join(dir, 'xdg', 'cache'),
      // npm's own settings, all in this test's folder: empty user and global configs, a fresh cache.
      npm_config_userconfig: join(npmDir, 'npmrc'),
      npm_config_globalconfig: join(npmDir, 'global-npmrc'),
      npm_config_cache: join(npmDir, 'cache'),
      npm_config_offline: 'false',
      npm_config_noproxy: '127.0.0.1',
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
    }

    const init = await cli(['init', '--template', 'provider-plugin', plugin])
    assert.equal(init.code, 0, init.stderr)
    await linkDependencies(plugin)
    // A cache of their own: npm pack stores the tarball it makes, and install would take it from there.
    const npmDev = { ...env, npm_config_cache: join(npmDir, 'dev-cache') }
    const build = await npm(['run', 'build'], plugin, npmDev)
    assert.equal(build.code, 0, build.stdout + build.stderr)
    // Built above already; prepack would only build again.
    const pack = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], plugin, npmDev)
    assert.equal(pack.code, 0, pack.stdout + pack.stderr)
    const [packed] = JSON.parse(pack.stdout) as { filename: string }[]
    registry = await startNpmRegistry([
      {
        manifest: JSON.parse(await readFile(join(plugin, 'package.json'), 'utf8')),
        tarball: await readFile(join(dir, packed!.filename)),
      },
    ])
    // The stand-in is the registry for `plugins install` (FORKLIFT_NPM_REGISTRY becomes npm's --registry)
    // and for any npm run that would go without the flag.
    env.FORKLIFT_NPM_REGISTRY = registry.url
    env.npm_config_registry = registry.url
  })
  after(async () => {
    await registry?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('forklift plugins install fetches it from the registry, and npm fetches no forklift for it', async () => {
    const result = await cli(['plugins', 'install', name])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.ok(await exists(join(installed, 'dist', 'src', 'index.js')))
    const requests = registry!.requests
    assert.ok(requests.includes(`GET /${name}`), requests.join('\n'))
    assert.ok(requests.includes(`GET /${name}/-/${name}-0.1.0.tgz`), requests.join('\n'))
    assert.deepEqual(
      requests.filter((r) => !r.startsWith(`GET /${name}`)),
      [],
      'nothing else was asked of the registry (no packument of forklift, the optional peer)',
    )
    const listed = await cli(['plugins', '--json'])
    assert.equal(listed.code, 0, listed.stderr)
    const plugins = JSON.parse(listed.stdout) as { name: string; type: string }[]
    assert.deepEqual(
      plugins.filter((p) => p.name === name).map((p) => p.type),
      ['user'],
    )
  })

  it('the installed copy has no forklift of its own: alone, its import of forklift fails', async () => {
    assert.equal(await exists(join(installed, 'node_modules', 'forklift')), false)
    assert.equal(await exists(join(dataDir, 'node_modules', 'forklift')), false)
    const alone = await importAlone(join(installed, 'dist', 'src', 'index.js'))
    assert.equal(alone.stdout.trim(), 'ERR_MODULE_NOT_FOUND', alone.stdout + alone.stderr)
  })

  it('forklift providers lists its type, loaded against the running Forklift', async () => {
    const listed = await cli(['providers', '--json'])
    assert.equal(listed.code, 0, listed.stderr)
    const rows = JSON.parse(listed.stdout) as ProviderRow[]
    const cupboard = rows.find((r) => r.type === 'cupboard')
    assert.ok(cupboard, listed.stdout)
    assert.deepEqual(
      { plugin: cupboard.plugin, version: cupboard.version, canCreate: cupboard.canCreate },
      { plugin: name, version: '0.1.0', canCreate: true },
    )
    assert.equal(rows.find((r) => r.type === 'local')?.plugin, 'forklift', 'built-ins stay listed')
  })

  it('converge with it creates its nodes and runs their phases', async () => {
    await mkdir(projectDir)
    await writeFile(
      join(projectDir, 'forklift.yaml'),
      `providers:
  rack:
    type: cupboard
    settings: { root: nodes }
groups:
  g:
    provider: rack
    count: 2
    phases:
      configure:
        - { type: exec, script: "echo hello > hello", creates: hello }
`,
    )
    const result = await cli(['converge', '--json'], projectDir)
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const group = (JSON.parse(result.stdout) as RunResult).groups[0]!
    assert.deepEqual(group.created.sort(), ['g-1', 'g-2'])
    assert.deepEqual(
      group.nodes.map((n) => n.status),
      ['changed', 'changed'],
    )
    assert.equal(await readFile(join(projectDir, 'nodes', 'g-1', 'hello'), 'utf8'), 'hello\n')
  })

  it('forklift plugins uninstall removes it from the data folder and from the provider types', async () => {
    const result = await cli(['plugins', 'uninstall', name])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(await exists(installed), false)
    const listed = await cli(['providers', '--json'])
    assert.equal(listed.code, 0, listed.stderr)
    const types = (JSON.parse(listed.stdout) as ProviderRow[]).map((r) => r.type)
    assert.ok(!types.includes('cupboard'), types.join(', '))
    assert.ok(types.includes('local'))
  })
})
