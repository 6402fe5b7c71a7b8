import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { destroyPod, makePod, type Pod, PodValueError } from '../../../src/core/pods/index.js'
import { podSandbox } from './helpers.js'

// Values travel over the IPC channel by structured clone, after a check that they are data.

const { cacheDir } = await podSandbox()

describe('values crossing a pod boundary', () => {
  let pod: Pod
  before(async () => {
    pod = await makePod({ cacheDir })
  })
  after(() => destroyPod(pod))

  it('round-trips Date, Map, Set, BigInt and Uint8Array both ways', async () => {
    const value = {
      when: new Date('2024-02-29T12:00:00Z'),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, [3]],
      ]),
      set: new Set(['x', 'y']),
      big: 2n ** 80n,
      bytes: new Uint8Array([0, 1, 255]),
      nested: { list: [null, true, 'three', 4.5] },
    }
    // Inside the pod they are real Dates, Maps … not strings.
    const seen = await pod.eval<Record<string, unknown>>(
      `({
        value,
        kinds: [value.when instanceof Date, value.map instanceof Map, value.set instanceof Set,
                typeof value.big, value.bytes instanceof Uint8Array],
      })`,
      { value },
    )
    assert.deepEqual(seen.value, value)
    assert.deepEqual(seen.kinds, [true, true, true, 'bigint', true])
    const made = await pod.eval<Record<string, unknown>>(
      '({ when: new Date(0), map: new Map([[1, new Set([2n])]]), bytes: new TextEncoder().encode("hi") })',
    )
    assert.ok(made.when instanceof Date)
    assert.deepEqual(made.map, new Map([[1, new Set([2n])]]))
    assert.deepEqual(made.bytes, new Uint8Array([104, 105]))
  })

  it('rejects a function, a class instance or a cycle coming back, naming the path', async () => {
    const cases: [string, string][] = [
      ['({ a: { b: [1, 2, () => 3] } })', 'value.a.b[2] is a function'],
      [
        'class Point { constructor() { this.x = 1 } }; ({ points: [new Point()] })',
        'value.points[0] is an instance of Point',
      ],
      ['const o = { inner: {} }; o.inner.back = o; o', 'value.inner.back refers back to value (a cycle)'],
      ['new Map([["k", { f() {} }]])', 'value.get("k").f is a function'],
    ]
    for (const [code, message] of cases) {
      await assert.rejects(pod.eval(code), (error: Error) => {
        assert.ok(error instanceof PodValueError, `${code}: ${error}`)
        assert.equal(error.message, `${message}; ${error.message.split('; ')[1]}`)
        assert.match(error.message, /only data crosses a pod boundary/)
        return true
      })
    }
    // The pod is fine afterwards.
    assert.equal(await pod.eval('1'), 1)
  })

  it('rejects the same going in, before anything is sent', async () => {
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    await assert.rejects(
      pod.eval('1', { cycle }),
      /^PodValueError: bindings\.cycle\.self refers back to bindings\.cycle/,
    )
    await assert.rejects(pod.call('node:path#join', new URL('file:///x')), /args\[0\] is an instance of URL/)
    await assert.rejects(pod.eval('1', { f: () => 1 }), /bindings\.f is a function/)
  })
})
