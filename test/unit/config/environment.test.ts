// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are forklift.yaml ${env:NAME} references
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  envGetter,
  mergeEnvironments,
  parseSetArgument,
  setsToEnvironment,
} from '../../../src/core/config/environment.js'
import { ConfigError } from '../../../src/core/config/errors.js'

describe('mergeEnvironments', () => {
  it('merges maps deep, replaces lists and scalars, later wins, inputs untouched', () => {
    const top = { a: { b: 1, c: [1, 2] }, keep: true }
    const group = { a: { c: [3], d: { e: 'x' } }, keep: null }
    const merged = mergeEnvironments(top, undefined, group)
    assert.deepEqual(merged, { a: { b: 1, c: [3], d: { e: 'x' } }, keep: null })
    assert.deepEqual(top, { a: { b: 1, c: [1, 2] }, keep: true })
    ;(merged.a as { d: { e: string } }).d.e = 'changed'
    assert.equal(group.a.d.e, 'x', 'the result shares nothing with its inputs')
  })

  it('a scalar replaced by a map, and a map by a scalar', () => {
    assert.deepEqual(mergeEnvironments({ a: 1 }, { a: { b: 2 } }), { a: { b: 2 } })
    assert.deepEqual(mergeEnvironments({ a: { b: 2 } }, { a: 'flat' }), { a: 'flat' })
  })
})

describe('--set', () => {
  it('reads the value as a YAML scalar', () => {
    assert.deepEqual(parseSetArgument('port=8080'), { path: ['port'], value: 8080, secrets: [] })
    assert.deepEqual(parseSetArgument("name='x'").value, 'x')
    assert.deepEqual(parseSetArgument("version='12'").value, '12')
    assert.deepEqual(parseSetArgument('on=false').value, false)
    assert.deepEqual(parseSetArgument('ratio=0.5').value, 0.5)
    assert.deepEqual(parseSetArgument('a.b-c.d_e=x=y').path, ['a', 'b-c', 'd_e'])
    assert.deepEqual(parseSetArgument('a.b-c.d_e=x=y').value, 'x=y')
    assert.deepEqual(parseSetArgument('hosts=[a, b]').value, ['a', 'b'])
    assert.deepEqual(parseSetArgument('note=# not a comment').value, '# not a comment')
  })

  it('a malformed argument is a ConfigError naming it', () => {
    for (const bad of ['port', '=8080', '.a=1', 'a..b=1', 'a.=1', 'a b=1', 'a[0]=1']) {
      assert.throws(
        () => parseSetArgument(bad),
        (error: ConfigError) => {
          assert.ok(error instanceof ConfigError)
          assert.equal(
            error.message,
            `--set ${bad}: expected KEY=VALUE with KEY a dotted path of letters, digits, _ and - (e.g. --set mirror.apache=http://10.0.0.2)`,
          )
          return true
        },
      )
    }
    assert.throws(() => parseSetArgument('x="open'), {
      message:
        '--set x="open: the value is not valid YAML: Missing closing "quote (quote it to pass it as a string)',
    })
    assert.throws(() => parseSetArgument('t=${env:FORKLIFT_TEST_UNSET}', {}), {
      message:
        '--set t=${env:FORKLIFT_TEST_UNSET}: environment variable FORKLIFT_TEST_UNSET is not set (referenced as ${env:FORKLIFT_TEST_UNSET})',
    })
  })

  it('several --set build one layer, later wins, a scalar gives way to a deeper key', () => {
    const layer = setsToEnvironment(
      ['a.b=1', 'a.c=2', 'a.b=3', 'x=1', 'x.y=2'].map((s) => parseSetArgument(s)),
    )
    assert.deepEqual(layer, { a: { b: 3, c: 2 }, x: { y: 2 } })
  })
})

describe('envGetter', () => {
  const data = { mirror: { apache: 'http://m', off: false, none: null }, port: 0 }
  const get = envGetter(data, 'nginx')

  it('reads dotted paths, falsy values included', () => {
    assert.equal(get('mirror.apache'), 'http://m')
    assert.equal(get('mirror.off'), false)
    assert.equal(get('mirror.none'), null)
    assert.equal(get('port'), 0)
    assert.deepEqual(get('mirror'), data.mirror)
  })

  it('falls back to the default, even an undefined one, only when missing', () => {
    assert.equal(get('mirror.debian', 'http://d'), 'http://d')
    assert.equal(get('port', 80), 0)
    assert.equal(get('nothing', undefined), undefined)
  })

  it('a missing key without a default names the crate and the key', () => {
    assert.throws(() => get('mirror.debian'), {
      message: 'crate "nginx": environment key "mirror.debian" is missing (and no default was given)',
    })
    assert.throws(() => get('mirror.apache.deeper'), {
      message: 'crate "nginx": environment key "mirror.apache.deeper" is missing (and no default was given)',
    })
    assert.throws(() => get('toString'), /environment key "toString" is missing/)
  })
})
