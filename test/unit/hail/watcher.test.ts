import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { type WatcherFlags, watcherConfig } from '../../../src/core/hail/config.js'
import type { HailLog } from '../../../src/core/hail/log.js'
import { openWatcher } from '../../../src/core/hail/open-watcher.js'
import { fakeClock } from '../../support/clock.js'
import { startHydra } from '../../support/hydra.js'

// The watcher through its core API (no CLI): what it decides, seen in its log records.

const flags = (dir: string, change: Partial<WatcherFlags>): WatcherFlags => ({
  profile: 'svc',
  'profiles-dir': join(dir, 'profiles'),
  'state-dir': join(dir, 'state'),
  source: 'hydra',
  'poll-period': '20ms',
  oneshot: false,
  'require-eval-success': false,
  'health-check-timeout': '2m',
  'activate-timeout': '5m',
  'dry-run': false,
  'allow-self-signed': false,
  'http-timeout': '2s',
  'fetch-timeout': '30m',
  'max-backoff': '1s',
  ...change,
})

describe('the watcher (core API)', () => {
  it('backs off after each failed poll instead of retrying in a tight loop', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-watcher-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const hydra = await startHydra()
    t.after(() => hydra.close())
    hydra.fault = 'status500'
    const records: HailLog[] = []
    const stop = new AbortController()
    const clock = fakeClock()
    const watcher = await openWatcher(
      watcherConfig(flags(dir, { 'job-uri': hydra.jobUri(), 'dry-run': true }), '/nonexistent'),
      (r) => {
        records.push(r)
        if (records.filter((x) => x.event === 'backoff').length === 5) stop.abort()
      },
      clock,
    )
    const outcome = await watcher.run(stop.signal)
    assert.deepEqual(outcome.ok, false)
    assert.equal(outcome.result, 'error')
    const delays = records.filter((r) => r.event === 'backoff').map((r) => r.delayMs as number)
    assert.equal(delays.length, 5)
    delays.forEach((delay, i) => {
      const base = 20 * 2 ** i
      assert.ok(
        delay >= base * 0.8 && delay <= base * 1.2,
        `delay ${i + 1} is ${delay} ms, expected ${base} ms ± 20%`,
      )
    })
    assert.equal(hydra.requests.length, 5, 'one request per poll, no retries in between')
    assert.deepEqual(
      clock.slept,
      delays.slice(0, 4),
      'each wait is the delay announced (the last was cut by the stop)',
    )
  })

  it('runs once with oneshot and says why it failed', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-watcher-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const hydra = await startHydra()
    t.after(() => hydra.close())
    hydra.fault = 'html'
    const watcher = await openWatcher(
      watcherConfig(
        flags(dir, { 'job-uri': hydra.jobUri(), oneshot: true, 'dry-run': true }),
        '/nonexistent',
      ),
      () => {},
    )
    const outcome = await watcher.run(new AbortController().signal)
    assert.equal(outcome.ok, false)
    assert.match(outcome.message, /\/latest: expected JSON, got text\/html/)
    hydra.fault = 'none'
    hydra.addBuild({ out: '/nix/store/44444444444444444444444444444444-svc' })
    const dry = await (
      await openWatcher(
        watcherConfig(
          flags(dir, { 'job-uri': hydra.jobUri(), oneshot: true, 'dry-run': true }),
          '/nonexistent',
        ),
        () => {},
      )
    ).run(new AbortController().signal)
    assert.deepEqual(dry, {
      ok: true,
      result: 'dry-run',
      message: 'new build 1 (/nix/store/44444444444444444444444444444444-svc) would be deployed (dry run)',
    })
  })

  it('refuses a profile path that is not a profile, and releases its locks', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-watcher-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    await mkdir(join(dir, 'profiles'))
    await writeFile(join(dir, 'profiles', 'svc'), 'a plain file\n')
    const config = watcherConfig(
      flags(dir, { 'job-uri': 'http://127.0.0.1:1/job/p/j/svc', oneshot: true }),
      '/nonexistent',
    )
    await assert.rejects((await openWatcher(config, () => {})).run(new AbortController().signal), {
      name: 'UsageError',
      message: `${join(dir, 'profiles', 'svc')} is not a symlink: not a profile`,
    })
    assert.deepEqual((await readdir(join(dir, 'profiles'))).sort(), ['svc'])
    assert.ok(!(await readdir(join(dir, 'state'))).includes('watcher.pid'))
  })
})
