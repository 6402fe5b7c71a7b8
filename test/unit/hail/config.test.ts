import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseNixOptions, type WatcherFlags, watcherConfig } from '../../../src/core/hail/config.js'
import { resolvePaths } from '../../../src/core/hail/paths.js'

const base: WatcherFlags = {
  profile: 'web',
  'job-uri': 'https://hydra.example.org/job/infra/prod/web/',
  source: 'hydra',
  'poll-period': '5',
  oneshot: false,
  'require-eval-success': false,
  'health-check-timeout': '2m',
  'activate-timeout': '5m',
  'dry-run': false,
  'allow-self-signed': false,
  'http-timeout': '30s',
  'fetch-timeout': '30m',
  'max-backoff': '1h',
}

describe('watcher flags', () => {
  it("keeps hail's meanings and defaults", () => {
    const config = watcherConfig(base, '/nonexistent/netrc')
    assert.equal(config.paths.profilePath, '/nix/var/nix/profiles/web')
    assert.deepEqual(config.source, {
      kind: 'hydra',
      jobUri: 'https://hydra.example.org/job/infra/prod/web',
      requireEvalSuccess: false,
    })
    assert.equal(config.pollPeriodMs, 300_000)
    assert.equal(config.netrcFile, undefined, 'no netrc unless the default exists')
    assert.equal(config.activateTimeoutMs, 300_000)
    assert.equal(watcherConfig(base, '/etc/hostname').netrcFile, '/etc/hostname')
    assert.equal(watcherConfig({ ...base, 'poll-period': '30s' }).pollPeriodMs, 30_000)
    assert.equal(
      watcherConfig({ ...base, 'poll-period': '2h', 'max-backoff': '1h' }).maxBackoffMs,
      7_200_000,
      'never below the period',
    )
  })

  it('refuses contradictory or malformed flags in one line naming the flag', () => {
    const cases: [Partial<WatcherFlags>, RegExp][] = [
      [{ 'job-uri': undefined }, /--job-uri is required/],
      [{ source: 'manifest' }, /--source manifest needs --url/],
      [
        { source: 'manifest', 'job-uri': undefined, url: 'https://x/m.json', 'require-eval-success': true },
        /--require-eval-success needs --source hydra/,
      ],
      [
        { source: 'manifest', 'job-uri': undefined, url: 'https://x/m.json', 'nix-option': ['a=b'] },
        /--nix-option needs --source hydra/,
      ],
      [
        { source: 'manifest', 'job-uri': undefined, url: 'file:///m.json' },
        /--url "file:\/\/\/m.json": expected http or https/,
      ],
      [{ url: 'https://x' }, /--url belongs to --source manifest/],
      [{ profile: '../etc' }, /--profile "\.\.\/etc": expected a profile name/],
      [{ 'poll-period': 'often' }, /--poll-period "often"/],
      [{ 'nix-option': ['substituters'] }, /--nix-option "substituters": expected NAME=VALUE/],
    ]
    for (const [change, message] of cases)
      assert.throws(() => watcherConfig({ ...base, ...change } as WatcherFlags), message)
  })

  it('parses nix options, keeping = and spaces in values', () => {
    assert.deepEqual(parseNixOptions(['substituters=file:///a http://b', 'narinfo-cache-negative-ttl=0']), [
      ['substituters', 'file:///a http://b'],
      ['narinfo-cache-negative-ttl', '0'],
    ])
  })

  it('puts the state of nested profile names in nested folders', () => {
    const paths = resolvePaths({ profile: 'hail-profiles/web', profilesDir: '/p', stateDir: '/s' })
    assert.deepEqual(paths, {
      profile: 'hail-profiles/web',
      profilesDir: '/p',
      profilePath: '/p/hail-profiles/web',
      stateDir: '/s',
    })
    assert.match(resolvePaths({ profile: 'web' }).stateDir, /forklift\/hail\/web$/)
  })
})
