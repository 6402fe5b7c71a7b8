import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { showable } from '../../../src/cli/render/showable.js'

describe('showable: text for a terminal', () => {
  it('shows control characters as cat -v does, keeps newlines, tabs and other text', () => {
    assert.equal(showable('a\x1b[1A\x1b[2K\rb\x7f\x00\x9b\tc\nd'), 'a^[[1A^[[2K^Mb^?^@M-^[\tc\nd')
    assert.equal(showable('\u202eevil\u2066'), '<U+202E>evil<U+2066>')
    assert.equal(showable('héllo wörld 😀 — ✓'), 'héllo wörld 😀 — ✓')
  })

  it('never lets a control character through, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        assert.doesNotMatch(showable(text), /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/)
      }),
      { numRuns: 500 },
    )
  })
})
