import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { Action } from '../../../src/core/actions/types.js'
import { applyLine, bytesOf, type FileState, type LineSpec } from '../../support/file-model.js'
import { runPhase, SHELLS, shellFor, tempDir } from './support.js'

// `line` and `file` on generated files, under dash and busybox, against the model in
// test/support/file-model.ts: the statuses, the bytes left behind, and a second run that is all
// `ok` and changes no byte.

/** Lines awk would once have compared as numbers, and other lines that are easy to get wrong. */
const TRICKY = ['1', '1.0', '01', ' 1', '1 ', '+1', '-0', '0', '0x0', '0x1A', '1e0', '.5', 'inf', 'nan', '']
const PRINTABLE = fc.string({ unit: fc.constantFrom(...'ab1.0 =#-x[]^$*+?(){}|\\/'), maxLength: 8 })

/** A line a crate could ask for (a JavaScript string without line breaks or NUL). */
const wantedLine = fc.oneof(
  fc.constantFrom(...TRICKY),
  PRINTABLE,
  fc.constantFrom('é', 'ünïcødé', '😀', '%s%n', '$(id)', '`id`', "'"),
  fc.integer({ min: 2000, max: 9000 }).map((n) => 'L'.repeat(n)),
)

/** A line as bytes in the file: anything a wanted line can be, plus CR, invalid UTF-8 and tabs. */
const fileLine = fc.oneof(
  wantedLine.map(bytesOf),
  wantedLine.map((l) => `${bytesOf(l)}\r`),
  fc.constantFrom('\xff', '\xc3', 'a\x80b', '\t1', '1\t', '\x1b[2K'),
)

const initial: fc.Arbitrary<FileState> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.array(fileLine, { maxLength: 8 }), fc.boolean())
      .map(([lines, trailing]) => lines.join('\n') + (trailing && lines.length ? '\n' : '')),
  },
)

/** A regex for `match` that selects the line: an escaped prefix or suffix, sometimes with a class. */
const escapeRegex = (text: string) => text.replace(/[.[\\()*+?{|^$)}\]]/g, '\\$&')
function matchFor(line: string, how: number): string {
  const chars = [...line]
  const half = Math.floor(chars.length / 2)
  switch (how) {
    case 0:
      return `^${escapeRegex(chars.slice(0, half).join(''))}`
    case 1:
      return `${escapeRegex(chars.slice(half).join(''))}$`
    case 2:
      return `^${escapeRegex(line)}$`
    default:
      if (line === '') return '^$|^[0-9]+$'
      return /^[0-9]/.test(line) ? '^[[:digit:]]{1,3}' : `^(${escapeRegex(line)}|[0-9]+)$`
  }
}

type Step = { kind: 'line'; spec: LineSpec } | { kind: 'file'; content: string | undefined }

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        line: wantedLine,
        how: fc.integer({ min: -1, max: 3 }),
        absent: fc.boolean(),
        otherMatch: fc.constantFrom('^1', '^$', '[.]', '^[0-9]+$', '0x', 'a{2}', '^(1|0)\\.?0*$', '\\\\'),
      })
      .map(({ line, how, absent, otherMatch }): Step => {
        const match = how < 0 ? undefined : absent && how === 3 ? otherMatch : matchFor(line, how)
        return {
          kind: 'line',
          spec: { line, ...(match !== undefined ? { match } : {}), ...(absent ? { state: 'absent' } : {}) },
        }
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .option(
        fc.array(wantedLine, { maxLength: 4 }).map((lines) => lines.join('\n')),
        { nil: undefined },
      )
      .map((content): Step => ({ kind: 'file', content })),
  },
)

function actionOf(path: string, s: Step): Action {
  if (s.kind === 'file')
    return s.content === undefined
      ? { type: 'file', path, state: 'absent' }
      : { type: 'file', path, content: s.content }
  return { type: 'line', path, ...s.spec }
}

function model(before: FileState, steps: Step[]): { after: FileState; statuses: string[] } {
  let state = before
  const statuses: string[] = []
  for (const s of steps) {
    if (s.kind === 'line') {
      const { after, changed } = applyLine(state, s.spec)
      state = after
      statuses.push(changed ? 'changed' : 'ok')
    } else {
      const after = s.content === undefined ? undefined : bytesOf(s.content)
      statuses.push(after === state ? 'ok' : 'changed')
      state = after
    }
  }
  return { after: state, statuses }
}

