import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildCandidate, hydraSource, normalizeJobUri } from '../../../src/core/hail/hydra.js'
import { startHydra } from '../../support/hydra.js'

const http = { timeoutMs: 2000 }

describe('Hydra source', () => {
  it('strips trailing slashes, query and fragment from the job URI and refuses non-URLs', () => {
    assert.equal(
      normalizeJobUri('https://hydra.example.org/job/p/j/web///'),
      'https://hydra.example.org/job/p/j/web',
    )
    assert.equal(
      normalizeJobUri('https://hydra.example.org/job/p/j/web?x=1#y'),
      'https://hydra.example.org/job/p/j/web',
    )
    assert.throws(() => normalizeJobUri('hydra/job/p/j/web'), /--job-uri "hydra\/job\/p\/j\/web": not a URL/)
    assert.throws(() => normalizeJobUri('ftp://h/job/p/j/w'), /expected an http or https URL/)
  })

  it('reads a build and says what is wrong with an unusable one', () => {
    const good = {
      id: 7,
      finished: 1,
      buildstatus: 0,
      buildoutputs: { out: { path: '/nix/store/abc-x' } },
      jobsetevals: [3, 4],
    }
    assert.deepEqual(buildCandidate(good, 'http://h/build/7'), {
      id: '7',
      storePath: '/nix/store/abc-x',
      evals: [3, 4],
      url: 'http://h/build/7',
    })
    assert.throws(
      () => buildCandidate({ ...good, finished: 0, buildstatus: null }, 'u'),
      /build 7 is not a finished successful build \(finished=0, buildstatus=null\)/,
    )
    assert.throws(
      () => buildCandidate({ ...good, buildoutputs: { doc: { path: '/nix/store/d' } } }, 'u'),
      /build 7 has no "out" output \(outputs: doc\)/,
    )
    assert.throws(() => buildCandidate({ error: 'x' }, 'http://h/build/1'), /not a Hydra build/)
  })

  it('follows /latest to the build, and tells "no successful build" from a missing job', async (t) => {
    const hydra = await startHydra()
    t.after(() => hydra.close())
    const source = hydraSource({ jobUri: `${hydra.jobUri()}/`, requireEvalSuccess: false, http })
    assert.deepEqual(await source.poll(), {
      kind: 'none',
      message: 'There is no successful build to redirect to.',
    })
    const build = hydra.addBuild({ out: '/nix/store/11111111111111111111111111111111-web' })
    const found = await source.poll()
    assert.equal(found.kind, 'build')
    assert.equal(
      found.kind === 'build' && found.candidate.storePath,
      '/nix/store/11111111111111111111111111111111-web',
    )
    assert.equal(found.kind === 'build' && found.candidate.url, `${hydra.url}/build/${build.id}`)
    const wrong = hydraSource({ jobUri: `${hydra.url}/job/nope/prod/web`, requireEvalSuccess: false, http })
    await assert.rejects(wrong.poll(), /HTTP 404: Jobset nope:prod doesn't exist\./)
  })

  it('checks every job of the evaluation, also on a Hydra without /eval/ID/builds', async (t) => {
    for (const evalBuilds of [true, false]) {
      const hydra = await startHydra({ evalBuilds })
      t.after(() => hydra.close())
      const source = hydraSource({ jobUri: hydra.jobUri(), requireEvalSuccess: true, http })
      const web = hydra.addBuild({ out: '/nix/store/22222222222222222222222222222222-web', evals: [] })
      const api = hydra.addBuild({
        job: 'api',
        out: '/nix/store/33333333333333333333333333333333-api',
        buildstatus: 7,
        evals: [],
      })
      hydra.addEval([web.id, api.id])
      const held = await source.poll()
      assert.equal(held.kind, 'waiting')
      assert.equal(
        held.kind === 'waiting' && held.message,
        'evaluation 1: 1 of 2 jobs did not succeed (api 2)',
      )
      hydra.updateBuild(api.id, { buildstatus: 0 })
      assert.equal((await source.poll()).kind, 'build')
      assert.equal(
        hydra.requests.some((r) => r.path === '/build/2'),
        !evalBuilds,
        'per-build requests only without /builds',
      )
    }
  })
})
