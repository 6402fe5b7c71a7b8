import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cp, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { destroyPod, makePod, PodInstallError, PodUsageError } from '../../../src/core/pods/index.js'
import { fixture, repoRoot } from '../../support/paths.js'
import { libV1, podSandbox } from './helpers.js'
import { type FixtureRegistry, startRegistry } from './registry.js'

// Dependency sets come from a real npm against a real (loopback) registry, or from local tarballs and folders.

const { root, cacheDir } = await podSandbox()
const podsModule = pathToFileURL(join(repoRoot, 'dist/src/core/pods')).href

/** In another process: install a dependency list into the cache; prints { hash, installed }. */
function installElsewhere(registry: string, npmCache: string, dependencies: Record<string, string>) {
  const script = `
    const { normalizeDependencies } = await import('${podsModule}/specs.js')
    const { ensureDependencySet } = await import('${podsModule}/install.js')
    const set = await ensureDependencySet(await normalizeDependencies(${JSON.stringify(dependencies)}, '/'), ${JSON.stringify(cacheDir)})
    console.log(JSON.stringify({ hash: set.hash, installed: set.installed }))`
  return new Promise<{ hash: string; installed: boolean }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, npm_config_registry: registry, npm_config_cache: npmCache },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => {
      out += c
    })
    child.stderr.on('data', (c) => {
      err += c
    })
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`)),
    )
  })
}

describe('installing dependency sets', () => {
  let registry: FixtureRegistry
  before(async () => {
    // Tarballs come slowly, so the second process surely asks while the first is still installing.
    registry = await startRegistry({ tarballDelayMs: 500 })
  })
  after(() => registry.close())

  it('two processes creating the same set at once install it once', async () => {
    // Separate npm caches: had both run npm, the registry would have served the tarball twice.
    const [a, b] = await Promise.all([
      installElsewhere(registry.url, join(root, 'npm-a'), { 'fixture-lib': '^1.0.0' }),
      installElsewhere(registry.url, join(root, 'npm-b'), { 'fixture-lib': '^1.0.0' }),
    ])
    assert.equal(a.hash, b.hash)
    assert.deepEqual([a.installed, b.installed].sort(), [false, true])
    assert.deepEqual(
      registry.requests.filter((r) => r.endsWith('.tgz')),
      ['/fixture-lib/-/fixture-lib-1.0.0.tgz'],
    )
    assert.deepEqual(await readdir(join(cacheDir, '.tmp')), [], 'no temp folder left')
  })

  it('works offline once cached', async () => {
    const seen = registry.requests.length
    // Nothing listens there: any npm run would fail.
    process.env.npm_config_registry = 'http://127.0.0.1:9/'
    const pod = await makePod({ dependencies: { 'fixture-lib': '^1.0.0' }, cacheDir })
    try {
      assert.deepEqual(pod.set.packages, [{ name: 'fixture-lib', version: '1.0.0' }])
      assert.equal(await pod.call('fixture-lib#greet', 'offline'), 'hello, offline')
    } finally {
      await destroyPod(pod)
    }
    assert.equal(registry.requests.length, seen, 'the registry was not asked again')
  })

  it("fails with npm's error for a version that does not exist, leaving nothing behind", async () => {
    const before = await readdir(cacheDir)
    process.env.npm_config_registry = registry.url
    await assert.rejects(makePod({ dependencies: { 'fixture-lib': '^9.0.0' }, cacheDir }), (error: Error) => {
      assert.ok(error instanceof PodInstallError)
      assert.equal(
        error.message,
        'npm could not install fixture-lib@^9.0.0: notarget No matching version found for fixture-lib@^9.0.0.',
      )
      return true
    })
    assert.deepEqual(await readdir(cacheDir), before)
    assert.deepEqual(await readdir(join(cacheDir, '.tmp')), [])
  })

  it("fails with npm's error for a package that does not exist", async () => {
    process.env.npm_config_registry = registry.url
    await assert.rejects(
      makePod({ dependencies: ['no-such-package@1.0.0'], cacheDir }),
      /^PodInstallError: npm could not install no-such-package@1\.0\.0: 404 Not Found - GET http:\/\/127\.0\.0\.1:\d+\/no-such-package - Not found$/,
    )
  })

  it('installs local tarballs and folders, keyed by their content', async () => {
    const folder = join(root, 'lib-copy')
    await cp(fixture('pods', 'src', 'fixture-lib-1'), folder, { recursive: true })
    const fromTarball = await makePod({ dependencies: [libV1], cacheDir })
    const fromFolder = await makePod({ dependencies: ['./lib-copy'], baseDir: root, cacheDir })
    try {
      assert.equal(await fromTarball.call('fixture-lib#greet', 'tgz'), 'hello, tgz')
      assert.equal(await fromFolder.call('fixture-lib#greet', 'dir'), 'hello, dir')
    } finally {
      await destroyPod(fromTarball)
      await destroyPod(fromFolder)
    }
    // The folder's files were copied in, not linked: changing them makes a new set.
    await writeFile(join(folder, 'index.js'), 'exports.greet = (name) => "changed, " + name\n')
    const changed = await makePod({ dependencies: ['./lib-copy'], baseDir: root, cacheDir })
    try {
      assert.notEqual(changed.set.hash, fromFolder.set.hash)
      assert.equal(await changed.call('fixture-lib#greet', 'dir'), 'changed, dir')
    } finally {
      await destroyPod(changed)
    }
  })

  it('rejects a malformed dependency with one clear line', async () => {
    await assert.rejects(
      makePod({ dependencies: ['./nowhere'], baseDir: root, cacheDir }),
      (error: Error) => {
        assert.ok(error instanceof PodUsageError)
        assert.equal(error.message, `dependency "./nowhere": ${join(root, 'nowhere')} does not exist`)
        return true
      },
    )
    await assert.rejects(
      makePod({ dependencies: ['Not A Name'], cacheDir }),
      /"Not A Name" is not a valid package name/,
    )
  })
})
