import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { rubyString, rubyValue } from '../../../src/plugins/vagrant/ruby.js'
import { requireTools } from '../../support/require.js'

/** Evaluate Ruby literals with the real interpreter; returns each value's UTF-8 bytes as hex. */
function evaluate(literals: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'forklift-ruby-'))
  try {
    const file = join(dir, 'check.rb')
    const lines = literals.map(
      (l) => `v = ${l}; raise "bad encoding" unless v.valid_encoding?; puts v.b.unpack1("H*")`,
    )
    writeFileSync(file, `${lines.join('\n')}\n`)
    const result = spawnSync('ruby', [file], { encoding: 'utf8' })
    assert.equal(result.status, 0, result.stderr)
    return result.stdout.split('\n').slice(0, literals.length)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const hex = (value: string) => Buffer.from(value, 'utf8').toString('hex')

test('rubyString: the real Ruby reads back exactly the string, for any string', (t) => {
  if (!requireTools(t, 'ruby')) return
  const tricky = fc.string({
    unit: fc.constantFrom('"', '\\', '#', '{', '}', '$', '@', "'", '\n', '\r', '\0', 'a', '%'),
  })
  const samples = fc.sample(
    fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii' }), tricky),
    { numRuns: 600, seed: 42 },
  )
  const values = ['', '#{`id`}', '"; system("id"); "', '\\', '#@x #$y', 'end\nend', '💥 ünï', ...samples]
  const literals = values.map(rubyString)
  for (const literal of literals) assert.match(literal, /^"[\x20-\x7e]*"$/)
  assert.deepEqual(evaluate(literals), values.map(hex))
})

test('rubyString: refuses a string that is not valid Unicode', () => {
  assert.throws(() => rubyString('a\uD800b'), /lone surrogate/)
})

test('rubyValue: arrays, hashes, numbers and booleans in Ruby syntax', (t) => {
  assert.equal(rubyValue(['--network=slirp4netns', 'x"y']), '["--network=slirp4netns", "x\\"y"]')
  assert.equal(rubyValue({ KEY: 'a#{b}' }), '{"KEY" => "a\\#{b}"}')
  assert.equal(rubyValue(1024), '1024')
  assert.equal(rubyValue(false), 'false')
  assert.throws(() => rubyValue(Number.NaN), /not a finite number/)
  if (!requireTools(t, 'ruby')) return
  const [hash] = evaluate([`${rubyValue({ 'K"#': ['x', 'y'] })}.to_a.flatten.join("|")`])
  assert.equal(hash, hex('K"#|x|y'))
})
