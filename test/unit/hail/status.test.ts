import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { readableStatePaths, resolvePaths } from '../../../src/core/hail/paths.js'
import { type HailStatus, isNewer, openState } from '../../../src/core/hail/state.js'
import { readStatusReport } from '../../../src/core/hail/status.js'

const status = (change: Partial<HailStatus>): HailStatus => ({
  version: 1,
  profile: 'web',
  profilePath: '/p/web',
  source: 'hydra https://h/job/p/j/web',
  pid: 999_999_999,
  mode: 'loop',
  dryRun: false,
  pollPeriodMs: 1000,
  startedAt: '2030-01-01T00:00:00.000Z',
  health: 'healthy',
  current: { build: '3', path: '/nix/store/x', generation: 2 },
  latest: { build: '3', path: '/nix/store/x' },
  lastPoll: { at: '2030-01-01T00:00:01.000Z', result: 'unchanged', message: 'build 3 is current' },
  nextPollAt: null,
  lastError: null,
  consecutiveFailures: 0,
  totalFailures: 0,
  polls: 1,
  lastActivation: null,
  paused: false,
  pinnedBelow: null,
  ...change,
})

describe('hail status', () => {
  it('is healthy for a finished oneshot run, degraded for a loop watcher that is gone, failing polls or a failed newest build', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-status-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const paths = resolvePaths({ profile: 'web', profilesDir: join(dir, 'p'), stateDir: join(dir, 's') })
    await assert.rejects(
      readStatusReport(paths),
      /no status for profile web in .*: no watcher has run with this --state-dir/,
    )
    // Without --state-dir the folder is the default one, and the message must not name a flag never given.
    const unwatched = resolvePaths({ profile: `unwatched-${process.pid}`, profilesDir: join(dir, 'p') })
    await assert.rejects(readStatusReport(unwatched, Date.now(), false), (error: Error) => {
      assert.equal(
        error.message,
        `no status for profile unwatched-${process.pid} in ${unwatched.stateDir}: no watcher has run with the default state folder (give --state-dir if the watcher was given one)`,
      )
      return true
    })
    const state = openState(paths.stateDir)
    await state.ensure()
    await state.writeStatus(status({ mode: 'oneshot' }))
    assert.deepEqual((await readStatusReport(paths)).problems, [])

    await state.writeStatus(status({ stoppedAt: '2030-01-01T00:00:02.000Z' }))
    assert.deepEqual((await readStatusReport(paths)).problems, [
      'watcher not running (was pid 999999999, stopped at 2030-01-01T00:00:02.000Z)',
    ])

    await state.writeStatus(
      status({
        mode: 'oneshot',
        consecutiveFailures: 2,
        lastError: { at: 'x', stage: 'poll', message: 'HTTP 502' },
        latest: { build: '4', path: '/nix/store/y' },
      }),
    )
    await state.recordFailed({
      build: '4',
      path: '/nix/store/y',
      stage: 'activate',
      error: 'exit 1',
      at: 'x',
    })
    const report = await readStatusReport(paths)
    assert.equal(report.healthy, false)
    assert.deepEqual(report.problems, [
      '2 failed polls in a row; last at poll: HTTP 502',
      'newest build 4 failed at activate and is not deployed',
    ])
    assert.equal(report.blockedBy?.build, '4')

    await state.writeStatus(
      status({
        mode: 'oneshot',
        lastActivation: { at: '2030-01-01T00:00:03.000Z', generation: 2, durationMs: 5, ok: false },
      }),
    )
    assert.deepEqual((await readStatusReport(paths)).problems, [
      'the last activate (generation 2) failed at 2030-01-01T00:00:03.000Z',
    ])
  })

  it("reads the system watcher's state when the user's own folder has none", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-status-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const own = resolvePaths({ profile: 'web', stateDir: join(dir, 'own', 'web') })
    const system = join(dir, 'system')
    assert.equal(readableStatePaths(own, false, system).stateDir, own.stateDir, 'none anywhere: own')
    await openState(join(system, 'web')).ensure()
    await openState(join(system, 'web')).writeStatus(status({}))
    assert.equal(readableStatePaths(own, false, system).stateDir, join(system, 'web'))
    assert.equal(readableStatePaths(own, true, system).stateDir, own.stateDir, '--state-dir is kept')
    await openState(own.stateDir).ensure()
    await openState(own.stateDir).writeStatus(status({}))
    assert.equal(readableStatePaths(own, false, system).stateDir, own.stateDir, 'own first')
  })

  it('orders Hydra build ids numerically and treats other ids as merely different', () => {
    assert.equal(isNewer('10', '9'), true)
    assert.equal(isNewer('9', '10'), false)
    assert.equal(isNewer('9', '9'), false)
    assert.equal(isNewer('v2', 'v10'), true)
    assert.equal(isNewer('v2', 'v2'), false)
  })
})
