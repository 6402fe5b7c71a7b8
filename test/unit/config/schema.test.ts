import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { parse } from 'yaml'
import { actionSchema, actionTypes } from '../../../src/core/actions/schema.js'
import { jsonSchema } from '../../../src/core/config/schema.js'
import { fixture } from '../../support/paths.js'
import { settingsSchemas } from './provider-types.js'

const providers = [...settingsSchemas].map(([type, settingsSchema]) => ({ type, settingsSchema }))

/** A fixture as an editor sees it: plain YAML, `!secret` read as the string it tags. */
function readYaml(...parts: string[]): unknown {
  return parse(readFileSync(fixture(...parts), 'utf8'), {
    merge: true,
    customTags: [{ tag: '!secret', resolve: (value: string) => value }],
  })
}

function validator() {
  const schema = jsonSchema(providers)
  // A JSON round trip: what `forklift schema` prints is exactly this.
  const printed = JSON.parse(JSON.stringify(schema))
  const ajv = new Ajv2020({ allErrors: true, strict: false })
  assert.equal(ajv.validateSchema(printed), true, JSON.stringify(ajv.errors))
  return ajv.compile(printed)
}

describe('jsonSchema', () => {
  it('is draft 2020-12 and valid against its meta-schema, with or without provider types', () => {
    const bare = jsonSchema()
    assert.equal(bare.$schema, 'https://json-schema.org/draft/2020-12/schema')
    const ajv = new Ajv2020({ strict: false })
    assert.equal(ajv.validateSchema(bare), true)
    validator()
  })

  it('lists the installed provider types and applies each one settings schema by type', () => {
    const schema = jsonSchema(providers) as {
      properties: {
        providers: { additionalProperties: { properties: { type: { enum: string[] } }; allOf: unknown[] } }
      }
    }
    const provider = schema.properties.providers.additionalProperties
    assert.deepEqual(provider.properties.type.enum, ['demo-cloud', 'local', 'node-list'])
    assert.equal(provider.allOf.length, 3)
    const demo = JSON.stringify(provider.allOf[0])
    assert.match(demo, /"const":"demo-cloud"/)
    assert.match(demo, /Region to create nodes in/)
  })

  it('accepts every good fixture', () => {
    const validate = validator()
    for (const name of ['full.yaml', 'minimal.yaml', 'layers.yaml', 'secrets.yaml']) {
      assert.equal(
        validate(readYaml('config', 'good', name)),
        true,
        `${name}: ${JSON.stringify(validate.errors)}`,
      )
    }
  })

  it('rejects what the loader rejects for shape: types, ranges, unknown keys, names, actions, provider settings', () => {
    const validate = validator()
    for (const name of [
      '07-count-wrong-type',
      '08-count-negative',
      '09-unknown-key',
      '11-unknown-provider-type',
      '12-bad-provider-settings',
      '13-bad-action-type',
      '14-missing-action-field',
      '15-bad-group-name',
      '16-bad-port',
      '19-bad-crate-entry',
      '22-unquoted-file-mode',
      '23-groups-a-list',
      '29-provider-without-type',
      '31-node-list-bad-node',
      '34-unknown-top-level-key',
      '36-relative-action-path',
      '37-bad-env-variable-name',
      '38-bad-package-name',
      '39-bad-user-name',
      '40-bad-action-values',
      '44-bad-bootstrap',
    ]) {
      assert.equal(
        validate(readYaml('config', 'bad', `${name}.yaml`)),
        false,
        `${name} passed the JSON Schema`,
      )
    }
  })

  it('knows environment.bootstrap: a package proxy URL and actions; the rest of an environment is free', () => {
    const validate = validator()
    const env = (environment: unknown) => ({
      environment,
      groups: { web: { provider: 'local', environment } },
    })
    const bootstrap = {
      'package-proxy': 'http://10.0.0.2:3142',
      actions: [{ type: 'package', name: 'curl' }],
    }
    assert.equal(validate(env({ bootstrap, anything: { goes: [1] } })), true, JSON.stringify(validate.errors))
    assert.equal(validate(env({ bootstrap: { 'package-proxy': 'ftp://x' } })), false)
    assert.equal(validate(env({ bootstrap: { actions: [{ type: 'package', name: 'a b' }] } })), false)
    assert.equal(validate(env({ bootstrap: { proxy: 'http://x' } })), false)
  })

  it('checks provider settings by type: demo-cloud needs a region, local takes none of it', () => {
    const validate = validator()
    const config = (type: string, settings: unknown) => ({ providers: { p: { type, settings } } })
    assert.equal(validate(config('demo-cloud', { region: 'eu' })), true)
    assert.equal(validate(config('demo-cloud', {})), false)
    assert.equal(validate(config('local', { region: 'eu' })), false)
    assert.equal(validate(config('local', { root: 'nodes' })), true)
  })
})

