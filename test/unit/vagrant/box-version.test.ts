import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import fc from 'fast-check'
import { compareVersions, versionSatisfies } from '../../../src/plugins/vagrant/boxes.js'
import { requireTools } from '../../support/require.js'

test('box versions compare as RubyGems compares them', () => {
  assert.equal(compareVersions('1.0', '1'), 0)
  assert.equal(compareVersions('12.20240101.1', '12.20231212.3'), 1)
  assert.equal(compareVersions('1.10', '1.9'), 1)
  assert.equal(compareVersions('1.0.a', '1.0'), -1)
  assert.equal(versionSatisfies('12.20240101.1', '>= 12.20240101, < 13'), true)
  assert.equal(versionSatisfies('13.0', '>= 12.20240101, < 13'), false)
  assert.equal(versionSatisfies('1.2.9', '~> 1.2.3'), true)
  assert.equal(versionSatisfies('1.3.0', '~> 1.2.3'), false)
  assert.equal(versionSatisfies('1.9', '~> 1'), true)
  assert.equal(versionSatisfies('2.0.0', '2.0'), true)
  assert.equal(versionSatisfies('2.0.0', '!= 2'), false)
  assert.equal(versionSatisfies('2.0.0', 'latest'), undefined)
})

test("versionSatisfies agrees with Ruby's Gem::Requirement, which Vagrant reads box_version with", (t) => {
  if (!requireTools(t, 'ruby')) return
  const version = fc
    .array(fc.oneof(fc.nat({ max: 12 }), fc.constantFrom(0, 1, 20240101)), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join('.'))
  const prerelease = fc.tuple(version, fc.constantFrom('', '.a', '.rc1', '.0')).map(([v, s]) => `${v}${s}`)
  const op = fc.constantFrom('', '= ', '!= ', '> ', '< ', '>= ', '<= ', '~> ')
  const constraint = fc
    .array(fc.tuple(op, version), { minLength: 1, maxLength: 2 })
    .map((parts) => parts.map(([o, v]) => `${o}${v}`).join(', '))
  const cases = fc.sample(fc.tuple(prerelease, constraint), { numRuns: 800, seed: 7 })
  // Vagrant: Gem::Requirement.new(*constraint.split(",").map(&:strip)).satisfied_by?(Gem::Version.new(v))
  const script =
    'require "json"; STDIN.each_line { |l| v, c = JSON.parse(l); ' +
    'puts Gem::Requirement.new(*c.split(",").map(&:strip)).satisfied_by?(Gem::Version.new(v)) }'
  const result = spawnSync('ruby', ['-e', script], {
    input: cases.map((c) => JSON.stringify(c)).join('\n'),
    encoding: 'utf8',
  })
  assert.equal(result.status, 0, result.stderr)
  const ruby = result.stdout.trim().split('\n')
  assert.equal(ruby.length, cases.length)
  cases.forEach(([v, c], i) => {
    assert.equal(String(versionSatisfies(v, c)), ruby[i], `${v} against ${c}`)
  })
})
