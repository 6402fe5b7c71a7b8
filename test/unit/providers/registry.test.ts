import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { collectProviderTypes, type PluginInfo } from '../../../src/core/providers/registry.js'
import { repoRoot } from '../../support/paths.js'

const plugin = (name: string, root: string, providers: Record<string, string>): PluginInfo => ({
  name,
  version: '1.0.0',
  root,
  providers,
})

describe('provider types from plugins', () => {
  it('keys each declared type to its plugin and module', () => {
    const types = collectProviderTypes([plugin('acme', '/opt/acme', { rack: './dist/rack.js' })])
    assert.deepEqual(types.get('rack'), {
      type: 'rack',
      plugin: 'acme',
      version: '1.0.0',
      modulePath: '/opt/acme/dist/rack.js',
    })
  })

  it('two plugins declaring one type is an error naming both, and which one can go', () => {
    const builtIn = plugin('forklift', join(repoRoot), { local: './dist/src/plugins/local/index.js' })
    assert.throws(
      () => collectProviderTypes([builtIn, plugin('acme', '/opt/acme', { local: './local.js' })]),
      /^RegistryError: provider type "local" is declared by two plugins: forklift@1\.0\.0 and acme@1\.0\.0; uninstall acme$/,
    )
    assert.throws(
      () =>
        collectProviderTypes([
          plugin('acme', '/opt/acme', { rack: './rack.js' }),
          plugin('other', '/opt/other', { rack: './rack.js' }),
        ]),
      /declared by two plugins: acme@1\.0\.0 and other@1\.0\.0; uninstall one of them$/,
    )
  })
})
