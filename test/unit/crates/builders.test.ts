import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { actionSchema, actionTypes } from '../../../src/core/actions/schema.js'
import { compilePhaseScript, prepareActions } from '../../../src/core/actions/script.js'
import type { Action } from '../../../src/core/actions/types.js'
import { makeCrateContext } from '../../../src/core/crates/context.js'
import type { CrateContextData } from '../../../src/core/crates/types.js'
import { SHIM_FILES } from '../../../src/core/pods/shim.js'
import { type ActionBuilders, actions } from '../../../src/index.js'
import { localFacts } from '../actions/support.js'

const sha = 'a'.repeat(64)

/** One call of every builder, with the action it must return. */
const cases = (b: ActionBuilders): [string, Action, Action][] => [
  [
    'exec',
    b.exec('make install', { cwd: '/srv/app', creates: '/usr/local/bin/app', env: { A: '1' } }),
    { type: 'exec', script: 'make install', cwd: '/srv/app', creates: '/usr/local/bin/app', env: { A: '1' } },
  ],
  [
    'file',
    b.file('/etc/motd', { content: 'hi\n', mode: '0644', owner: 'root' }),
    { type: 'file', path: '/etc/motd', content: 'hi\n', mode: '0644', owner: 'root' },
  ],
  ['file, no fields', b.file('/etc/empty'), { type: 'file', path: '/etc/empty' }],
  [
    'directory',
    b.directory('/srv/app', { mode: '0755', recursive: true }),
    { type: 'directory', path: '/srv/app', mode: '0755', recursive: true },
  ],
  [
    'symlink',
    b.symlink('/etc/nginx/sites-enabled/app', { target: '/etc/nginx/sites-available/app' }),
    { type: 'symlink', path: '/etc/nginx/sites-enabled/app', target: '/etc/nginx/sites-available/app' },
  ],
  [
    'remote-file',
    b.remoteFile('/opt/tool.tar.gz', { url: 'https://example.org/tool.tar.gz', sha256: sha }),
    { type: 'remote-file', path: '/opt/tool.tar.gz', url: 'https://example.org/tool.tar.gz', sha256: sha },
  ],
  [
    'line',
    b.line('/etc/hosts', { line: '10.0.0.5 db.internal', match: 'db\\.internal$' }),
    { type: 'line', path: '/etc/hosts', line: '10.0.0.5 db.internal', match: 'db\\.internal$' },
  ],
  [
    'package',
    b.package(['nginx', 'curl'], { state: 'latest' }),
    { type: 'package', name: ['nginx', 'curl'], state: 'latest' },
  ],
  [
    'package-source',
    b.packageSource('nginx', { apt: { uri: 'https://nginx.org/packages/debian', suite: 'bookworm' } }),
    {
      type: 'package-source',
      name: 'nginx',
      apt: { uri: 'https://nginx.org/packages/debian', suite: 'bookworm' },
    },
  ],
  ['package-update', b.packageUpdate(), { type: 'package-update' }],
  ['package-update with id', b.packageUpdate({ id: 'refresh' }), { type: 'package-update', id: 'refresh' }],
  [
    'user',
    b.user('deploy', { shell: '/bin/sh', groups: ['www-data'], sudo: true }),
    { type: 'user', name: 'deploy', shell: '/bin/sh', groups: ['www-data'], sudo: true },
  ],
  ['group', b.group('www', { gid: 1500 }), { type: 'group', name: 'www', gid: 1500 }],
  [
    'service',
    b.service('nginx', { state: 'reloaded', enabled: true, notify: ['site'] }),
    { type: 'service', name: 'nginx', state: 'reloaded', enabled: true, notify: ['site'] },
  ],
]

const camel = (type: string) => type.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