describe('actionSchema', () => {
  it('and the JSON Schema refuse the same action values: names, env, URLs, sha256, NUL, line breaks', () => {
    const validate = validator()
    const inGroup = (action: unknown) => ({
      groups: { web: { provider: 'local', phases: { configure: [action] } } },
    })
    const bad = [
      { type: 'exec', script: 'true', env: { 'BAD-NAME': 'x' } },
      { type: 'exec', script: 'a\0b' },
      { type: 'package', name: 'a b' },
      { type: 'package', name: ['ok', '-y'] },
      { type: 'user', name: 'Bad User' },
      { type: 'user', name: 'u', shell: '/bin/a:b' },
      { type: 'group', name: 'g', gid: -1 },
      { type: 'file', path: '/x', owner: 'root user' },
      { type: 'file', path: '/x', mode: '999' },
      { type: 'line', path: '/x', line: 'a\nb' },
      { type: 'remote-file', path: '/x', url: 'file:///etc/passwd', sha256: 'a'.repeat(64) },
      { type: 'remote-file', path: '/x', url: 'https://h/x', sha256: 'abc' },
      { type: 'package-source', name: '../x', yum: { baseurl: 'http://y' } },
      { type: 'package-source', name: 'x', apt: { uri: 'http://a b', suite: 's' } },
      { type: 'package-source', name: 'x', apt: { uri: 'http://a', suite: 's', key: 'nope' } },
      { type: 'service', name: '-x' },
      { type: 'file', id: 'two words', path: '/x' },
    ]
    for (const action of bad) {
      assert.equal(actionSchema.safeParse(action).success, false, `zod took ${JSON.stringify(action)}`)
      assert.equal(validate(inGroup(action)), false, `the JSON Schema took ${JSON.stringify(action)}`)
    }
  })

  it('knows every action type', () => {
    assert.deepEqual(actionTypes, [
      'directory',
      'exec',
      'file',
      'group',
      'line',
      'package',
      'package-source',
      'package-update',
      'remote-file',
      'service',
      'symlink',
      'user',
    ])
  })

  it('accepts one well-formed action of each type', () => {
    const samples = [
      {
        type: 'exec',
        script: 'true',
        creates: '/x',
        unless: 'false',
        onlyIf: 'true',
        env: { A: '1' },
        cwd: '/',
      },
      { type: 'file', path: '/f', state: 'present', content: '', mode: '0600', owner: 'root', group: 'root' },
      { type: 'directory', path: '/d', mode: '755', recursive: true },
      { type: 'symlink', path: '/l', target: '/t' },
      { type: 'symlink', path: '/l', state: 'absent' },
      {
        type: 'remote-file',
        path: '/r',
        url: 'https://example.com/a',
        sha256: 'a'.repeat(64),
        backup: false,
      },
      { type: 'remote-file', path: '/r', template: 'Hello {{name}}' },
      { type: 'line', path: '/etc/hosts', line: '127.0.0.1 x', match: 'x$', state: 'present' },
      { type: 'package', name: 'nginx', state: 'latest' },
      {
        type: 'package-source',
        name: 'nginx',
        apt: { uri: 'http://a', suite: 'stable', components: ['main'], trusted: true },
      },
      { type: 'package-source', name: 'epel', yum: { baseurl: 'http://y', gpgkey: 'http://k' } },
      { type: 'package-update' },
      {
        type: 'user',
        name: 'admin',
        groups: ['sudo'],
        authorizedKeys: ['ssh-ed25519 A'],
        sudo: true,
        system: false,
      },
      { type: 'group', name: 'web', gid: 1200 },
      { id: 'svc', type: 'service', name: 'nginx', state: 'restarted', enabled: true, notify: ['conf'] },
    ]
    for (const sample of samples) {
      const result = actionSchema.safeParse(sample)
      assert.ok(result.success, `${JSON.stringify(sample)}: ${result.error?.message}`)
      assert.deepEqual(result.data, sample)
    }
  })

  it('refuses a present symlink without target, a source-less remote-file or package-source, a relative path', () => {
    assert.equal(actionSchema.safeParse({ type: 'symlink', path: '/l' }).success, false)
    assert.equal(actionSchema.safeParse({ type: 'remote-file', path: '/r' }).success, false)
    assert.equal(actionSchema.safeParse({ type: 'remote-file', path: '/r', state: 'absent' }).success, true)
    assert.equal(actionSchema.safeParse({ type: 'package-source', name: 'x' }).success, false)
    assert.equal(actionSchema.safeParse({ type: 'file', path: 'relative' }).success, false)
  })
})
