// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are forklift.yaml ${env:NAME} references
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { createRedactor } from '../../../src/core/config/environment.js'
import { resolveSecrets, SecretValue } from '../../../src/core/config/secrets.js'

describe('resolveSecrets', () => {
  it('unwraps !secret values and fills in ${env:NAME}, recording both', () => {
    const data = {
      a: new SecretValue('s1'),
      b: ['x-${env:TOKEN}-y', { c: '${env:TOKEN}${env:OTHER}' }],
      d: '$${env:TOKEN} stays',
      e: 42,
      f: new SecretValue(''),
    }
    const result = resolveSecrets(data, { TOKEN: 'tok', OTHER: 'oth' })
    assert.deepEqual(result.value, {
      a: 's1',
      b: ['x-tok-y', { c: 'tokoth' }],
      d: '${env:TOKEN} stays',
      e: 42,
      f: '',
    })
    assert.deepEqual(result.secrets.sort(), ['oth', 's1', 'tok'])
    assert.deepEqual(result.problems, [])
  })

  it('reports each missing or malformed reference with its key path', () => {
    const result = resolveSecrets({ a: { b: ['${env:MISSING}'] }, c: '${env:1BAD}' }, {})
    assert.deepEqual(result.problems, [
      {
        path: ['a', 'b', 0],
        message: 'environment variable MISSING is not set (referenced as ${env:MISSING})',
      },
      { path: ['c'], message: '${env:1BAD} is not a valid environment variable reference' },
    ])
  })
})

describe('createRedactor', () => {
  const redact = createRedactor(['hunter2', 'hunter2-long', 'tok'])

  it('replaces secrets in nested structures and inside longer strings, without touching the input', () => {
    const event = {
      type: 'node:action',
      result: {
        output: ['connecting with hunter2', { stderr: 'auth tok failed: hunter2-long' }],
        diff: new Map([['k', 'xtokx']]),
        tags: new Set(['tok']),
      },
      n: 3,
      flag: true,
      nothing: null,
    }
    const copy = redact(event)
    assert.deepEqual(copy, {
      type: 'node:action',
      result: {
        output: ['connecting with ***', { stderr: 'auth *** failed: ***' }],
        diff: new Map([['k', 'x***x']]),
        tags: new Set(['***']),
      },
      n: 3,
      flag: true,
      nothing: null,
    })
    assert.equal(event.result.output[0], 'connecting with hunter2', 'the input is not changed')
  })

  it('redacts Errors (message, stack, own fields) and keeps their class', () => {
    class TransportError extends Error {
      override name = 'TransportError'
      constructor(
        message: string,
        readonly detail: string,
      ) {
        super(message)
      }
    }
    const error = new TransportError('login hunter2 refused', 'key tok')
    const copy = redact({ error }).error
    assert.ok(copy instanceof TransportError)
    assert.equal(copy.message, 'login *** refused')
    assert.equal(copy.detail, 'key ***')
    assert.doesNotMatch(copy.stack ?? '', /hunter2/)
    assert.equal(error.message, 'login hunter2 refused')
  })

  it('copes with shared and cyclic references', () => {
    const shared = { s: 'tok' }
    const cyclic: Record<string, unknown> = { a: shared, b: shared }
    cyclic.self = cyclic
    const copy = redact(cyclic) as { a: { s: string }; b: unknown; self: unknown }
    assert.equal(copy.a.s, '***')
    assert.equal(copy.a, copy.b)
    assert.equal(copy.self, copy)
  })

  it('with no secrets it is still a faithful copy', () => {
    const none = createRedactor([])
    const value = { a: ['b', 1, { c: 'd' }] }
    const copy = none(value)
    assert.deepEqual(copy, value)
    assert.notEqual(copy, value)
  })

  it('redacts each line of a multi-line secret, as a diff shows it', () => {
    const key = '-----BEGIN KEY-----\nMIIEvQIBADANBg\n  kqhkiG9w0BAQ\nab\n-----END KEY-----\n'
    const r = createRedactor([key])
    assert.equal(r(`x${key}y`), 'x***y')
    assert.equal(
      r('@@ -0,0 +1,3 @@\n+-----BEGIN KEY-----\n+MIIEvQIBADANBg\n+  kqhkiG9w0BAQ\n+ab\n'),
      '@@ -0,0 +1,3 @@\n+***\n+***\n+  ***\n+ab\n',
    )
  })

  it('treats secrets as text, not patterns', () => {
    const r = createRedactor(['a.b*(c)', '$1'])
    assert.equal(r('xa.b*(c)y axbbc $1 $$1'), 'x***y axbbc *** $***')
  })

  it('no secret (without `*`) survives in any string of any JSON value', () => {
    const secret = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('*'))
    fc.assert(
      fc.property(secret, fc.array(secret, { maxLength: 3 }), fc.jsonValue(), (first, others, value) => {
        const secrets = [first, ...others]
        // Plant the secrets inside the value's strings and as a new entry.
        const planted = JSON.parse(
          JSON.stringify({ value, extra: `pre${secrets.join('|')}post` }, (_key, v) =>
            typeof v === 'string' ? `${v}${first}${v}` : v,
          ),
        )
        const strings: string[] = []
        const collect = (v: unknown): void => {
          if (typeof v === 'string') strings.push(v)
          else if (v && typeof v === 'object') Object.values(v).forEach(collect)
        }
        collect(createRedactor(secrets)(planted))
        assert.ok(strings.length > 0)
        for (const s of secrets) {
          for (const text of strings)
            assert.ok(!text.includes(s), `${JSON.stringify(s)} leaked in ${JSON.stringify(text)}`)
        }
      }),
      { numRuns: 300 },
    )
  })
})
