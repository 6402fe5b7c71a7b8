import assert from 'node:assert/strict'
import { readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { runCli } from '../../support/cli.js'
import { hailDirs, isEvent, isPoll, markerLines, readStatus, startWatcher } from './helpers.js'
import { makeArtifact, startManifestServer } from './manifest-server.js'

// --source manifest, for machines without Nix: download, verify, unpack into a generation, switch
// the profile link atomically. No Nix needed: these run everywhere.

async function setup(t: TestContext) {
  const dirs = await hailDirs(t)
  const server = await startManifestServer()
  t.after(() => server.close())
  const marker = join(dirs.work, 'activations')
  const artifact = (label: string, extra = '', padding = 0) =>
    makeArtifact(`echo "${label} $HAIL_BUILD_ID $HAIL_GENERATION" >> ${marker}\n${extra}`, padding)
  const args = (...more: string[]) => [
    '--profile',
    'svc',
    '--profiles-dir',
    dirs.profiles,
    '--state-dir',
    dirs.state,
    '--source',
    'manifest',
    '--url',
    server.manifestUrl,
    '--poll-period',
    '100ms',
    ...more,
  ]
  const store = join(dirs.profiles, '.forklift-store')
  return { dirs, server, marker, artifact, args, store, profile: join(dirs.profiles, 'svc') }
}

describe('hail with a plain manifest', () => {
  it('downloads, verifies, unpacks and switches generations, and refuses a bad checksum', async (t) => {
    const { server, marker, artifact, args, store, profile, dirs } = await setup(t)
    const v1 = await artifact('one')
    server.publish('v1', v1)
    const watcher = startWatcher(t, args())
    await watcher.waitFor(isEvent('deployed', 'v1'), 'v1 deployed')
    assert.deepEqual(await markerLines(marker), ['one v1 1'])
    assert.equal(await readlink(profile), 'svc-1-link')
    const v1Dir = join(store, `${v1.sha256.slice(0, 32)}-v1`)
    assert.equal(await readlink(`${profile}-1-link`), v1Dir)
    await watcher.waitFor(isPoll('unchanged'), 'an unchanged poll')
    assert.deepEqual(await markerLines(marker), ['one v1 1'])

    // A manifest whose checksum does not match its artifact: refused, nothing switched or kept.
    const bad = await artifact('bad')
    server.publish('v2', bad, { sha256: 'ab'.repeat(32) })
    const failed = await watcher.waitFor(isEvent('failed', 'v2'), 'v2 refused')
    assert.equal(failed.stage, 'verify')
    assert.match(
      failed.msg,
      new RegExp(`sha256 is ${bad.sha256} but the manifest says ${'ab'.repeat(32)}; refused`),
    )
    await watcher.waitFor(isPoll('known-failed'), 'v2 skipped afterwards')
    assert.equal(server.hits.filter((h) => h === '/artifacts/v2.tar.gz').length, 1, 'not downloaded again')
    assert.equal(await readlink(profile), 'svc-1-link')
    assert.deepEqual((await readdir(dirs.profiles)).sort(), [
      '.forklift-store',
      'svc',
      'svc-1-link',
      'svc.hail.pid',
    ])
    assert.deepEqual(await readdir(store), [`${v1.sha256.slice(0, 32)}-v1`])
    assert.deepEqual(await markerLines(marker), ['one v1 1'])

    const v3 = await artifact('three')
    server.publish('v3', v3)
    await watcher.waitFor(isEvent('deployed', 'v3'), 'v3 deployed')
    await watcher.waitFor(isPoll('deployed'), 'the poll summary (written after status.json)', {
      after: watcher.records.findIndex(isEvent('deployed', 'v3')),
    })
    assert.equal(await readlink(profile), 'svc-2-link')
    assert.equal(await readlink(`${profile}-2-link`), join(store, `${v3.sha256.slice(0, 32)}-v3`))
    assert.deepEqual(await markerLines(marker), ['one v1 1', 'three v3 2'])
    const status = await readStatus(dirs.state)
    assert.deepEqual(status.current, {
      build: 'v3',
      path: join(store, `${v3.sha256.slice(0, 32)}-v3`),
      generation: 2,
    })
  })

  it('rolls back to the previous generation when activate fails', async (t) => {
    const { server, marker, artifact, args, store, profile, dirs } = await setup(t)
    const v1 = await artifact('one')
    server.publish('v1', v1)
    const watcher = startWatcher(t, args())
    await watcher.waitFor(isEvent('deployed', 'v1'), 'v1 deployed')
    server.publish('v2', await artifact('two', 'exit 1'))
    await watcher.waitFor(isEvent('failed', 'v2'), 'v2 failed')
    await watcher.waitFor(isPoll('known-failed'), 'v2 skipped afterwards')
    assert.deepEqual(await markerLines(marker), ['one v1 1', 'two v2 2', 'one v1 1'])
    assert.equal(await readlink(profile), 'svc-1-link')
    assert.deepEqual(
      (await readdir(dirs.profiles)).filter((n) => n.endsWith('-link')),
      ['svc-1-link'],
    )
    assert.deepEqual(await readdir(store), [`${v1.sha256.slice(0, 32)}-v1`], 'the failed build is removed')
  })

  it('undoes a deployment its watcher was killed in, at the next start, and does not retry the build', async (t) => {
    const { server, marker, artifact, args, store, profile, dirs } = await setup(t)
    const v1 = await artifact('one')
    server.publish('v1', v1)
    const first = startWatcher(t, args())
    await first.waitFor(isEvent('deployed', 'v1'), 'v1 deployed')
    // v2's activate kills its watcher outright, as an OOM kill or a power cut would.
    server.publish('v2', await artifact('two', 'kill -KILL $PPID'))
    assert.equal((await first.exited).signal, 'SIGKILL')
    assert.equal(await readlink(profile), 'svc-2-link', 'killed between its switch and its outcome')

    const second = startWatcher(t, args())
    const recovered = await second.waitFor(isEvent('recover', 'v2'), 'the interrupted deployment undone')
    assert.match(
      recovered.msg,
      /^build v2: the watcher stopped during its deployment \(started .+\), before activate and the health check finished; rolling back$/,
    )
    await second.waitFor(isPoll('known-failed'), 'v2 not retried')
    assert.equal(await readlink(profile), 'svc-1-link')
    assert.deepEqual(await markerLines(marker), ['one v1 1', 'two v2 2', 'one v1 1'])
    assert.deepEqual(
      await readdir(store),
      [`${v1.sha256.slice(0, 32)}-v1`],
      'the interrupted build is removed',
    )
    const status = await readStatus(dirs.state)
    assert.equal(status.current?.build, 'v1')
    assert.equal(status.health, 'degraded')
    assert.equal(status.lastError?.build, 'v2')
    const report = await runCli(['hail', 'status', ...args().slice(0, 6)])
    assert.equal(report.code, 1, report.stdout)
  })

  it('abandons a download cleanly on SIGTERM: no partial generation, exit 0', async (t) => {
    const { server, artifact, args, store, profile, dirs } = await setup(t)
    server.publish('v1', await artifact('one'))
    const watcher = startWatcher(t, args())
    await watcher.waitFor(isEvent('deployed', 'v1'), 'v1 deployed')
    const big = await artifact('two', '', 256 * 1024)
    const stalled = server.stalled()
    server.publish('v2', big, { stallAt: 64 * 1024 })
    await stalled
    await watcher.waitFor(isEvent('download', 'v2'), 'the download under way')
    const partials = (await readdir(store)).filter((n) => n.startsWith('.partial-'))
    assert.equal(partials.length, 1, 'the download is being written')
    const exit = await watcher.stop('SIGTERM')
    assert.equal(exit.code, 0, watcher.stderr())
    assert.ok(watcher.records.some(isEvent('abandoned', 'v2')))
    assert.deepEqual(
      (await readdir(store)).filter((n) => !n.endsWith('-v1')),
      [],
      'no partial download or unpack left',
    )
    assert.equal(await readlink(profile), 'svc-1-link')
    assert.deepEqual((await readdir(dirs.profiles)).sort(), ['.forklift-store', 'svc', 'svc-1-link'])
    const status = await readStatus(dirs.state)
    assert.equal(status.current?.build, 'v1')
    assert.ok(status.stoppedAt)
  })

  it('kills an activate that hangs past --activate-timeout and rolls back', async (t) => {
    const { server, marker, artifact, args, profile } = await setup(t)
    server.publish('v1', await artifact('one'))
    const watcher = startWatcher(t, args('--activate-timeout', '500ms'))
    await watcher.waitFor(isEvent('deployed', 'v1'), 'v1 deployed')
    server.publish('v2', await artifact('two', 'sleep 60'))
    const failed = await watcher.waitFor(isEvent('failed', 'v2'), 'v2 failed')
    assert.equal(failed.stage, 'activate')
    assert.match(failed.msg, /bin\/activate did not finish within 500 ms \(killed\)/)
    assert.equal(await readlink(profile), 'svc-1-link')
    assert.deepEqual(await markerLines(marker), ['one v1 1', 'two v2 2', 'one v1 1'])
  })

  it('finishes an activation in progress before it obeys SIGTERM', async (t) => {
    const { server, marker, artifact, args, profile, dirs } = await setup(t)
    server.publish(
      'v1',
      await artifact('one', `sleep 1; echo "one finished" >> ${join(dirs.work, 'activations')}`),
    )
    const watcher = startWatcher(t, args())
    await watcher.waitFor(isEvent('activate', 'v1'), 'the activation under way')
    watcher.child.kill('SIGTERM')
    const exit = await watcher.exited
    assert.equal(exit.code, 0, watcher.stderr())
    assert.ok(watcher.records.some(isEvent('deployed', 'v1')), 'the deployment was completed')
    assert.deepEqual(await markerLines(marker), ['one v1 1', 'one finished'])
    assert.equal(await readlink(profile), 'svc-1-link')
    assert.equal((await readStatus(dirs.state)).current?.build, 'v1')
  })
})
