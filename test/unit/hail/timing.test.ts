import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { nextDelay } from '../../../src/core/hail/backoff.js'
import { formatDuration, parseDuration } from '../../../src/core/hail/duration.js'

describe('durations and backoff', () => {
  it('reads bare numbers in the given unit (hail: minutes) and units', () => {
    assert.equal(parseDuration('5', '--poll-period'), 300_000)
    assert.equal(parseDuration('0.5', '--poll-period'), 30_000)
    assert.equal(parseDuration('30s', '--poll-period'), 30_000)
    assert.equal(parseDuration('250ms', 'x'), 250)
    assert.equal(parseDuration('2h', 'x'), 7_200_000)
    assert.equal(parseDuration('90', 'x', 's'), 90_000)
    assert.throws(
      () => parseDuration('soon', '--poll-period'),
      /--poll-period "soon": expected a duration like 5 \(minutes\), 30s/,
    )
    assert.throws(() => parseDuration('0s', '--poll-period'), /must be greater than zero/)
  })

  it('formats durations briefly', () => {
    assert.equal(formatDuration(75), '75ms')
    assert.equal(formatDuration(1500), '1.5s')
    assert.equal(formatDuration(300_000), '5m')
    assert.equal(formatDuration(5_400_000), '1h30m')
  })

  it('waits the period after a good poll and backs off with jitter after failures, up to the cap', () => {
    assert.equal(nextDelay(1000, 0, 60_000), 1000)
    for (const [failures, base] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [7, 60_000],
      [40, 60_000],
    ] as const) {
      assert.equal(
        nextDelay(1000, failures, 60_000, () => 0),
        base * 0.8,
      )
      assert.equal(
        nextDelay(1000, failures, 60_000, () => 1),
        base * 1.2,
      )
    }
    // Never below a (jittered) period, even with a cap under it: no tight retry loop.
    assert.equal(
      nextDelay(5000, 3, 100, () => 0.5),
      5000,
    )
  })
})
