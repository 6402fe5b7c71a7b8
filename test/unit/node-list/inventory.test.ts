import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ConfigError } from '../../../src/core/config/errors.js'
import { type InventoryHost, parseAnsibleInventory } from '../../../src/plugins/node-list/inventory.js'
import { nodeListSettings } from '../../../src/plugins/node-list/settings.js'
import { fixture } from '../../support/paths.js'

// Both fixtures describe the same inventory, so both must read the same.
const expected: InventoryHost[] = [
  { name: 'bastion.example.com', address: '203.0.113.5', port: 22022, groups: ['ungrouped'] },
  ...['01', '02', '03'].map((n) => ({
    name: `web${n}.example.com`,
    address: `web${n}.example.com`,
    port: 22022,
    user: 'deploy',
    identityFile: 'keys/prod',
    groups: ['web', 'prod'],
  })),
  {
    name: 'web-canary.example.com',
    address: 'web-canary.example.com',
    port: 2202,
    user: 'canary',
    identityFile: 'keys/prod',
    groups: ['web', 'prod'],
  },
  {
    name: 'web-extra',
    address: '10.0.0.9',
    port: 22022,
    user: 'deploy',
    identityFile: 'keys/web extra',
    groups: ['web', 'prod'],
  },
  ...['a', 'b'].map((n) => ({
    name: `db-${n}.example.com`,
    address: `db-${n}.example.com`,
    port: 5522,
    user: 'postgres',
    identityFile: 'keys/prod',
    groups: ['db', 'prod'],
  })),
]

