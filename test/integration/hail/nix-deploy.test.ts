import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { FailedBuild } from '../../../src/core/hail/state.js'
import { runCli } from '../../support/cli.js'
import { inStore } from '../../support/nix.js'
import {
  isEvent,
  isPoll,
  markerLines,
  nixGenerations,
  nixSetup,
  readStatus,
  requireNix,
  startWatcher,
} from './helpers.js'

// The watcher through the real CLI, against real nix-store / nix-env and a Hydra stand-in on loopback.
// Builds come from a binary cache the test made (`nix copy`), never from the machine's default caches.

describe('hail with Hydra and Nix: deployments', () => {
  it('deploys a new build, leaves an unchanged one alone, and deploys the next', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, marker, profile, dirs } = await nixSetup(t)
    const hookOut = join(dirs.work, 'on-change')
    const a = await build('A')
    hydra.addBuild({ out: a })
    const watcher = startWatcher(
      t,
      args('--on-change', `echo "$HAIL_EVENT $HAIL_BUILD_ID $HAIL_GENERATION $HAIL_PATH" >> ${hookOut}`),
    )
    await watcher.waitFor(isEvent('deployed', 1), 'build 1 deployed')
    assert.ok(await inStore(a), 'the build was realised from the cache')
    assert.deepEqual(await markerLines(marker), ['A 1'])
    assert.equal(await readlink(profile), 'svc-1-link')
    assert.equal(await readlink(`${profile}-1-link`), a)
    assert.deepEqual(nixGenerations(profile), ['1'])

    // More polls of the same build: nothing runs.
    const seen = watcher.records.length
    for (let i = 0; i < 3; i++)
      await watcher.waitFor(isPoll('unchanged'), 'an unchanged poll', { after: seen + i })
    assert.deepEqual(await markerLines(marker), ['A 1'])
    assert.equal(
      watcher.count((r) => r.event === 'realise'),
      1,
    )
    assert.equal(watcher.count(isEvent('activate')), 1)

    const b = await build('B')
    hydra.addBuild({ out: b })
    const deployed = await watcher.waitFor(isEvent('deployed', 2), 'build 2 deployed')
    await watcher.waitFor(isPoll('deployed'), 'the poll summary', {
      after: watcher.records.indexOf(deployed),
    })
    assert.deepEqual(await markerLines(marker), ['A 1', 'B 2'])
    assert.equal(await readlink(profile), 'svc-2-link')
    assert.deepEqual(nixGenerations(profile), ['1', '2'])
    assert.deepEqual(await markerLines(hookOut), [`change 1 1 ${a}`, `change 2 2 ${b}`])
    const status = await readStatus(dirs.state)
    assert.deepEqual(status.current, { build: '2', path: b, generation: 2 })
    assert.equal(status.health, 'healthy')
    assert.equal(status.lastActivation?.ok, true)
    assert.equal(status.lastPoll?.result, 'deployed')

    assert.equal((await watcher.stop('SIGTERM')).code, 0)
    assert.ok((await readStatus(dirs.state)).stoppedAt)
    assert.ok(hydra.requests.every((r) => r.accept === 'application/json'))
  })

  it('rolls back a failed activate, re-activates the previous generation and never retries the build', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, marker, profile, dirs, pathArgs } = await nixSetup(t)
    const failures = join(dirs.work, 'on-failure')
    hydra.addBuild({ out: await build('A') })
    const watcher = startWatcher(
      t,
      args('--on-failure', `echo "$HAIL_EVENT $HAIL_BUILD_ID $HAIL_STAGE $HAIL_ERROR" >> ${failures}`),
    )
    await watcher.waitFor(isEvent('deployed', 1), 'build 1 deployed')
    const bad = await build('BAD', 'echo "cannot start" >&2; exit 3')
    hydra.addBuild({ out: bad })
    await watcher.waitFor(isEvent('failed', 2), 'build 2 failed')
    // The failure is reported after the previous generation was switched back and activated again.
    const rolledBack = watcher.records.findIndex(isEvent('rollback'))
    assert.ok(rolledBack > 0)
    assert.ok(watcher.records.slice(rolledBack).some((r) => r.event === 'activated' && r.generation === 1))
    assert.deepEqual(await markerLines(marker), ['A 1', 'BAD 2', 'A 1'])
    assert.equal(await readlink(profile), 'svc-1-link')
    assert.deepEqual(nixGenerations(profile), ['1'], 'the failed generation is deleted')
    const failed = JSON.parse(await readFile(join(dirs.state, 'failed.json'), 'utf8')) as FailedBuild[]
    assert.deepEqual(
      failed.map((f) => [f.build, f.stage]),
      [['2', 'activate']],
    )
    assert.match(failed[0]!.error, /exited with status 3: cannot start/)
    const hook = await markerLines(failures)
    assert.equal(hook.length, 1)
    assert.match(hook[0]!, /^failure 2 activate .*exited with status 3/)

    // Later polls see build 2 again and skip it: its activate never runs again.
    const seen = watcher.records.length
    await watcher.waitFor(isPoll('known-failed'), 'a poll skipping build 2', { after: seen })
    await watcher.waitFor(isPoll('known-failed'), 'another poll skipping build 2', {
      after: watcher.records.findIndex((r, i) => i >= seen && isPoll('known-failed')(r)) + 1,
    })
    assert.deepEqual(await markerLines(marker), ['A 1', 'BAD 2', 'A 1'])
    const degraded = await runCli(['hail', 'status', ...pathArgs])
    assert.equal(degraded.code, 1, degraded.stderr)
    assert.match(degraded.stdout, /degraded: newest build 2 failed at activate/)

    hydra.addBuild({ out: await build('C') })
    await watcher.waitFor(isEvent('deployed', 3), 'build 3 deployed')
    const healthy = await runCli(['hail', 'status', ...pathArgs, '--json'])
    assert.equal(healthy.code, 0, healthy.stdout)
    assert.equal(JSON.parse(healthy.stdout).health, 'healthy')
    assert.deepEqual(nixGenerations(profile), ['1', '2'])
    assert.equal(await readlink(`${profile}-2-link`), (await readStatus(dirs.state)).current?.path)
  })

  it('treats a failed health check as a failed activation', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, marker, profile, dirs } = await nixSetup(t)
    const a = await build('A')
    hydra.addBuild({ out: a })
    const watcher = startWatcher(
      t,
      args('--health-check', 'test "$HAIL_BUILD_ID" != 2 || { echo unhealthy; exit 1; }'),
    )
    await watcher.waitFor(isEvent('deployed', 1), 'build 1 deployed')
    hydra.addBuild({ out: await build('B') })
    const failed = await watcher.waitFor(isEvent('failed', 2), 'build 2 failed')
    assert.equal(failed.stage, 'health-check')
    assert.match(failed.msg, /health check .* exited with status 1: unhealthy/)
    await watcher.waitFor(isPoll('failed'), 'the poll summary')
    assert.deepEqual(await markerLines(marker), ['A 1', 'B 2', 'A 1'])
    assert.equal(await readlink(`${profile}-1-link`), a)
    assert.equal(await readlink(profile), 'svc-1-link')
    const status = await readStatus(dirs.state)
    assert.equal(status.current?.build, '1')
    assert.equal(status.health, 'degraded')
    assert.equal(status.lastError?.stage, 'health-check')
  })

  it('activates an existing profile at start, and reports a job without a successful build', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, marker, profile, dirs } = await nixSetup(t)
    const a = await build('A')
    execFileSync(
      'nix-store',
      ['--realise', a, '--option', 'substituters', `file://${join(dirs.root, 'cache')}`],
      { stdio: 'ignore' },
    )
    execFileSync('nix-env', ['--profile', profile, '--set', a], { stdio: 'ignore' })
    hydra.addBuild({ out: await build('FAILED'), buildstatus: 1 })
    const watcher = startWatcher(t, args())
    const poll = await watcher.waitFor(isPoll('no-build'), 'a poll finding no successful build')
    assert.match(poll.msg, /There is no successful build to redirect to/)
    assert.deepEqual(await markerLines(marker), ['A '], 'activate ran once at start')
    assert.equal((await readStatus(dirs.state)).health, 'healthy')
  })

  it('leaves the profile alone when the build cannot be realised', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, marker, profile, dirs } = await nixSetup(t)
    hydra.addBuild({ out: await build('A') })
    const watcher = startWatcher(t, args())
    await watcher.waitFor(isEvent('deployed', 1), 'build 1 deployed')
    // A path no cache has.
    hydra.addBuild({ out: '/nix/store/00000000000000000000000000000000-missing' })
    const failed = await watcher.waitFor(isEvent('failed', 2), 'build 2 failed')
    assert.equal(failed.stage, 'realise')
    await watcher.waitFor(isPoll('known-failed'), 'build 2 skipped afterwards')
    assert.equal(
      watcher.count((r) => r.event === 'realise' && r.build === '2'),
      1,
      'realised once, not retried',
    )
    assert.equal(await readlink(profile), 'svc-1-link')
    assert.deepEqual(nixGenerations(profile), ['1'])
    assert.deepEqual(await markerLines(marker), ['A 1'], 'nothing was switched, so nothing re-activated')
    assert.equal((await readStatus(dirs.state)).current?.build, '1')
  })
})
