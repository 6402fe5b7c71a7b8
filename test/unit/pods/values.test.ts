import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { toJsonValue } from '../../../src/core/pods/json.js'
import { unsendableReason } from '../../../src/core/pods/values.js'

const reason = (value: unknown, root?: string) => unsendableReason(value, root)?.split(';')[0]

describe('what may cross a pod boundary', () => {
  it('accepts plain data, Date, Map, Set, BigInt and Uint8Array', () => {
    const shared = { same: true }
    const value = {
      text: 'x',
      n: 1.5,
      nan: Number.NaN,
      big: 12n,
      none: null,
      missing: undefined,
      list: [1, [2, [3]]],
      when: new Date(0),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, new Set([3])],
      ]),
      bytes: new Uint8Array([1, 2]),
      buffer: Buffer.from('hi'),
      bare: Object.create(null),
      twice: [shared, shared],
    }
    assert.equal(unsendableReason(value), undefined)
  })

  it('names the path of a function', () => {
    assert.equal(reason({ a: { b: [0, 1, () => 1] } }), 'value.a.b[2] is a function')
    assert.equal(reason([{ 'odd key': Math.max }], 'args'), 'args[0]["odd key"] is a function')
  })

  it('names class instances by their class', () => {
    class Point {
      x = 1
    }
    assert.equal(reason({ p: new Point() }), 'value.p is an instance of Point')
    assert.equal(reason({ r: /x/ }), 'value.r is an instance of RegExp')
    assert.equal(reason([new Error('no')]), 'value[0] is an instance of Error')
    assert.equal(reason(new Float64Array(2)), 'value is an instance of Float64Array')
    assert.equal(reason({ s: Symbol('s') }), 'value.s is a symbol')
  })

  it('names cycles and where they point back to', () => {
    const a: Record<string, unknown> = { b: { c: [] as unknown[] } }
    ;((a.b as Record<string, unknown>).c as unknown[]).push(a)
    assert.equal(reason(a), 'value.b.c[0] refers back to value (a cycle)')
  })

  it('looks inside Map keys, Map values and Set members', () => {
    assert.equal(reason(new Map([['k', () => 1]])), 'value.get("k") is a function')
    assert.equal(reason(new Map([[{ f: () => 1 }, 1]])), 'value.keys()[0].f is a function')
    assert.equal(reason({ s: new Set([1, () => 1]) }), 'value.s.values()[1] is a function')
  })

  it('says what only data means', () => {
    assert.match(unsendableReason(() => 1) ?? '', /only data crosses a pod boundary/)
  })
})

describe('pod values as JSON', () => {
  it('turns what JSON lacks into its closest JSON form', () => {
    assert.deepEqual(
      toJsonValue({
        when: new Date(0),
        big: 2n ** 70n,
        set: new Set([1, 2]),
        map: new Map([['a', 1]]),
        pairs: new Map([[1, 'one']]),
        bytes: new Uint8Array([104, 105]),
        gone: undefined,
        list: [undefined, 1],
      }),
      {
        when: '1970-01-01T00:00:00.000Z',
        big: '1180591620717411303424',
        set: [1, 2],
        map: { a: 1 },
        pairs: [[1, 'one']],
        bytes: 'aGk=',
        list: [null, 1],
      },
    )
    assert.equal(toJsonValue(undefined), null)
  })
})