describe('parseAnsibleInventory', () => {
  it('reads the INI format: groups, ranges, host:port, children and vars with their precedence', () => {
    const file = fixture('node-list', 'hosts.ini')
    assert.deepEqual(parseAnsibleInventory(readFileSync(file, 'utf8'), file), expected)
  })

  it('reads the YAML format to the same hosts', () => {
    const file = fixture('node-list', 'hosts.yaml')
    assert.deepEqual(parseAnsibleInventory(readFileSync(file, 'utf8'), file), expected)
  })

  it('tells YAML from INI by content when the name does not say', () => {
    const hosts = parseAnsibleInventory('all:\n  hosts:\n    a.example:\n', 'inventory')
    assert.deepEqual(hosts, [{ name: 'a.example', address: 'a.example', groups: ['ungrouped'] }])
  })

  it('expands ranges with steps, letters and leading zeros; a host in two groups is listed once', () => {
    const text = '[a]\nn[1:9:4]\nx[08:10]:2200\n[b]\nn[a:c]\nn1\n'
    const hosts = parseAnsibleInventory(text, 'hosts')
    assert.deepEqual(
      hosts.map((h) => `${h.name}=${h.groups.join('+')}${h.port ? `:${h.port}` : ''}`),
      ['n1=a+b', 'n5=a', 'n9=a', 'x08=a:2200', 'x09=a:2200', 'x10=a:2200', 'na=b', 'nb=b', 'nc=b'],
    )
  })

  it('a YAML host key host:port is the host with that port, as in INI (ranges too; a var wins)', () => {
    const yaml = parseAnsibleInventory(
      'web:\n  hosts:\n    127.0.0.102:2222:\n    n[1:2]:2200:\n    m:2201: { ansible_port: 2300 }\n    plain:\n',
      'hosts.yaml',
    )
    const ini = parseAnsibleInventory(
      '[web]\n127.0.0.102:2222\nn[1:2]:2200\nm:2201 ansible_port=2300\nplain\n',
      'hosts',
    )
    assert.deepEqual(yaml, ini)
    assert.deepEqual(
      yaml.map((h) => `${h.name}@${h.address}:${h.port ?? 22}`),
      ['127.0.0.102@127.0.0.102:2222', 'n1@n1:2200', 'n2@n2:2200', 'm@m:2300', 'plain@plain:22'],
    )
  })

  it('host:port reads alike in INI and YAML inventories, for generated hosts and ports', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/)
    const host = fc.oneof(
      fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.')),
      fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `127.0.${a}.${b}`),
    )
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(host, fc.option(fc.integer({ min: 1, max: 65535 }))), {
          minLength: 1,
          maxLength: 5,
          selector: ([h]) => h,
        }),
        (entries) => {
          const words = entries.map(([h, p]) => (p === null ? h : `${h}:${p}`))
          const ini = parseAnsibleInventory(`[g]\n${words.join('\n')}\n`, 'hosts')
          const yaml = parseAnsibleInventory(
            `g:\n  hosts:\n${words.map((w) => `    "${w}":\n`).join('')}`,
            'hosts.yaml',
          )
          assert.deepEqual(yaml, ini)
          assert.deepEqual(
            ini.map((h) => [h.name, h.port ?? null]),
            entries.map(([h, p]) => [h, p]),
          )
        },
      ),
    )
  })

  it('an empty inventory has no hosts', () => {
    assert.deepEqual(parseAnsibleInventory('# nothing yet\n', 'hosts'), [])
    assert.deepEqual(parseAnsibleInventory('', 'hosts.yml'), [])
  })

  const bad: [string, string, string][] = [
    [
      'hosts',
      '[web]\nweb1\n[db\n',
      'hosts:3:1: a section header needs a closing ]: [group], [group:vars] or [group:children]',
    ],
    [
      'hosts',
      '\n[web:hosts]\n',
      'hosts:2:1: unknown section [web:hosts]: expected [web], [web:vars] or [web:children]',
    ],
    [
      'hosts',
      '[web]\nweb1 ansible_port\n',
      'hosts:2:6: expected key=value after the host name, got "ansible_port"',
    ],
    [
      'hosts',
      '[web]\nweb1  ansible_port=http\n',
      'hosts:2:7: ansible_port: expected a port number (1–65535), got "http"',
    ],
    [
      'hosts',
      '[web]\nweb1:70000\n',
      'hosts:2:1: ansible_port: expected a port number (1–65535), got "70000"',
    ],
    ['hosts', '[web]\n\n  web[3:1]\n', 'hosts:3:3: host range [3:1] ends before it starts'],
    [
      'hosts',
      '[web]\nweb[1:x]\n',
      'hosts:2:1: bad host range [1:x] in "web[1:x]": use numbers ([01:20]) or single letters ([a:f])',
    ],
    ['hosts', '[web]\nweb[1:3\n', 'hosts:2:1: host range in "web[1:3" has no closing ]'],
    ['hosts', '[web]\nweb[1:50000]\n', 'hosts:2:1: host range [1:50000] holds more than 10000 hosts'],
    [
      'hosts',
      '[web:vars]\nansible_user\n',
      'hosts:2:1: expected key=value in [web:vars], got "ansible_user"',
    ],
    ['hosts', '[web]\nweb1 ansible_user="deploy\n', 'hosts:2:1: unclosed " quote'],
    ['hosts', '[a:children]\nb\n[b:children]\na\n', 'hosts:1:1: groups contain each other: a → b → a'],
    [
      'hosts',
      '[web server]\n',
      'hosts:1:2: bad group name "web server": use letters, digits, _ and -, starting with a letter or _',
    ],
    [
      'hosts.yaml',
      'all:\n  hosts:\n    - a\n',
      'hosts.yaml:3:5: group "all": hosts must be a map of host names',
    ],
    [
      'hosts.yaml',
      'all:\n  children:\n    web:\n      host:\n        a:\n',
      'hosts.yaml:4:7: unknown key `host` in group "web" (expected hosts, children or vars)',
    ],
    [
      'hosts.yaml',
      'web:\n  hosts:\n    a:\n      ansible_port: 0\n',
      'hosts.yaml:4:21: ansible_port: expected a port number (1–65535), got 0',
    ],
    [
      'hosts.yaml',
      'web:\n  hosts:\n    a:\n      ansible_user: 42\n',
      'hosts.yaml:4:21: ansible_user: expected a non-empty string, got 42',
    ],
    ['hosts.yaml', 'web:\n  hosts:\n    a[1:\n', 'hosts.yaml:3:5: host range in "a[1" has no closing ]'],
    [
      'hosts.yaml',
      'web:\n  hosts: [\n',
      'hosts.yaml:3:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    [
      'hosts.yaml',
      '- a\n',
      'hosts.yaml:1:1: expected a map of groups at the top level (all: {hosts, children, vars})',
    ],
  ]
  for (const [file, text, message] of bad) {
    it(`refuses ${JSON.stringify(text.trim().split('\n').at(-1))} (${file}) naming file and line`, () => {
      assert.throws(
        () => parseAnsibleInventory(text, file),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError)
          assert.equal(error.message, message)
          return true
        },
      )
    })
  }
})

describe('nodeListSettings', () => {
  it('takes static nodes, an inventory, or both', () => {
    const nodes = [
      { name: 'web-1', address: '127.0.0.1', port: 2222, user: 'root', group: 'web', 'identity-file': 'k' },
    ]
    assert.ok(nodeListSettings.safeParse({ nodes }).success)
    assert.ok(nodeListSettings.safeParse({ inventory: 'hosts.ini' }).success)
    assert.ok(
      nodeListSettings.safeParse({
        nodes: [{ name: 'a', address: 'a', group: ['web', 'db'] }],
        inventory: 'h',
      }).success,
    )
  })

  it('refuses an empty node-list, unknown keys, bad group names and a name twice in one group', () => {
    const messages = (value: unknown) =>
      nodeListSettings.safeParse(value).error?.issues.map((i) => i.message) ?? []
    assert.deepEqual(messages({}), ['a node-list needs `nodes`, `inventory` or both'])
    assert.equal(nodeListSettings.safeParse({ inventory: 'h', invetory: 'h' }).success, false)
    assert.equal(
      nodeListSettings.safeParse({ nodes: [{ name: 'a', address: 'a', group: 'Web' }] }).success,
      false,
    )
    assert.deepEqual(
      messages({
        nodes: [
          { name: 'a', address: '10.0.0.1', group: 'web' },
          { name: 'a', address: '10.0.0.2', group: ['db', 'web'] },
        ],
      }),
      ['node "a" appears twice in group "web"'],
    )
  })
})
