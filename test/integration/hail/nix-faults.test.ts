import assert from 'node:assert/strict'
import { chmod, readlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { HailLog } from '../../../src/core/hail/log.js'
import { runCli } from '../../support/cli.js'
import type { HydraFault } from '../../support/hydra.js'
import { serveCache } from '../../support/nix.js'
import { isEvent, isPoll, markerLines, nixSetup, readStatus, requireNix, startWatcher } from './helpers.js'

// What goes wrong on the way to Hydra, and --oneshot's exit codes.

const records = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as HailLog)

describe('hail with Hydra and Nix: faults', () => {
  it('keeps polling through Hydra errors, garbage, HTML and timeouts, degraded until it recovers', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, marker, dirs } = await nixSetup(t)
    const watcher = startWatcher(t, args('--http-timeout', '300ms', '--max-backoff', '200ms'))
    await watcher.waitFor(isPoll('no-build'), 'a first poll')
    const faults: [HydraFault, RegExp][] = [
      ['status500', /HTTP 500: Internal Server Error/],
      ['garbage', /expected JSON, got application\/json/],
      ['html', /expected JSON, got text\/html/],
      ['hang', /no answer within 300 ms/],
    ]
    let failures = 0
    for (const [fault, message] of faults) {
      hydra.fault = fault
      const error = await watcher.waitFor(
        (r) => isPoll('error')(r) && message.test(r.msg),
        `a poll error for ${fault}`,
        { after: watcher.records.length },
      )
      assert.equal(error.stage, 'poll')
      // Each failed poll is followed by a backoff, logged once the poll is accounted for.
      await watcher.waitFor(isEvent('backoff'), `a backoff after the ${fault} error`, {
        after: watcher.records.indexOf(error) + 1,
      })
      failures++
      const status = await readStatus(dirs.state)
      assert.equal(status.health, 'degraded')
      assert.ok(
        status.consecutiveFailures >= failures,
        `${status.consecutiveFailures} failures after ${fault}`,
      )
      assert.match(status.lastError?.message ?? '', message)
    }
    assert.equal(watcher.child.exitCode, null, 'the watcher is still running')

    hydra.fault = 'none'
    hydra.addBuild({ out: await build('A') })
    await watcher.waitFor(isEvent('deployed', 1), 'build 1 deployed after recovery')
    await watcher.waitFor(isPoll('unchanged'), 'a good poll')
    const status = await readStatus(dirs.state)
    assert.equal(status.health, 'healthy')
    assert.equal(status.consecutiveFailures, 0)
    assert.ok(status.totalFailures >= faults.length)
    assert.deepEqual(await markerLines(marker), ['A 1'])
  })

  it('reports a build without an "out" output', async (t) => {
    if (!requireNix(t)) return
    const { hydra, args } = await nixSetup(t)
    hydra.addBuild({ out: null, outputs: { bin: '/nix/store/00000000000000000000000000000000-x-bin' } })
    const result = await runCli(['hail', ...args('--oneshot')])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /build 1 has no "out" output \(outputs: bin\)/)
  })

  it('exits 0 when --oneshot deployed or found nothing to do, non-zero with the reason otherwise', async (t) => {
    if (!requireNix(t)) return
    // This test fetches from a loopback HTTP binary cache rather than file://.
    let served: Awaited<ReturnType<typeof serveCache>> | undefined
    const { hydra, build, args, marker, profile } = await nixSetup(t, {
      cacheUrl: async (dir) => {
        served = await serveCache(dir)
        return served.url
      },
    })
    t.after(() => served?.close())
    const none = await runCli(['hail', ...args('--oneshot')])
    assert.equal(none.code, 0, none.stderr)
    assert.match(none.stdout, /There is no successful build/)

    hydra.addBuild({ out: await build('A') })
    const deployed = await runCli(['hail', ...args('--oneshot', '--json')])
    assert.equal(deployed.code, 0, deployed.stderr)
    assert.ok(records(deployed.stdout).some(isEvent('deployed', '1')))
    assert.ok(
      served!.requests.some((p) => p.endsWith('.narinfo')),
      'fetched through the HTTP cache',
    )
    assert.equal(await readlink(profile), 'svc-1-link')

    const unchanged = await runCli(['hail', ...args('--oneshot', '--json')])
    assert.equal(unchanged.code, 0, unchanged.stderr)
    assert.ok(records(unchanged.stdout).some(isPoll('unchanged')))
    assert.deepEqual(await markerLines(marker), ['A 1', 'A 1'], 'the existing profile is activated at start')

    hydra.fault = 'status500'
    const down = await runCli(['hail', ...args('--oneshot')])
    assert.equal(down.code, 1)
    assert.match(down.stderr, /HTTP 500: Internal Server Error/)

    hydra.fault = 'none'
    hydra.addBuild({ out: await build('BAD', 'exit 4') })
    const failed = await runCli(['hail', ...args('--oneshot')])
    assert.equal(failed.code, 1)
    assert.match(failed.stderr, /build 2 failed at activate: .*exited with status 4/)
    assert.equal(await readlink(profile), 'svc-1-link')

    const usage = await runCli(['hail', '--profile', 'svc', '--oneshot'])
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /--job-uri is required/)
  })

  it('asks for JOB/latest even when the job URI ends in a slash, with the exact host netrc entry over a default listed first', async (t) => {
    if (!requireNix(t)) return
    const { hydra, build, args, dirs } = await nixSetup(t)
    hydra.requireAuth = { login: 'deployer', password: 's3cret word' }
    const netrc = join(dirs.work, 'netrc')
    await writeFile(
      netrc,
      'default login anonymous password nothing\n\n# the real one\nmachine 127.0.0.1\n  login deployer\n  password "s3cret word"\n',
    )
    await chmod(netrc, 0o644)
    hydra.addBuild({ out: await build('A') })
    const uri = `${hydra.jobUri()}//`
    const flags = args('--oneshot', '--json', '--netrc-file', netrc)
    flags[flags.indexOf(hydra.jobUri())] = uri
    const result = await runCli(['hail', ...flags])
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const log = records(result.stdout)
    assert.ok(log.some(isEvent('deployed', '1')))
    assert.ok(log.some((r) => r.level === 'warn' && /readable by others \(mode 644\)/.test(r.msg)))
    assert.ok(hydra.requests.some((r) => r.path === `/job/${hydra.project}/${hydra.jobset}/web/latest`))
    assert.ok(!hydra.requests.some((r) => r.path.includes('//')), 'no //latest')
    const good = `Basic ${Buffer.from('deployer:s3cret word').toString('base64')}`
    assert.ok(hydra.requests.every((r) => r.authorization === good))

    // With only the default entry the credentials are wrong: Hydra's 401 is a clear error.
    await writeFile(netrc, 'default login anonymous password nothing\n', { mode: 0o600 })
    await chmod(netrc, 0o600)
    const refused = await runCli(['hail', ...args('--oneshot', '--netrc-file', netrc)])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /HTTP 401: Access denied/)
    assert.doesNotMatch(refused.stdout, /readable by others/)
  })
})
