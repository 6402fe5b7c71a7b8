import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { printfBytes, shq, toBytes } from '../../../src/core/actions/quote.js'
import { compilePhaseScript } from '../../../src/core/actions/script.js'
import type { Action } from '../../../src/core/actions/types.js'
import { localFacts, runPhase, runScript, SHELLS, shellFor, statuses, tempDir } from './support.js'

// Every value reaches the shell through shq (words) or printfBytes (content). Generated values full
// of shell syntax must arrive byte for byte, and nothing in them may run.

/** Pieces of shell syntax that would run something or break quoting if spliced in unquoted. */
function hostile(canary: string): fc.Arbitrary<string> {
  const pieces = fc.constantFrom(
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `'; touch ${canary}; '`,
    `"; touch ${canary}; "`,
    `\n touch ${canary}\n`,
    `$'\\x41'`,
    `\${HOME}`,
    '$N $T $D $1 $@ $*',
    "'",
    '"',
    '\\',
    '\\\\n',
    '%s%b%d%%',
    '-',
    '--',
    '-n ',
    '-e',
    '*',
    '?',
    '[a]',
    '~',
    '!',
    '#',
    '&',
    '|',
    ';',
    '<>',
    '\t',
    '\r',
    ' ',
    'é',
    '日本',
    '😀',
    '\u200b',
    '\u0007',
    '@@FL:x end 0 ok 0 -',
  )
  return fc
    .array(fc.oneof(pieces, fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 8 })
    .map((parts) => parts.join(''))
}

/** The same material as one shell word can carry it: no NUL, which no argument or variable can hold. */
function word(canary: string): fc.Arbitrary<string> {
  return hostile(canary).map((s) => s.replaceAll('\0', '_'))
}

/** A file name made of the same material: no `/` or NUL, not `.`/`..`, short enough for any file system. */
function fileName(canary: string): fc.Arbitrary<string> {
  return word(canary)
    .map((s) => `f${s.replaceAll('/', '_')}`)
    .filter((s) => Buffer.byteLength(s) <= 200)
}

for (const shellName of SHELLS) {
  describe(`quoting (${shellName})`, () => {
    it('file content (strings and raw bytes) arrives byte for byte and never runs', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const canary = join(dir, 'canary')
      const content = fc.oneof(
        hostile(canary),
        fc.uint8Array({ maxLength: 64 }),
        fc.string({ unit: 'binary' }),
      )
      let round = 0
      await fc.assert(
        fc.asyncProperty(fc.array(content, { minLength: 1, maxLength: 12 }), async (values) => {
          const folder = join(dir, `round${++round}`)
          await mkdir(folder)
          const actions: Action[] = values.map((value, i) => ({
            type: 'file',
            path: join(folder, `c${i}`),
            content: value,
          }))
          const run = await runPhase(actions, { shell })
          assert.deepEqual(
            statuses(run),
            values.map(() => 'changed'),
            run.stderr,
          )
          for (const [i, value] of values.entries()) {
            assert.deepEqual(new Uint8Array(await readFile(join(folder, `c${i}`))), toBytes(value))
          }
          assert.equal(existsSync(canary), false, 'a value was executed')
          // The same content again is recognised as the same.
          assert.deepEqual(
            statuses(await runPhase(actions, { shell })),
            values.map(() => 'ok'),
          )
        }),
        { numRuns: 25 },
      )
    })

    it('paths, env values and working folders made of shell syntax are taken literally', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const canary = join(dir, 'canary')
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fileName(canary), { minLength: 1, maxLength: 6 }),
          word(canary),
          async (names, value) => {
            const folder = join(dir, 'case')
            await rm(folder, { recursive: true, force: true })
            const actions: Action[] = [
              { type: 'directory', path: folder },
              ...names.map((name): Action => ({ type: 'file', path: join(folder, name), content: name })),
              { type: 'directory', path: join(folder, `d${names[0]!}`) },
              {
                type: 'exec',
                cwd: join(folder, `d${names[0]!}`),
                env: { VALUE: value },
                script: `printf '%s' "$VALUE" > out`,
              },
              { type: 'symlink', path: join(folder, `l${names[0]!}`), target: names[0]! },
            ]
            const run = await runPhase(actions, { shell })
            assert.deepEqual(
              statuses(run),
              actions.map(() => 'changed'),
              `${run.stderr}\n${JSON.stringify(run.results.filter((r) => r.status !== 'changed'))}`,
            )
            const listed = (await readdir(folder)).sort()
            assert.deepEqual(listed, [...names, `d${names[0]!}`, `l${names[0]!}`].sort())
            for (const name of names) assert.equal(await readFile(join(folder, name), 'utf8'), name)
            assert.equal(await readFile(join(folder, `d${names[0]!}`, 'out'), 'utf8'), value)
            assert.equal(await readFile(join(folder, `l${names[0]!}`), 'utf8'), names[0]!)
            assert.equal(existsSync(canary), false, 'a value was executed')
          },
        ),
        { numRuns: 20 },
      )
    })
  })
}

describe('shq and printfBytes', () => {
  it('shq makes one word of anything without NUL', async () => {
    const value = `a b'c"d$(e)\`f\`\\g\nh -i`
    const run = await runScript(`printf '%s' ${shq(value)}`)
    assert.equal(run.stdout, value)
    assert.equal(shq(''), "''")
  })

  it('NUL is rejected with an error naming the value', () => {
    assert.throws(() => shq('a\0b', 'the path of action 2'), /the path of action 2 contains a NUL byte/)
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        assert.throws(() => shq(`${a}\0${b}`), /NUL/)
      }),
    )
  })

  it('a path with NUL in an action is refused when compiling, naming the action and field', () => {
    assert.throws(
      () =>
        compilePhaseScript(
          [
            { type: 'exec', script: 'true' },
            { type: 'file', path: '/tmp/a\0b' },
          ],
          {
            facts: localFacts(),
            dryRun: false,
            nonce: 'abcdef012345',
          },
        ),
      /action 1 \(file \/tmp\/a\0b\): path: contains a NUL byte, which no shell word can carry/,
    )
  })

  it('printfBytes keeps the script printable ASCII and writes NUL and high bytes too', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    const code = printfBytes(bytes)
    assert.match(code, /^[\x20-\x7e\n]*$/)
    const run = await runScript(`${code} | od -An -v -tx1`)
    const hex = run.stdout.match(/[0-9a-f]{2}/g)!.map((h) => Number.parseInt(h, 16))
    assert.deepEqual(hex, [...bytes])
  })

  it('long content is split into several printf commands', () => {
    const code = printfBytes(new Uint8Array(40_000).fill(0x61))
    assert.ok(code.split('\n').length >= 4)
    assert.ok(code.split('\n').every((l) => l.length < 9000))
  })
})
