import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { planPhases } from '../../../src/core/engine/phases.js'

describe('the phases of a run', () => {
  it('converge always runs bootstrap, settings and configure, then each --phase once', () => {
    assert.deepEqual(planPhases('converge', []), ['bootstrap', 'settings', 'configure'])
    assert.deepEqual(planPhases('converge', ['deploy']), ['bootstrap', 'settings', 'configure', 'deploy'])
    assert.deepEqual(planPhases('converge', ['deploy', 'configure', 'deploy', 'test']), [
      'bootstrap',
      'settings',
      'configure',
      'deploy',
      'test',
    ])
  })

  it('lift runs settings, then the given phases in their order (default configure)', () => {
    assert.deepEqual(planPhases('lift', []), ['settings', 'configure'])
    assert.deepEqual(planPhases('lift', ['deploy']), ['settings', 'deploy'])
    assert.deepEqual(planPhases('lift', ['deploy', 'settings', 'configure', 'deploy']), [
      'settings',
      'deploy',
      'configure',
    ])
  })
})