async function contentOf(path: string): Promise<FileState> {
  try {
    return (await readFile(path)).toString('latin1')
  } catch {
    return undefined
  }
}

const show = (s: FileState) =>
  s === undefined ? 'no file' : JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s)

for (const shellName of SHELLS) {
  describe(`line and file against a model (${shellName})`, () => {
    it('leave the bytes the model predicts, report changed where it changes, and converge', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'f')
      await fc.assert(
        fc.asyncProperty(initial, fc.array(step, { minLength: 1, maxLength: 4 }), async (before, steps) => {
          await rm(path, { force: true })
          if (before !== undefined) await writeFile(path, Buffer.from(before, 'latin1'))
          const actions = steps.map((s) => actionOf(path, s))
          const expected = model(before, steps)
          const first = await runPhase(actions, { shell })
          assert.deepEqual(
            first.results.map((r) => r.status),
            expected.statuses,
            `statuses for ${show(before)}: ${first.stderr}`,
          )
          assert.equal(
            show(await contentOf(path)),
            show(expected.after),
            `the file after one run from ${show(before)}`,
          )
          assert.equal(await contentOf(path), expected.after)
          const again = await runPhase(actions, { shell })
          const settled = model(expected.after, steps)
          assert.deepEqual(
            again.results.map((r) => r.status),
            settled.statuses,
            'a second run agrees with the model too',
          )
          assert.equal(await contentOf(path), settled.after, 'the second run leaves the model’s bytes')
          if (steps.length === 1)
            assert.deepEqual(settled.statuses, ['ok'], 'one action converges in one run')
        }),
        { numRuns: Number(process.env.FORKLIFT_PROPERTY_RUNS ?? 60) },
      )
    })
  })
}

// Consecutive `line` actions on one file run as one awk pass and one rewrite. Each must still be
// what it would be alone: the same status, the same diff, and the file the model gives when the
// actions are applied one after the other. The reference run gives each action a phase of its own.

const lineStep = step.filter((s): s is Extract<Step, { kind: 'line' }> => s.kind === 'line')

/** Files long enough that a diff's hunk starts well inside them (its line numbers are shifted). */
const longInitial: fc.Arbitrary<FileState> = fc.oneof(
  initial,
  fc
    .tuple(fc.array(fileLine, { minLength: 12, maxLength: 40 }), fc.boolean())
    .map(([lines, trailing]) => lines.join('\n') + (trailing ? '\n' : '')),
)

for (const shellName of SHELLS) {
  describe(`a run of line actions on one file against the model (${shellName})`, () => {
    it('gives each action its own status and diff, as if it ran alone, and the model’s bytes', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'f')
      await fc.assert(
        fc.asyncProperty(
          longInitial,
          fc.array(lineStep, { minLength: 2, maxLength: 10 }),
          async (before, steps) => {
            const actions = steps.map((s) => actionOf(path, s))
            const expected = model(before, steps)
            const reset = async () => {
              await rm(path, { force: true })
              if (before !== undefined) await writeFile(path, Buffer.from(before, 'latin1'))
            }
            await reset()
            const alone = []
            for (const action of actions) alone.push((await runPhase([action], { shell })).results[0]!)
            assert.equal(
              await contentOf(path),
              expected.after,
              'one phase per action leaves the model’s bytes',
            )
            await reset()
            const run = await runPhase(actions, { shell })
            assert.match(run.script, /_lb 0 /, 'the actions ran as one run')
            assert.deepEqual(
              run.results.map((r) => r.status),
              expected.statuses,
              `statuses for ${show(before)}: ${run.stderr}`,
            )
            assert.equal(
              show(await contentOf(path)),
              show(expected.after),
              `the file after the run from ${show(before)}`,
            )
            assert.equal(await contentOf(path), expected.after)
            for (const [i, result] of run.results.entries()) {
              assert.equal(result.message, alone[i]!.message, `action ${i}'s message`)
              assert.equal(result.diff, alone[i]!.diff, `action ${i}'s diff from ${show(before)}`)
            }
          },
        ),
        { numRuns: Number(process.env.FORKLIFT_PROPERTY_RUNS ?? 60) },
      )
    })
  })
}
