import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
// Through the package's own name, as an embedding program imports it.
import {
  destroyPod,
  makePod,
  PodError,
  PodExitError,
  PodInstallError,
  type PodOptions,
  PodTimeoutError,
  PodUsageError,
  PodValueError,
  podPool,
} from 'forklift'
import * as core from '../../../src/core/pods/index.js'
import { libV2, podSandbox } from './helpers.js'

const { cacheDir } = await podSandbox()

describe("the package's pod API", () => {
  it('makes a pod, evaluates in it and destroys it', async () => {
    const options: PodOptions = { dependencies: [libV2], cacheDir }
    const pod = await makePod(options)
    try {
      assert.equal(await pod.call('fixture-lib#greet', { name: 'package' }), 'Hello, package!')
      await assert.rejects(pod.eval('null.x'), PodError)
      await assert.rejects(pod.eval('1', { 'no-name': 1 }), PodUsageError)
      await assert.rejects(pod.eval('1', { f: () => 1 }), PodValueError)
    } finally {
      await destroyPod(pod)
    }
    await assert.rejects(pod.eval('1'), PodExitError)
  })

  it('runs a pool', async () => {
    const pool = await podPool({ cacheDir }, { size: 0 })
    try {
      assert.equal(await pool.current().eval('6 * 7'), 42)
    } finally {
      await pool.shutdown()
    }
  })

  it('exports the very classes the pods throw', () => {
    assert.equal(makePod, core.makePod)
    assert.equal(PodError, core.PodError)
    assert.equal(PodExitError, core.PodExitError)
    assert.equal(PodInstallError, core.PodInstallError)
    assert.equal(PodTimeoutError, core.PodTimeoutError)
  })
})
