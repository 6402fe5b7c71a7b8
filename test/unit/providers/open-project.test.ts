import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { ConfigError } from '../../../src/core/config/errors.js'
import { openProject } from '../../../src/core/project.js'
import type { PluginInfo } from '../../../src/core/providers/registry.js'
import { repoRoot } from '../../support/paths.js'

const run = promisify(execFile)

// A project loads only the provider types its forklift.yaml uses: a plugin whose module is missing
// troubles only the projects that use it.

let dir: string
let plugins: PluginInfo[]

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forklift-open-project-'))
  const pjson = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8'))
  plugins = [
    { name: 'forklift', version: pjson.version, root: repoRoot, providers: pjson.forklift.providers },
    // Declared, never built: its module does not exist.
    {
      name: 'forklift-provider-broken',
      version: '0.1.0',
      root: join(dir, 'broken'),
      providers: { broken: './dist/index.js' },
    },
  ]
})
after(() => rm(dir, { recursive: true, force: true }))

async function project(name: string, yaml: string): Promise<string> {
  await mkdir(join(dir, name))
  const file = join(dir, name, 'forklift.yaml')
  await writeFile(file, yaml)
  return file
}

describe('openProject with a plugin that cannot be loaded', () => {
  it('opens a project that does not use it, with only the types it uses', async () => {
    const configFile = await project('local', 'groups:\n  web: { provider: local }\n')
    const opened = await openProject({ configFile, plugins })
    assert.deepEqual([...opened.factories.keys()], ['local'])
  })

  it('a project that uses it gets one line naming the file, the key, the plugin and the module', async () => {
    const configFile = await project(
      'uses',
      'providers:\n  rack:\n    type: broken\ngroups:\n  web: { provider: rack }\n',
    )
    const error = await openProject({ configFile, plugins }).then(
      () => assert.fail('expected a ConfigError'),
      (e: unknown) => e,
    )
    assert.ok(error instanceof ConfigError, String(error))
    assert.equal(
      error.message,
      `${configFile}:3:11: providers.rack.type: plugin forklift-provider-broken: cannot load provider "broken": ${join(dir, 'broken', 'dist', 'index.js')} does not exist (build the plugin, or reinstall it)`,
    )
  })

  it('an unknown type still lists every installed type', async () => {
    const configFile = await project(
      'unknown',
      'providers:\n  rack:\n    type: brokn\ngroups:\n  web: { provider: rack }\n',
    )
    await assert.rejects(
      openProject({ configFile, plugins }),
      (error: Error) =>
        error.message ===
        `${configFile}:3:11: providers.rack.type: unknown provider type "brokn"; installed: broken, ec2, local, node-list, vagrant (did you mean "broken"?)`,
    )
  })
})

// In a fresh process: opening a project that uses only built-in types leaves module resolution alone
// even with a third-party plugin installed; opening one that uses the plugin's type registers the hook.
const probe = `
import { pathToFileURL } from 'node:url'
const [projectUrl, plugins, localOnly, usesShelf, probes] = process.argv.slice(1)
const { openProject } = await import(projectUrl)
const attempt = (name) => import(pathToFileURL(probes + '/' + name).href).then(() => 'loaded', (error) => error.code)
await openProject({ configFile: localOnly, plugins: JSON.parse(plugins) })
const afterLocal = await attempt('probe.js')
const opened = await openProject({ configFile: usesShelf, plugins: JSON.parse(plugins) })
console.log(JSON.stringify({ afterLocal, types: [...opened.factories.keys()], afterShelf: await attempt('probe-again.js') }))
`

describe('the forklift resolve hook', () => {
  it('is registered only once a project uses a third-party provider type', async () => {
    const shelf = join(dir, 'shelf')
    await mkdir(shelf)
    await writeFile(join(shelf, 'package.json'), '{"type": "module"}\n')
    await writeFile(
      join(shelf, 'index.js'),
      "import { defineProvider, z } from 'forklift'\nexport default defineProvider({ type: 'shelf', description: 'd', canCreate: false, settingsSchema: z.object({}), create: () => ({ listNodes: async () => [] }) })\n",
    )
    // Two files: Node remembers a failed import, so the second attempt needs a module of its own.
    await writeFile(join(shelf, 'probe.js'), "import 'forklift'\n")
    await writeFile(join(shelf, 'probe-again.js'), "import 'forklift'\n")
    const withShelf = [
      plugins[0]!,
      { name: 'forklift-provider-shelf', version: '0.1.0', root: shelf, providers: { shelf: './index.js' } },
    ]
    const localOnly = await project('hook-local', 'groups:\n  web: { provider: local }\n')
    const usesShelf = await project(
      'hook-shelf',
      'providers:\n  rack: { type: shelf }\ngroups:\n  web: { provider: rack }\n',
    )
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        probe,
        pathToFileURL(join(repoRoot, 'dist', 'src', 'core', 'project.js')).href,
        JSON.stringify(withShelf),
        localOnly,
        usesShelf,
        shelf,
      ],
      { cwd: shelf },
    )
    assert.deepEqual(JSON.parse(stdout), {
      afterLocal: 'ERR_MODULE_NOT_FOUND',
      types: ['shelf'],
      afterShelf: 'loaded',
    })
  })
})
