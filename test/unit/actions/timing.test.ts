import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { actionClock } from '../../../src/core/actions/protocol.js'
import { compilePhaseScript, parsePhaseOutput } from '../../../src/core/actions/script.js'
import type { Action } from '../../../src/core/actions/types.js'
import { runProcess } from '../../support/process.js'
import { localFacts, SHELLS, shellFor } from './support.js'

const NONCE = 'c10cc10c1234'
const M = `@@FL:${NONCE}`

describe('action timings from marker arrival', () => {
  it('times each action from its begin line to its end line, whatever the chunking', () => {
    let now = 1000
    const clock = actionClock(NONCE, () => now)
    clock.push(`${M} start 0\n${M} beg`)
    now = 1010
    clock.push(`in 0\n|${M} end 0 ok 0 -\n`)
    now = 1250.4
    clock.push(`${M} end 0 changed 0 - run\n${M} begin 1\n${M} end 1 ok 0 -\n${M} begin 2\n`)
    now = 1300
    assert.deepEqual(
      [...clock.durations()],
      [
        [0, 240],
        [1, 0],
        // Never ended: counts until now.
        [2, 50],
      ],
    )
  })

  it('a long line does not pile up and the next marker is still seen', () => {
    let now = 0
    const clock = actionClock(NONCE, () => now)
    clock.push(`${M} begin 0\n|`)
    for (let i = 0; i < 1000; i++) clock.push('x'.repeat(1000))
    now = 7
    clock.push(`\n${M} end 0 ok 0 -\n`)
    assert.deepEqual([...clock.durations()], [[0, 7]])
  })

  for (const name of SHELLS) {
    it(`under ${name}, markers arrive as the actions run, so each action's time is its own`, async (t) => {
      const shell = await shellFor(t, name)
      if (!shell) return
      const actions: Action[] = [
        { type: 'exec', script: 'sleep 1' },
        { type: 'exec', script: 'true' },
        { type: 'exec', script: 'sleep 0.5; exit 4' },
        { type: 'exec', script: 'true' },
      ]
      const script = compilePhaseScript(actions, { facts: localFacts(), dryRun: false, nonce: NONCE })
      const clock = actionClock(NONCE)
      const run = await runProcess(shell.argv[0]!, shell.argv.slice(1), {
        env: shell.env,
        input: script,
        onStdout: clock.push,
      })
      const results = parsePhaseOutput(run.stdout, run.stderr, run.code, actions, NONCE, clock.durations())
      assert.deepEqual(
        results.map((r) => r.status),
        ['changed', 'changed', 'failed', 'skipped'],
      )
      const [slow, quick, failed, skipped] = results.map((r) => r.durationMs!)
      // Times come from when markers arrive, which a loaded machine delays: the bounds leave half of each
      // sleep for that, and still fail when one action's time is charged to another.
      assert.ok(slow! >= 500 && slow! < 5000, `sleep 1 took ${slow}ms`)
      assert.ok(quick! < slow!, `true took ${quick}ms, sleep 1 ${slow}ms`)
      assert.ok(failed! >= 250 && failed! < 5000, `sleep 0.5 took ${failed}ms`)
      assert.equal(skipped, 0)
    })
  }
})
