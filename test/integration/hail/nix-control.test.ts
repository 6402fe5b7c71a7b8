import assert from 'node:assert/strict'
import { readFile, readlink, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { Pin } from '../../../src/core/hail/state.js'
import { runCli } from '../../support/cli.js'
import {
  isEvent,
  isPoll,
  markerLines,
  nixGenerations,
  nixSetup,
  readStatus,
  requireNix,
  startWatcher,
  unwrap,
} from './helpers.js'

// Operating a running watcher: poll-now and SIGHUP, pause and resume, rollback and its pin,
// dry runs, whole-evaluation gating, and one watcher per profile.

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  )

describe('hail with Hydra and Nix: operating the watcher', () => {
  it('polls at once on poll-now and SIGHUP, and deploys nothing while paused', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, pathArgs, marker, dirs } = await nixSetup(t)
    const watcher = startWatcher(t, args('--poll-period', '1h'))
    await watcher.waitFor(isPoll('no-build'), 'the first poll')
    hydra.addBuild({ out: await build('A') })
    const now = await runCli(['hail', 'poll-now', ...pathArgs])
    assert.equal(now.code, 0, now.stderr)
    assert.match(now.stdout, new RegExp(`asked watcher pid ${watcher.child.pid} to poll now`))
    await watcher.waitFor(isEvent('deployed', 1), 'build 1 deployed after poll-now')

    const paused = await runCli(['hail', 'pause', ...pathArgs, '--reason', 'release freeze'])
    assert.equal(paused.code, 0, paused.stderr)
    hydra.addBuild({ out: await build('B') })
    watcher.child.kill('SIGHUP')
    const held = await watcher.waitFor(isPoll('paused'), 'a paused poll after SIGHUP')
    assert.match(held.msg, /build 2 is available; deployments paused since .* \(release freeze\)/)
    assert.deepEqual(await markerLines(marker), ['A 1'])
    const status = await runCli(['hail', 'status', ...pathArgs])
    assert.equal(status.code, 0, status.stdout)
    assert.match(status.stdout, /paused\s+since .*: release freeze/)
    assert.equal((await readStatus(dirs.state)).paused, true)

    const resumed = await runCli(['hail', 'resume', ...pathArgs])
    assert.equal(resumed.code, 0, resumed.stderr)
    assert.match(resumed.stdout, /deployments resumed; watcher pid \d+ polls now/)
    await watcher.waitFor(isEvent('deployed', 2), 'build 2 deployed after resume')
    assert.deepEqual(await markerLines(marker), ['A 1', 'B 2'])
    assert.equal(
      watcher.count(isPoll('no-build')) + watcher.count(isPoll('deployed')) + watcher.count(isPoll('paused')),
      watcher.count((r) => r.event === 'poll'),
      'every poll was asked for',
    )

    assert.equal((await watcher.stop('SIGTERM')).code, 0)
    const gone = await runCli(['hail', 'poll-now', ...pathArgs])
    assert.equal(gone.code, 2)
    assert.match(unwrap(gone.stderr), /no watcher is running for profile svc/)
  })

  it('rolls back on request, activates the older generation and holds the build back until a newer one', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, pathArgs, marker, profile, dirs } = await nixSetup(t)
    // A slow activate keeps the rollback's switch open across several polls: none of them may take
    // the older generation for a profile that still needs build 2.
    const a = await build('A', 'sleep 0.5')
    hydra.addBuild({ out: a })
    const watcher = startWatcher(t, args())
    await watcher.waitFor(isEvent('deployed', 1), 'build 1 deployed')
    hydra.addBuild({ out: await build('B') })
    await watcher.waitFor(isEvent('deployed', 2), 'build 2 deployed')

    const rollback = await runCli(['hail', 'rollback', ...pathArgs])
    assert.equal(rollback.code, 0, rollback.stderr)
    assert.match(
      rollback.stdout,
      /rolled back from generation 2 to 1 \(build 1\); builds up to 2 are held back/,
    )
    assert.equal(await readlink(profile), 'svc-1-link')
    assert.deepEqual(nixGenerations(profile), ['1', '2'])
    assert.deepEqual((await markerLines(marker)).slice(-1), ['A 1'], 'generation 1 activated again')
    const pin = JSON.parse(await readFile(join(dirs.state, 'pin.json'), 'utf8')) as Pin
    assert.equal(pin.build, '2')
    assert.equal(pin.generation, 1)

    const pinned = await watcher.waitFor(isPoll('pinned'), 'a pinned poll', { after: watcher.records.length })
    assert.match(pinned.msg, /build 2 is not newer than build 2/)
    assert.equal(await readlink(profile), 'svc-1-link')
    assert.equal((await readStatus(dirs.state)).health, 'healthy')

    hydra.addBuild({ out: await build('C') })
    await watcher.waitFor(isEvent('deployed', 3), 'build 3 deployed')
    assert.equal(watcher.count(isEvent('deployed', 2)), 1, 'build 2 was deployed once, before the rollback')
    assert.deepEqual(await markerLines(marker), ['A 1', 'B 2', 'A 1', 'C 3'])
    assert.ok(!(await exists(join(dirs.state, 'pin.json'))), 'the pin is lifted')
    assert.deepEqual(nixGenerations(profile), ['1', '2', '3'])

    const none = await runCli(['hail', 'rollback', ...pathArgs, '--to', '9'])
    assert.equal(none.code, 2)
    assert.match(unwrap(none.stderr), /no generation 9 \(generations: 1, 2, 3\)/)
  })

  it('only reports new builds with --dry-run', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, profile, marker } = await nixSetup(t)
    hydra.addBuild({ out: await build('A') })
    const watcher = startWatcher(t, args('--dry-run'))
    const poll = await watcher.waitFor(isPoll('dry-run'), 'a dry-run poll')
    assert.match(poll.msg, /new build 1 \(\/nix\/store\/\S+-svc-A\) would be deployed/)
    await watcher.waitFor(isPoll('dry-run'), 'another', { after: watcher.records.indexOf(poll) + 1 })
    assert.ok(!(await exists(profile)))
    assert.deepEqual(await markerLines(marker), [])
    assert.equal(
      watcher.count((r) => r.event === 'realise'),
      0,
    )
  })

  it('with --require-eval-success, waits until every job of the evaluation succeeded', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, marker } = await nixSetup(t)
    const web1 = hydra.addBuild({ out: await build('A'), evals: [] })
    const api1 = hydra.addBuild({
      job: 'api',
      out: '/nix/store/00000000000000000000000000000001-api',
      buildstatus: 1,
      evals: [],
    })
    hydra.addEval([web1.id, api1.id])
    const watcher = startWatcher(t, args('--require-eval-success'))
    const waiting = await watcher.waitFor(isPoll('waiting'), 'a poll held back by the failed api job')
    assert.match(waiting.msg, /build 1 held back: evaluation 1: 1 of 2 jobs did not succeed \(api 2\)/)
    assert.ok(hydra.requests.some((r) => r.path.endsWith('/web/latest-finished')))

    // A newer evaluation, not finished yet: latest-finished still names build 1.
    const web2 = hydra.addBuild({ out: await build('B'), evals: [] })
    const api2 = hydra.addBuild({
      job: 'api',
      out: '/nix/store/00000000000000000000000000000002-api',
      finished: false,
      evals: [],
    })
    hydra.addEval([web2.id, api2.id])
    await watcher.waitFor((r) => isPoll('waiting')(r) && /build 1 held back/.test(r.msg), 'still held', {
      after: watcher.records.length,
    })
    assert.deepEqual(await markerLines(marker), [])

    hydra.updateBuild(api2.id, { finished: 1, buildstatus: 0 })
    await watcher.waitFor(isEvent('deployed', web2.id), 'build of the fully successful evaluation deployed')
    assert.deepEqual(await markerLines(marker), [`B ${web2.id}`])
  })

  it('refuses a second watcher on the same profile, naming the first one', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, dirs } = await nixSetup(t)
    hydra.addBuild({ out: await build('A') })
    const first = startWatcher(t, args())
    await first.waitFor(isEvent('deployed', 1), 'the first watcher deployed')
    const same = await runCli(['hail', ...args()])
    assert.equal(same.code, 2)
    assert.match(unwrap(same.stderr), new RegExp(`profile svc is already watched by pid ${first.child.pid}`))
    // Another state folder does not get around it: the profile itself is locked.
    const flags = args()
    flags[flags.indexOf(dirs.state)] = join(dirs.root, 'other-state')
    const other = await runCli(['hail', ...flags])
    assert.equal(other.code, 2)
    assert.match(unwrap(other.stderr), new RegExp(`already watched by pid ${first.child.pid}`))
    assert.equal(first.child.exitCode, null)
    assert.equal((await first.stop('SIGINT')).code, 0)
    // Once it is gone, a new watcher starts.
    const again = startWatcher(t, args())
    await again.waitFor(isPoll('unchanged'), 'a poll by the new watcher')
  })
})
