import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  destroyPod,
  makePod,
  type Pod,
  PodExitError,
  PodTimeoutError,
  podPool,
} from '../../../src/core/pods/index.js'
import { alive, eventually, libV1, podProcesses, podSandbox } from './helpers.js'

const { cacheDir } = await podSandbox()

const INFINITE_LOOP = 'for (;;) {}'
const HEAP_BOMB = 'const hoard = []; for (;;) hoard.push(new Array(100_000).fill(1.5))'
const limits = { timeoutMs: 1500, heapMb: 48 }
// Filling the heap is CPU work that a loaded machine slows: a time limit this long is never what stops it.
const heapLimits = { timeoutMs: 60_000, heapMb: 48 }
// Busy for `ms` of wall-clock time, the pod's loop taken all along (as a crate's synchronous phase is).
const busy = (ms: number) => `const end = Date.now() + ${ms}; while (Date.now() < end) {}; n`

const pidOf = (pod: Pod) => {
  assert.ok(pod.pid, 'the pod has a running process')
  return pod.pid
}

describe('limits', () => {
  it('kills an infinite loop at the time limit; the pod is replaced and answers again', async () => {
    const pod = await makePod({ cacheDir, limits })
    try {
      const before = pidOf(pod)
      await assert.rejects(pod.eval(INFINITE_LOOP), (error: Error) => {
        assert.ok(error instanceof PodTimeoutError)
        assert.match(error.message, /^eval ran past the pod's 1500 ms time limit; the pod was stopped$/)
        return true
      })
      assert.equal(await pod.eval('6 * 7'), 42)
      assert.notEqual(pidOf(pod), before)
      assert.equal(alive(before), false)
    } finally {
      await destroyPod(pod)
    }
  })

  it('kills a heap bomb at the heap limit; the pod is replaced and answers again', async () => {
    const pod = await makePod({ cacheDir, limits: heapLimits })
    try {
      const before = pidOf(pod)
      await assert.rejects(pod.eval(HEAP_BOMB), (error: Error) => {
        assert.ok(error instanceof PodExitError, String(error))
        assert.equal(error.reason, 'heap')
        assert.equal(
          error.message,
          'the pod ran out of memory: it reached its heap limit of 48 MB and was stopped',
        )
        return true
      })
      assert.equal(await pod.eval('6 * 7'), 42)
      assert.notEqual(pidOf(pod), before)
    } finally {
      await destroyPod(pod)
    }
  })

  it("times each call from its own start: concurrent calls do not use up each other's limit", async () => {
    const pod = await makePod({ cacheDir, limits: { timeoutMs: 1000 } })
    try {
      const before = pidOf(pod)
      const calls = [0, 1, 2, 3, 4, 5].map((n) => pod.eval(busy(300), { n }))
      // Six calls of 300 ms take 1.8 s in all, each well within its 1000 ms.
      assert.deepEqual(await Promise.all(calls), [0, 1, 2, 3, 4, 5])
      assert.equal(pidOf(pod), before)
    } finally {
      await destroyPod(pod)
    }
  })

  it('fails only the runaway among concurrent calls; those behind it run on the replacement', async () => {
    const pod = await makePod({ cacheDir, limits: { timeoutMs: 1000 } })
    try {
      const before = pidOf(pod)
      const codes = [busy(200), busy(200), INFINITE_LOOP, busy(200), busy(200)]
      const results = await Promise.allSettled(codes.map((code, n) => pod.eval(code, { n })))
      assert.deepEqual(
        results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed')),
        [0, 1, 'failed', 3, 4],
      )
      const failed = results[2] as PromiseRejectedResult
      assert.ok(failed.reason instanceof PodTimeoutError, String(failed.reason))
      assert.equal(failed.reason.timeoutMs, 1000)
      assert.match(failed.reason.message, /^eval ran past the pod's 1000 ms time limit; the pod was stopped$/)
      assert.notEqual(pidOf(pod), before)
      assert.equal(alive(before), false)
    } finally {
      await destroyPod(pod)
    }
  })

  it('a crash of the pod is an error for the caller, not for Forklift', async () => {
    const pod = await makePod({ cacheDir, limits })
    try {
      await assert.rejects(pod.eval('process.exit(3)'), /the pod exited with code 3/)
      await assert.rejects(pod.eval('process.kill(process.pid, "SIGSEGV")'), /the pod was killed by SIGSEGV/)
      assert.equal(await pod.eval('"still here"'), 'still here')
    } finally {
      await destroyPod(pod)
    }
  })
})

describe('pod pools', () => {
  it('keep size warm pods besides the current one, initialised', async () => {
    const pool = await podPool(
      { cacheDir, dependencies: [libV1] },
      { size: 2, init: (pod) => pod.eval('globalThis.greeting = require("fixture-lib").greet("pool")') },
    )
    const pids = new Set<number>()
    try {
      assert.equal(pool.size, 2)
      const first = pool.current()
      pids.add(pidOf(first))
      assert.equal(await first.eval('greeting'), 'hello, pool')
      for (let round = 0; round < 3; round++) {
        const next = await pool.refresh()
        assert.notEqual(next, first)
        pids.add(pidOf(next))
        assert.equal(await next.eval('greeting'), 'hello, pool')
        assert.equal(pool.current(), next)
      }
      assert.equal(pids.size, 4)
    } finally {
      await pool.shutdown()
    }
    for (const pid of pids) assert.equal(alive(pid), false, `pod process ${pid} is gone`)
  })

  it('refresh hands out the warm pod and destroys the old one in the background', async () => {
    const destroyed: number[] = []
    const pool = await podPool(
      { cacheDir },
      {
        size: 1,
        destroy: async (pod) => {
          // It answers: alive (a pool's pod is not restarted in place).
          if ((await pod.eval<number>('1')) === 1) destroyed.push(pod.pid!)
        },
      },
    )
    try {
      const old = pool.current()
      const oldPid = pidOf(old)
      await eventually(() => podProcesses().length === 2, 'the warm pod runs')
      const warmPid = podProcesses().find((pid) => pid !== oldPid)
      const next = await pool.refresh()
      assert.equal(pidOf(next), warmPid, 'the pod handed out is the one that was already warm')
      assert.equal(await next.eval('1'), 1)
      await eventually(() => old.destroyed && !alive(oldPid), 'the old pod is gone')
      assert.deepEqual(destroyed, [oldPid], 'the destroy hook saw the old pod alive')
    } finally {
      await pool.shutdown()
    }
  })

  it('replace a pod killed at the time or heap limit; the next call works', async () => {
    const pool = await podPool({ cacheDir, limits }, { size: 1 })
    try {
      const looping = pool.current()
      const loopPid = pidOf(looping)
      await assert.rejects(looping.eval(INFINITE_LOOP), PodTimeoutError)
      assert.notEqual(pool.current(), looping)
      assert.equal(await pool.current().eval('1 + 1'), 2)
      await eventually(() => !alive(loopPid), 'the looping pod is gone')
    } finally {
      await pool.shutdown()
    }
    const heapPool = await podPool({ cacheDir, limits: heapLimits }, { size: 1 })
    try {
      const bombed = heapPool.current()
      const bombPid = pidOf(bombed)
      await assert.rejects(
        bombed.eval(HEAP_BOMB),
        (error: Error) => error instanceof PodExitError && error.reason === 'heap',
      )
      assert.notEqual(heapPool.current(), bombed)
      assert.equal(await heapPool.current().eval('2 + 2'), 4)
      await eventually(() => !alive(bombPid), 'the bombed pod is gone')
    } finally {
      await heapPool.shutdown()
    }
  })

  it('move the calls waiting behind a runaway to the pod that replaces it', async () => {
    const pool = await podPool({ cacheDir, limits: { timeoutMs: 1000 } }, { size: 1 })
    try {
      const first = pool.current()
      const codes = [busy(100), INFINITE_LOOP, busy(100), busy(100)]
      const results = await Promise.allSettled(codes.map((code, n) => first.eval(code, { n })))
      assert.deepEqual(
        results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).name)),
        [0, 'PodTimeoutError', 2, 3],
      )
      assert.notEqual(pool.current(), first)
      assert.equal(first.destroyed, true)
    } finally {
      await pool.shutdown()
    }
  })

  it('shutdown leaves no process behind, warm ones included', async () => {
    assert.deepEqual(podProcesses(), [], 'no pod runs before')
    const pool = await podPool({ cacheDir }, { size: 3 })
    // The current pod and three warm ones, started in the background.
    await eventually(() => podProcesses().length === 4, 'four pod processes')
    await pool.refresh()
    await eventually(() => podProcesses().length === 4, 'still four after a refresh')
    const pids = podProcesses()
    await pool.shutdown()
    assert.deepEqual(podProcesses(), [])
    for (const pid of pids) assert.equal(alive(pid), false, `pod process ${pid} is gone`)
    assert.throws(() => pool.current(), /shut down/)
  })
})
