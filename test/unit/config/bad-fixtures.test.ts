import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { ConfigError } from '../../../src/core/config/errors.js'
import { loadConfig } from '../../../src/core/config/load.js'
import { fixture } from '../../support/paths.js'
import { providerTypes } from './provider-types.js'

// Each test/fixtures/config/bad/NN-name.yaml sits beside NN-name.expected, the exact message with
// file paths shown relative to that folder. NN-name.sets holds --set arguments (one a line) and
// NN-name.env.yaml an --env file, when the case needs them.
const dir = fixture('config', 'bad')
const cases = readdirSync(dir)
  .filter((name) => /^\d+-[^.]+\.yaml$/.test(name))
  .sort()
  .map((name) => name.replace(/\.yaml$/, ''))

const optional = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined)

describe('malformed forklift.yaml files give one exact line per problem', () => {
  it('has at least twenty distinct cases, each with its expected message', () => {
    assert.ok(cases.length >= 20, `only ${cases.length} cases`)
    for (const name of cases) assert.ok(existsSync(`${dir}/${name}.expected`), `${name}.expected is missing`)
  })

  for (const name of cases) {
    it(name, async () => {
      const base = `${dir}/${name}`
      const expected = readFileSync(`${base}.expected`, 'utf8').trimEnd()
      const sets = optional(`${base}.sets`)?.split('\n').filter(Boolean) ?? []
      const envFiles = existsSync(`${base}.env.yaml`) ? [`${base}.env.yaml`] : []
      const error = await loadConfig(`${base}.yaml`, { providerTypes, sets, envFiles, env: {} }).then(
        () => assert.fail('expected a ConfigError'),
        (e: unknown) => e,
      )
      assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`)
      assert.equal(error.message.replaceAll(`${dir}/`, ''), expected)
      assert.doesNotMatch(error.stack ?? '', /\n\s+at /, 'no stack frames for a user mistake')
      assert.equal(error.issues.length, expected.split('\n').length, 'one issue per line')
    })
  }
})