describe('action builders', () => {
  it('return exactly the plain action of their type', () => {
    for (const [what, built, expected] of cases(actions)) assert.deepStrictEqual(built, expected, what)
  })

  it('cover every action type, one builder each', () => {
    assert.deepEqual(Object.keys(actions).sort(), actionTypes.map(camel).sort())
    const built = new Set(cases(actions).map(([, action]) => action.type))
    assert.deepEqual([...built].sort(), [...actionTypes].sort())
  })

  it('build actions that pass the schema and the compiler', async () => {
    // A service that notifies needs the action it names before it.
    const all = [{ ...actions.file('/etc/site'), id: 'site' }, ...cases(actions).map(([, action]) => action)]
    for (const action of all) {
      const parsed = actionSchema.safeParse(action)
      assert.ok(parsed.success, `${action.type}: ${parsed.error?.message}`)
    }
    const prepared = await prepareActions(all, { baseDir: '/', templateData: {} })
    assert.match(
      compilePhaseScript(prepared, { facts: localFacts(), dryRun: true, nonce: 'abcdefgh12' }),
      /_a 14\n/,
    )
  })

  it('leave out fields given as undefined, and refuse what a field map cannot mean', () => {
    const private_ = false
    assert.deepStrictEqual(actions.file('/etc/x', { mode: private_ ? '0600' : undefined }), {
      type: 'file',
      path: '/etc/x',
    })
    const loose = actions as unknown as Record<string, (...args: unknown[]) => unknown>
    assert.throws(
      () => loose.symlink!('/a', '/b'),
      /^TypeError: actions\.symlink: argument 2 is a map of the action's other fields, got string$/,
    )
    assert.throws(() => loose.packageUpdate!([]), /actions\.packageUpdate: argument 1 .* got a list/)
    assert.throws(
      () => loose.file!('/a', { path: '/b' }),
      /actions\.file: `path` is given by the builder's first argument, not in its fields/,
    )
    assert.throws(() => loose.exec!('true', { type: 'file' }), /`type` is given by the builder, not/)
  })

  it('are typed from the Action types', () => {
    // Compiled, never run: each line must fail to type-check.
    const typed = (b: ActionBuilders) => [
      // @ts-expect-error a line action's `line` is a string
      b.line('/etc/hosts', { line: 1 }),
      // @ts-expect-error `mdoe` is not a field of a file
      b.file('/etc/motd', { mdoe: '0644' }),
      // @ts-expect-error a package's state is present, absent or latest
      b.package('nginx', { state: 'started' }),
      // @ts-expect-error a group's gid is a number
      b.group('www', { gid: '1500' }),
    ]
    assert.equal(typeof typed, 'function')
  })

  it('are on the crate context', () => {
    const data = {
      crate: 'c',
      phase: 'configure',
      node: { name: 'n', id: 'n', group: 'g', address: 'localhost', provider: 'p', facts: localFacts() },
      group: { name: 'g', count: 1, provider: 'p' },
      settings: {},
      environment: {},
      published: {},
      nodes: [],
    } satisfies CrateContextData
    assert.equal(makeCrateContext(data, {}).actions, actions)
  })

  it('are the same in the forklift module a crate imports inside a pod, ESM and CommonJS', async () => {
    const esm = (await import(
      `data:text/javascript;base64,${Buffer.from(SHIM_FILES['index.js']!).toString('base64')}`
    )) as { actions: ActionBuilders; defineCrate: (d: unknown) => unknown }
    const module = { exports: {} as { actions?: ActionBuilders } }
    new Function('exports', 'module', 'require', SHIM_FILES['index.cjs']!)(
      module.exports,
      module,
      createRequire(import.meta.url),
    )
    for (const shim of [esm.actions, module.exports.actions!]) {
      assert.deepEqual(Object.keys(shim).sort(), Object.keys(actions).sort())
      for (const [what, built, expected] of cases(shim)) assert.deepStrictEqual(built, expected, what)
    }
    const definition = { phases: {} }
    assert.equal(esm.defineCrate(definition), definition)
  })
})
