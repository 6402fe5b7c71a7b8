import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { parseRegex, RegexError } from '../../../src/core/actions/regex.js'
import { checkAction } from '../../../src/core/actions/validate.js'
import { runProcess } from '../../support/process.js'
import { requireTools } from '../../support/require.js'

describe('match: a portable extended regex', () => {
  it('refuses what awks read differently, naming the character', () => {
    for (const [source, problem] of [
      ['(', /unbalanced "\(" at character 2/],
      ['a)', /unbalanced "\)" at character 2/],
      ['[a', /unbalanced "\[" at character 1/],
      ['*a', /"\*" has nothing to repeat at character 1/],
      ['a**', /repeats a repetition/],
      ['a|', /empty alternative/],
      ['()', /empty alternative/],
      ['\\d', /"\\d" means different things/],
      ['[\\]]', /backslash inside \[ \]/],
      ['[[=a=]]', /equivalence classes/],
      ['[[:word:]]', /unknown character class/],
      ['[z-a]', /runs backwards/],
      ['a{3,2}', /counts down/],
      ['a{0}', /zero times/],
      ['a{999}', /up to 255/],
      ['a{', /starts no repetition/],
      ['^*', /repeats an anchor/],
      ['(a|^ )+x', /repeats a group holding \^ or \$/],
      ['a\tb', /control character/],
      ['(a{255}){255}', /too long once written out/],
    ] as const) {
      assert.throws(
        () => parseRegex(source),
        (e: Error) => e instanceof RegexError && problem.test(e.message),
        source,
      )
    }
  })

  it('writes repetitions out for awks that lack them', () => {
    assert.equal(parseRegex('^a{2}b').awk, '^aab')
    assert.equal(parseRegex('x(ab|c){1,3}$').awk, 'x(ab|c)(ab|c)?(ab|c)?$')
    assert.equal(parseRegex('é+').awk, '(é)+')
    assert.equal(parseRegex('[]a^-]').awk, '[]a^-]')
    assert.equal(parseRegex('[:a[]').awk, '[:a[]')
  })

  it('is a schema error in an action, under `match`', () => {
    assert.throws(
      () => checkAction({ type: 'line', path: '/etc/f', line: 'x', match: '(' }, 0),
      /match.*not a portable extended regex: unbalanced "\(" at character 2/,
    )
    assert.throws(
      () => checkAction({ type: 'line', path: '/etc/f', line: 'Port 22', match: '^#Port' }, 0),
      /`line` must match `match`/,
    )
    checkAction({ type: 'line', path: '/etc/f', line: 'whatever', match: '^#Port', state: 'absent' }, 0)
  })

  // A generated regex and generated lines: mawk and busybox awk select exactly the lines the
  // RegExp over bytes selects.
  const atom = fc.oneof(
    fc.constantFrom('a', 'b', '1', '0', '.', '\\.', '\\[', '\\\\', '\\*', '\\{', '}', ']', '/', 'é', ' '),
    fc.constantFrom(
      '[ab]',
      '[^a]',
      '[]a]',
      '[a-c]',
      '[-a]',
      '[^^]',
      '[[:digit:]]',
      '[[:space:]x]',
      '[^[:alpha:]]',
      '[[]',
      '[!-/]',
    ),
  )
  const quant = fc.constantFrom('', '', '*', '+', '?', '{2}', '{1,2}', '{0,1}', '{2,}')
  const piece = fc.tuple(atom, quant).map(([a, q]) => a + q)
  const branch = fc
    .tuple(
      fc.constantFrom('', '^'),
      fc.array(piece, { minLength: 1, maxLength: 4 }),
      fc.constantFrom('', '$'),
    )
    .map(([a, p, z]) => a + p.join('') + z)
  const regex = fc.oneof(
    branch,
    fc.tuple(branch, branch).map(([a, b]) => `${a}|${b}`),
    fc.tuple(branch, branch, quant).map(([a, b, q]) => `(${a}|${b})${q}x`),
  )
  const lines = fc.array(
    fc.string({
      unit: fc.constantFrom(
        'a',
        'b',
        '1',
        '0',
        '.',
        '[',
        ']',
        '\\',
        '*',
        '{',
        '}',
        '/',
        ' ',
        '\t',
        '^',
        '-',
        '\xc3',
        '\xa9',
        '\xff',
        'x',
      ),
      maxLength: 8,
    }),
    { minLength: 20, maxLength: 40 },
  )

  for (const awk of [['mawk'], ['busybox', 'awk']]) {
    it(`${awk.join(' ')} selects the lines the byte RegExp selects`, async (t) => {
      if (!requireTools(t, awk[0]!)) return
      await fc.assert(
        fc.asyncProperty(regex, lines, async (source, sample) => {
          let parsed: ReturnType<typeof parseRegex>
          try {
            parsed = parseRegex(source)
          } catch (error) {
            // Refused as not portable: nothing reaches awk.
            if (error instanceof RegexError) return
            throw error
          }
          const input = Buffer.from(`${sample.join('\n')}\n`, 'latin1')
          const run = await runProcess(awk[0]!, [...awk.slice(1), '{ print ($0 ~ ENVIRON["R"]) ? 1 : 0 }'], {
            input,
            env: { ...process.env, R: parsed.awk, LC_ALL: 'C' },
          })
          assert.equal(run.code, 0, run.stderr)
          const expected = sample.map((l) => (parsed.bytes.test(l) ? '1' : '0')).join('')
          assert.equal(run.stdout.replaceAll('\n', ''), expected, `${source} → ${parsed.awk}`)
        }),
        { numRuns: 150 },
      )
    })
  }
})
