import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { isForkliftModule } from '../../../src/core/providers/running-forklift.js'
import { repoRoot } from '../../support/paths.js'

const run = promisify(execFile)

// In a fresh process: a built-in provider leaves module resolution alone; the first third-party one
// makes `forklift` (and `forklift/package.json`) resolve to this running Forklift, whatever the
// plugin's own folder holds.
const probe = `
import { pathToFileURL } from 'node:url'
const [registryUrl, indexUrl, builtIn, plugin] = process.argv.slice(1)
const { loadProviderFactory } = await import(registryUrl)
const { z } = await import(indexUrl)
const type = (type, modulePath) => ({ type, plugin: 'p', version: '1.0.0', modulePath })
const attempt = (path) => import(pathToFileURL(path).href).then(() => 'loaded', (error) => error.code)
await loadProviderFactory(type('local', builtIn))
const afterBuiltIn = await attempt(plugin + '/probe.js')
const factory = await loadProviderFactory(type('shelf', plugin + '/index.js'))
console.log(JSON.stringify({
  afterBuiltIn,
  description: factory.description,
  sameZod: factory.settingsSchema instanceof z.ZodObject,
  afterThirdParty: await attempt(plugin + '/probe-again.js'),
}))
`

const pluginIndex = `import { defineProvider, z } from 'forklift'
import pjson from 'forklift/package.json' with { type: 'json' }
export default defineProvider({
  type: 'shelf', description: pjson.name, canCreate: false,
  settingsSchema: z.object({}), create: () => ({ listNodes: async () => [] }),
})
`

describe('running forklift', () => {
  it('tells built-in provider modules from others', () => {
    assert.equal(isForkliftModule(join(repoRoot, 'dist', 'src', 'plugins', 'local', 'index.js')), true)
    assert.equal(isForkliftModule(join(repoRoot, 'node_modules', 'forklift-provider-x', 'index.js')), false)
    assert.equal(isForkliftModule(join(`${repoRoot.replace(/\/$/, '')}-other`, 'index.js')), false)
    assert.equal(isForkliftModule(join(tmpdir(), 'forklift-provider-x', 'index.js')), false)
  })

  it('resolves forklift for a third-party plugin only once one is loaded, to the running package', async () => {
    const plugin = await mkdtemp(join(tmpdir(), 'forklift-resolve-'))
    try {
      await writeFile(join(plugin, 'package.json'), '{"type": "module"}\n')
      await writeFile(join(plugin, 'index.js'), pluginIndex)
      // Two files: Node remembers a failed import, so the second attempt needs a module of its own.
      await writeFile(join(plugin, 'probe.js'), "import 'forklift'\n")
      await writeFile(join(plugin, 'probe-again.js'), "import 'forklift'\n")
      const dist = (...parts: string[]) => join(repoRoot, 'dist', 'src', ...parts)
      const { stdout } = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          probe,
          pathToFileURL(dist('core', 'providers', 'registry.js')).href,
          pathToFileURL(dist('index.js')).href,
          dist('plugins', 'local', 'index.js'),
          plugin,
        ],
        { cwd: plugin },
      )
      assert.deepEqual(JSON.parse(stdout), {
        afterBuiltIn: 'ERR_MODULE_NOT_FOUND',
        description: 'forklift',
        sameZod: true,
        afterThirdParty: 'loaded',
      })
    } finally {
      await rm(plugin, { recursive: true, force: true })
    }
  })
})
