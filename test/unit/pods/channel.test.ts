import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { serialize } from 'node:v8'
import fc from 'fast-check'
import { encodeFrame, FrameReader } from '../../../src/core/pods/channel.js'
import { checkMessage, replyProblem } from '../../../src/core/pods/messages.js'
import { withoutPrototypes } from '../../../src/core/pods/values.js'

/** Feed bytes to a reader in the given cuts; what it produced and what it refused. */
function read(bytes: Buffer, cuts: number[], maxBytes = 1 << 20) {
  const values: unknown[] = []
  const errors: string[] = []
  const reader = new FrameReader(
    maxBytes,
    (value) => values.push(value),
    (problem) => errors.push(problem),
  )
  let at = 0
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b)) {
    reader.push(bytes.subarray(at, cut))
    at = cut
  }
  reader.push(bytes.subarray(at))
  return { values, errors }
}

describe('the pod channel', () => {
  it('gives back every value of a stream of frames, however the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { maxLength: 6 }),
        fc.array(fc.nat({ max: 4000 }), { maxLength: 12 }),
        (values, cuts) => {
          const bytes = Buffer.concat(values.map(encodeFrame))
          const out = read(bytes, cuts)
          assert.deepEqual(out.errors, [])
          assert.deepEqual(out.values, values)
        },
      ),
    )
  })

  it('refuses a frame over the limit from its header alone, before buffering its body', () => {
    const head = Buffer.alloc(4)
    head.writeUInt32BE(400 * 1024 * 1024)
    const out = read(head, [], 64 * 1024 * 1024)
    assert.deepEqual(out.values, [])
    assert.match(out.errors[0]!, /419430400 bytes, over the limit of 67108864/)
  })

  it('refuses bytes that are no value, once, and reads nothing after them', () => {
    const garbage = Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5])
    const out = read(Buffer.concat([garbage, encodeFrame('after')]), [])
    assert.equal(out.errors.length, 1)
    assert.match(out.errors[0]!, /no value/)
    assert.deepEqual(out.values, [])
  })
})

describe('messages from a pod', () => {
  const hostile: [string, unknown, RegExp][] = [
    ['null', null, /not an object/],
    ['a number', 7, /not an object/],
    ['an unknown type', { type: 'boom' }, /no known type/],
    ['a reply without id', { type: 'reply', ok: true, value: 1 }, /without a call id/],
    ['a reply with a string id', { type: 'reply', id: '1', ok: true, value: 1 }, /without a call id/],
    ['ok neither true nor false', { type: 'reply', id: 1, ok: 'yes', value: 1 }, /neither/],
    ['an error reply without error', { type: 'reply', id: 1, ok: false }, /error that is not an object/],
    [
      'an error whose message is an object',
      { type: 'reply', id: 1, ok: false, error: { name: 'E', message: { toString: 1 } } },
      /without a name and message/,
    ],
    [
      'an error whose stack is a number',
      { type: 'reply', id: 1, ok: false, error: { name: 'E', message: 'm', stack: 3 } },
      /stack or code/,
    ],
    ['an invalid Date', { type: 'reply', id: 1, ok: true, value: new Date(Number.NaN) }, /invalid Date/],
    ['a RegExp', { type: 'reply', id: 1, ok: true, value: /x/ }, /instance of RegExp/],
    [
      'an Error object as value',
      { type: 'reply', id: 1, ok: true, value: new Error('x') },
      /instance of Error/,
    ],
    ['a class instance as message', new (class Message {})(), /not an object/],
  ]
  for (const [what, message, expected] of hostile) {
    it(`refuses ${what}`, () => {
      const checked = checkMessage(message)
      assert.equal(typeof checked, 'string')
      assert.match(checked as string, expected)
    })
  }

  it('refuses a value nested deeper than the limit, without running out of stack', () => {
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    assert.match(checkMessage({ type: 'reply', id: 1, ok: true, value: deep }) as string, /deeper than/)
  })

  it('reads only its own keys: a prototype gives a message nothing', () => {
    const forged = Object.create({ type: 'reply', id: 1, ok: true, value: 1 }) as object
    assert.match(checkMessage(forged) as string, /not an object/)
    const inherited = Object.assign(Object.create(null), { type: 'reply', id: 1 }) as object
    assert.match(checkMessage(inherited) as string, /neither a value nor an error/)
    // A structured clone makes `__proto__` an own key; it must stay one.
    const cloned = (globalThis as { structuredClone: (v: unknown) => unknown }).structuredClone(
      JSON.parse('{"type":"reply","id":1,"ok":true,"value":{"__proto__":{"polluted":true}}}'),
    )
    const checked = checkMessage(cloned)
    assert.notEqual(typeof checked, 'string')
    assert.equal(({} as { polluted?: boolean }).polluted, undefined)
  })

  it('checks the shape of what fixed-shape requests get back', () => {
    const run = { op: 'crate-run', crate: 'c', entry: '/e', data: {} } as never
    assert.match(replyProblem(run, { actions: 'x', published: {} })!, /not \{ actions/)
    assert.match(replyProblem(run, { actions: [] })!, /not \{ actions/)
    assert.match(replyProblem(run, { actions: [], published: {}, defaults: 'x' })!, /not \{ actions/)
    assert.equal(replyProblem(run, { actions: [], published: {} }), undefined)
    const phases = { op: 'crate-phases', crate: 'c', entry: '/e' } as never
    assert.match(replyProblem(phases, ['configure', 3])!, /list of strings/)
    assert.match(replyProblem({ op: 'require', module: 'x' }, 5)!, /none was due/)
  })

  it('accepts what a well-behaved pod sends', () => {
    assert.deepEqual(checkMessage({ type: 'ready' }), { type: 'ready' })
    const error = { name: 'TypeError', message: 'm', stack: 's', code: 'E_X' }
    assert.deepEqual(checkMessage({ type: 'reply', id: 3, ok: false, error }), {
      type: 'reply',
      id: 3,
      ok: false,
      error,
    })
    assert.equal(serialize(1).length > 0, true)
  })
})

describe('published data on the host', () => {
  it('lands in objects without a prototype, so `__proto__` stays a key', () => {
    const published = JSON.parse('{"web":{"__proto__":{"isAdmin":true},"port":80}}') as Record<
      string,
      unknown
    >
    const copy = withoutPrototypes(published) as Record<string, Record<string, unknown>>
    assert.equal(Object.getPrototypeOf(copy), null)
    assert.equal(Object.getPrototypeOf(copy.web), null)
    assert.equal(copy.web!.isAdmin, undefined)
    assert.equal((copy.web!.__proto__ as { isAdmin: boolean }).isAdmin, true)
    assert.deepEqual(Object.keys(copy.web!), ['__proto__', 'port'])
    // Merged key by key into another such object, `__proto__` is a key there too.
    const facilities = Object.create(null) as Record<string, unknown>
    for (const key of Object.keys(copy.web!)) facilities[key] = copy.web![key]
    assert.equal(Object.getPrototypeOf(facilities), null)
    assert.equal(facilities.isAdmin, undefined)
  })
})
