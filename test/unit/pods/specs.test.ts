import assert from 'node:assert/strict'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { parseAge } from '../../../src/core/pods/cache.js'
import { defaultPodCacheDir } from '../../../src/core/pods/cache-layout.js'
import { PodUsageError } from '../../../src/core/pods/errors.js'
import { parseTarget } from '../../../src/core/pods/pod.js'
import { normalizeDependencies, specKey } from '../../../src/core/pods/specs.js'
import { fixture } from '../../support/paths.js'

const pods = fixture('pods')

describe('dependency specs', () => {
  const dirs: string[] = []
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

  it('accepts names with ranges, scoped names, folders and tarballs', async () => {
    const deps = await normalizeDependencies(
      ['yaml@^2', '@scope/pkg@1.2.x', 'left-pad', './fixture-lib-1.0.0.tgz', './src/fixture-lib-2'],
      pods,
    )
    assert.deepEqual(
      deps.map((d) => d.arg),
      [
        join(pods, 'fixture-lib-1.0.0.tgz'),
        join(pods, 'src/fixture-lib-2'),
        '@scope/pkg@1.2.x',
        'left-pad@latest',
        'yaml@^2',
      ],
    )
    assert.match(deps[0]!.contentHash ?? '', /^[0-9a-f]{64}$/)
    assert.match(deps[1]!.contentHash ?? '', /^[0-9a-f]{64}$/)
    assert.equal(deps[2]!.contentHash, undefined)
  })

  it('reads package.json dependencies, with file: specs relative to the base folder', async () => {
    const deps = await normalizeDependencies(
      { 'fixture-lib': 'file:../pods/fixture-lib-2.0.0.tgz', yaml: '>=2 <3' },
      pods,
    )
    assert.deepEqual(
      deps.map((d) => d.arg),
      [`fixture-lib@file:${join(pods, 'fixture-lib-2.0.0.tgz')}`, 'yaml@>=2 <3'],
    )
  })

  it('keys a list by its content, not its order', async () => {
    const a = specKey(await normalizeDependencies(['yaml@^2', './fixture-lib-1.0.0.tgz'], pods))
    const b = specKey(await normalizeDependencies(['./fixture-lib-1.0.0.tgz', 'yaml@^2'], pods))
    const c = specKey(await normalizeDependencies(['yaml@^2.1', './fixture-lib-1.0.0.tgz'], pods))
    assert.equal(a, b)
    assert.notEqual(a, c)
    assert.match(a, /^[0-9a-f]{32}$/)
  })

  it('keys a folder by its files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-specs-'))
    dirs.push(dir)
    await cp(join(pods, 'src/fixture-lib-1'), join(dir, 'lib'), { recursive: true })
    const before = specKey(await normalizeDependencies(['./lib'], dir))
    await writeFile(join(dir, 'lib', 'extra.js'), '1\n')
    assert.notEqual(specKey(await normalizeDependencies(['./lib'], dir)), before)
  })

  it('refuses what is not a dependency, naming it', async () => {
    const cases: [string[] | Record<string, string>, RegExp][] = [
      [['./missing-folder'], /^dependency "\.\/missing-folder": .*missing-folder does not exist$/],
      [['./src'], /^dependency "\.\/src": .*src has no package\.json$/],
      [['./crates/uses-v1/index.js'], /is neither a folder nor a \.tgz tarball/],
      [['Bad Name@1'], /^dependency "Bad Name@1": "Bad Name" is not a valid package name$/],
      [{ yaml: '' }, /^dependency "yaml@": the version range is empty$/],
      [['yaml@2', 'yaml@2'], /^dependency "yaml@2" is given twice$/],
      [['  '], /^a dependency is empty$/],
    ]
    for (const [deps, message] of cases) {
      await assert.rejects(normalizeDependencies(deps, pods), (error: Error) => {
        assert.ok(error instanceof PodUsageError)
        assert.match(error.message, message)
        return true
      })
    }
  })
})

describe('call targets', () => {
  it('split at the last #, defaulting to the default export', () => {
    assert.deepEqual(parseTarget('yaml#parse'), { module: 'yaml', export: 'parse' })
    assert.deepEqual(parseTarget('./lib/x.js'), { module: './lib/x.js', export: 'default' })
    assert.deepEqual(parseTarget('#internal#run'), { module: '#internal', export: 'run' })
    assert.deepEqual(parseTarget('#internal'), { module: '#internal', export: 'default' })
    assert.throws(() => parseTarget('yaml#'), /the export after # is empty/)
    assert.throws(() => parseTarget(''), /empty/)
  })
})

describe('the pod cache', () => {
  it('lives under XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(defaultPodCacheDir({ XDG_CACHE_HOME: '/var/cache/me' }), '/var/cache/me/forklift/pods')
    assert.match(defaultPodCacheDir({ XDG_CACHE_HOME: 'relative' }), /\/\.cache\/forklift\/pods$/)
    assert.match(defaultPodCacheDir({}), /\/\.cache\/forklift\/pods$/)
  })

  it('reads ages such as 30d', () => {
    assert.equal(parseAge('30d'), 30 * 86_400_000)
    assert.equal(parseAge('12h'), 12 * 3_600_000)
    assert.equal(parseAge('2w'), 14 * 86_400_000)
    assert.equal(parseAge('45s'), 45_000)
    assert.throws(
      () => parseAge('30 days'),
      /"30 days" is not an age: write a number and s, m, h, d or w \(e\.g\. 30d\)/,
    )
  })
})
