// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are forklift.yaml ${env:NAME} references
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { createRedactor } from '../../../src/core/config/environment.js'
import { resolveSecrets, SecretValue } from '../../../src/core/config/secrets.js'

describe('resolveSecrets', () => {
  it('unwraps !secret values and fills in ${env:NAME}, recording both', () => {
    const data = {
      a: new SecretValue('s1s1'),
      b: ['x-${env:TOKEN}-y', { c: '${env:TOKEN}${env:OTHER}' }],
      d: '$${env:TOKEN} stays',
      e: 42,
    }
    const result = resolveSecrets(data, { TOKEN: 'tok1', OTHER: 'oth1' })
    assert.deepEqual(result.value, {
      a: 's1s1',
      b: ['x-tok1-y', { c: 'tok1oth1' }],
      d: '${env:TOKEN} stays',
      e: 42,
    })
    assert.deepEqual(result.secrets.sort(), ['oth1', 's1s1', 'tok1'])
    assert.deepEqual(result.problems, [])
  })

  it('refuses secrets shorter than 4 characters, naming the key: they cannot be redacted safely', () => {
    const data = {
      a: new SecretValue('e'),
      b: { c: 'x-${env:SHORT}' },
      d: new SecretValue(''),
      ok: new SecretValue('four'),
    }
    const result = resolveSecrets(data, { SHORT: 'ok' })
    assert.deepEqual(result.problems, [
      {
        path: ['a'],
        message: '!secret value is 1 character long; secrets must have at least 4 to be redacted safely',
      },
      {
        path: ['b', 'c'],
        message: '${env:SHORT} is 2 characters long; secrets must have at least 4 to be redacted safely',
      },
      {
        path: ['d'],
        message: '!secret value is 0 characters long; secrets must have at least 4 to be redacted safely',
      },
    ])
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
  const redact = createRedactor(['hunter2', 'hunter2-long', 'tok1'])

  it('replaces secrets in nested structures and inside longer strings, without touching the input', () => {
    const event = {
      type: 'node:action',
      result: {
        output: ['connecting with hunter2', { stderr: 'auth tok1 failed: hunter2-long' }],
        diff: new Map([['k', 'xtok1x']]),
        tags: new Set(['tok1']),
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
    const error = new TransportError('login hunter2 refused', 'key tok1')
    const copy = redact({ error }).error
    assert.ok(copy instanceof TransportError)
    assert.equal(copy.message, 'login *** refused')
    assert.equal(copy.detail, 'key ***')
    assert.doesNotMatch(copy.stack ?? '', /hunter2/)
    assert.equal(error.message, 'login hunter2 refused')
  })

  it('copes with shared and cyclic references', () => {
    const shared = { s: 'tok1' }
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
    assert.equal(r(`x${key}y`), 'x***\n***\n***\n***\n***\ny')
    // Every run of 6 characters of the secret is masked, so each of its lines is too.
    assert.equal(
      r('@@ -0,0 +1,3 @@\n+-----BEGIN KEY-----\n+MIIEvQIBADANBg\n+  kqhkiG9w0BAQ\n+ab\n'),
      '@@ -0,0 +1,3 @@\n+***\n+***\n+***\n+ab\n',
    )
  })

  it('treats secrets as text, not patterns', () => {
    const r = createRedactor(['a.b*(c)', '$1$1'])
    assert.equal(r('xa.b*(c)y axbbc $1$1 $$1$1'), 'x***y axbbc *** $***')
  })

  it('no secret (without `*`) survives in any string of any JSON value', () => {
    const secret = fc.string({ minLength: 4, maxLength: 12 }).filter((s) => !s.includes('*'))
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

describe('the redactor of every output', () => {
  const secret = `Sup3r"S3cret\\Passw0rd'é`

  it('masks the escaped forms: JSON, shell-quoted, backslash-escaped, URL-encoded', () => {
    const r = createRedactor([secret])
    const shown = [
      JSON.stringify({ v: secret }),
      JSON.stringify(JSON.stringify(secret)),
      `sh -c '${secret.replaceAll("'", `'\\''`)}'`,
      secret.replace(/["\\$`]/g, '\\$&'),
      `https://u:${encodeURIComponent(secret)}@h/`,
      `https://h/?q=${encodeURIComponent(secret).toLowerCase()}`,
    ]
    for (const text of shown) {
      const out = r.text(text)
      for (let i = 0; i + 6 <= 12; i++) assert.ok(!out.includes(secret.slice(i, i + 6)), `${text} → ${out}`)
      assert.ok(out.includes('***'), out)
    }
  })

  it('masks any 6-character run of a secret: a value cut before it got here shows nothing of it', () => {
    const r = createRedactor(['ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'])
    assert.equal(
      r.text("exec curl -H 'Authorization: Bearer ghp_AbCdEfG…"),
      "exec curl -H 'Authorization: Bearer ***…",
    )
    assert.equal(r.text('got "socks5://x:456789"'), 'got "socks5://x:***"')
    // Five characters are not a leak of anything.
    assert.equal(r.text('ghp_A'), 'ghp_A')
  })

  it('finds a secret whose lines were re-indented (a stack, an indented block)', () => {
    const r = createRedactor(['line-one\nab\nline-three'])
    assert.equal(
      r.text('Error: x line-one\n    ab\n    line-three\n    at f'),
      'Error: x ***\n***\n***\n    at f',
    )
  })

  it('leaves labels alone and hides a diff that holds a secret', () => {
    const r = createRedactor(['changed-token'], { labels: ['status', 'nodes'], opaque: { diff: 'hidden' } })
    const out = r({
      status: 'changed-token',
      nodes: ['changed-token'],
      message: 'x changed-token',
      diff: '-old\n+changed-token\n',
      other: { diff: '-a\n+b\n' },
    })
    assert.deepEqual(out, {
      status: 'changed-token',
      nodes: ['changed-token'],
      message: 'x ***',
      diff: 'hidden',
      other: { diff: '-a\n+b\n' },
    })
  })

  it('ignores secrets under 4 characters (a config error before any output)', () => {
    assert.equal(createRedactor(['e', 'ok']).text('lift: web ok, end'), 'lift: web ok, end')
  })
})
