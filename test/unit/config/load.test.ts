// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are forklift.yaml ${env:NAME} references
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError } from '../../../src/core/config/errors.js'
import { loadConfig } from '../../../src/core/config/load.js'
import type { GroupSpec } from '../../../src/core/model/group.js'
import { fixture } from '../../support/paths.js'
import { providerTypes } from './provider-types.js'

const good = (name: string) => fixture('config', 'good', name)

describe('loadConfig on good files', () => {
  it('maps every section of a full config to GroupSpecs, defaults filled in', async () => {
    const config = await loadConfig(good('full.yaml'), { providerTypes, env: {} })
    assert.equal(config.file, good('full.yaml'))
    assert.equal(config.dir, fixture('config', 'good'))
    assert.equal(config.project, 'shop')
    assert.deepEqual(config.cratePath, [good('crates'), good('vendor/crates')])
    assert.deepEqual(config.secrets, [])
    assert.deepEqual(Object.keys(config.providers).sort(), ['cloud', 'lab', 'local'])
    assert.deepEqual(config.providers.cloud, {
      type: 'demo-cloud',
      settings: { region: 'eu-west-1', zone: 'a' },
      environment: { mirror: { debian: 'http://deb.cloud.internal' } },
    })
    assert.deepEqual(config.providers.local, { type: 'local', settings: {}, environment: {} })

    const [web, db, tools] = config.groups
    const expectedWeb: GroupSpec = {
      name: 'web',
      provider: 'cloud',
      count: 3,
      node: {
        image: { os: 'debian', version: '12' },
        hardware: { 'instance-type': 't3.small', 'min-ram': 2048, 'min-cores': 2 },
        network: { 'inbound-ports': [22, 80, 443] },
        login: {
          user: 'admin',
          'identity-file': good('keys/admin'),
          'public-key': 'ssh-ed25519 AAAA admin',
        },
      },
      crates: [
        { name: 'nginx', settings: {} },
        { name: 'app', settings: { port: 8080, workers: 4 } },
      ],
      phases: {
        configure: [
          { type: 'package', name: ['nginx', 'curl'] },
          { type: 'file', path: '/etc/motd', content: 'web\n', mode: '0644', owner: 'root' },
          {
            id: 'conf',
            type: 'line',
            path: '/etc/nginx/nginx.conf',
            line: 'worker_processes 4;',
            match: '^worker_processes',
          },
          { type: 'service', name: 'nginx', state: 'reloaded', notify: ['conf'] },
        ],
        deploy: [{ type: 'exec', script: 'systemctl restart app', onlyIf: 'test -f /srv/app/new' }],
      },
      environment: {
        mirror: { apache: 'http://apache.web.internal', debian: 'http://deb.cloud.internal' },
        admins: ['alice', 'bob'],
      },
    }
    assert.deepEqual(web, expectedWeb)
    assert.equal(db!.count, 0)
    assert.equal(db!.provider, 'lab')
    assert.deepEqual(tools, {
      name: 'tools',
      provider: 'local',
      node: { image: {}, hardware: {}, network: { 'inbound-ports': [] }, login: {} },
      crates: [],
      phases: {},
      environment: {
        mirror: { apache: 'http://mirror.example/apache', debian: 'http://deb.example' },
        admins: ['alice', 'bob'],
      },
    })
  })

  it('count: optional for providers that only list nodes, required (naming the group) for those that create them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-count-'))
    try {
      const file = join(dir, 'forklift.yaml')
      await writeFile(
        file,
        `providers:
  lab: { type: node-list, settings: { nodes: [{ name: a, address: 10.0.0.1, group: web }] } }
  box: { type: local, settings: { root: nodes } }
  here: { type: local }
groups:
  web: { provider: lab }
  listed: { provider: lab, count: 1 }
  machine: { provider: here }
  folders: { provider: box, count: 0 }
`,
      )
      const config = await loadConfig(file, { providerTypes, env: {} })
      assert.deepEqual(
        config.groups.map((g) => [g.name, g.count]),
        [
          ['web', undefined],
          ['listed', 1],
          ['machine', undefined],
          ['folders', 0],
        ],
      )
      await writeFile(
        file,
        'providers:\n  box: { type: local, settings: { root: nodes } }\ngroups:\n  web: { provider: box }\n',
      )
      await assert.rejects(loadConfig(file, { providerTypes, env: {} }), (error: ConfigError) => {
        assert.equal(
          error.message,
          `${file}:4:8: groups.web: missing required key \`count\` (expected a whole number ≥ 0): provider "box" creates nodes, so say how many`,
        )
        return true
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('root: "" is refused (it would mean this machine), naming the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-root-'))
    try {
      const file = join(dir, 'forklift.yaml')
      await writeFile(
        file,
        "providers:\n  box: { type: local, settings: { root: '' } }\ngroups:\n  web: { provider: box, count: 1 }\n",
      )
      await assert.rejects(loadConfig(file, { providerTypes, env: {} }), (error: ConfigError) => {
        assert.match(
          error.message,
          /^.*forklift\.yaml:2:\d+: providers\.box\.settings\.root: .*leave `root` out/,
        )
        return true
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a minimal config: project named after its folder, default crate path, implicit local provider', async () => {
    const config = await loadConfig(good('minimal.yaml'), { providerTypes, env: {} })
    assert.equal(config.project, 'good')
    assert.deepEqual(config.cratePath, [good('crates')])
    assert.deepEqual(config.providers, { local: { type: 'local', settings: {}, environment: {} } })
    assert.deepEqual(
      config.groups.map((g) => [g.name, g.provider, g.count]),
      [['web', 'local', undefined]],
    )
    assert.deepEqual(config.environment, {})
  })

  it("asks for the settings schemas of the types the file uses, and no other's", async () => {
    const asked: string[] = []
    const spying = new Map(
      [...providerTypes].map(([type, info]) => [
        type,
        {
          ...info,
          settingsSchema: () => {
            asked.push(type)
            return info.settingsSchema()
          },
        },
      ]),
    )
    await loadConfig(good('full.yaml'), { providerTypes: spying, env: {} })
    assert.deepEqual([...new Set(asked)].sort(), ['demo-cloud', 'node-list'])
    asked.length = 0
    await loadConfig(good('minimal.yaml'), { providerTypes: spying, env: {} })
    assert.deepEqual(asked, [], 'the implicit local provider has no settings to check')
  })

  it('environment layers: top < provider < group < --env files (in order) < --set', async () => {
    const layers = { providerTypes, env: {} }
    const base = await loadConfig(good('layers.yaml'), layers)
    const app = base.groups.find((g) => g.name === 'app')!
    assert.deepEqual(app.environment, {
      level: 'group',
      from: { top: 'yes', provider: 'yes', group: 'yes' },
      'only-top': 1,
      'only-provider': 2,
      'only-group': 3,
      list: ['group'],
    })

    const all = await loadConfig(good('layers.yaml'), {
      ...layers,
      envFiles: [good('layers.env.yaml'), good('layers.second.env.yaml')],
      sets: ['level=set', 'from.set=8080', 'list=[set, 2]', 'only-group=three'],
    })
    const app2 = all.groups.find((g) => g.name === 'app')!
    assert.deepEqual(app2.environment, {
      level: 'set',
      from: { top: 'yes', provider: 'yes', group: 'yes', 'env-file': 'yes', set: 8080 },
      'only-top': 1,
      'only-provider': 2,
      'only-group': 'three',
      'only-env-file': 5,
      list: ['set', 2],
    })
    // The other group sees no provider layer from `box`, but --env and --set all the same.
    const other = all.groups.find((g) => g.name === 'other')!
    assert.equal(other.environment.level, 'set')
    assert.equal(other.environment['only-provider'], undefined)
    assert.equal(other.environment['only-env-file'], 5)
    // The top-level view: no provider or group layer.
    assert.equal(all.environment.level, 'set')
    assert.equal(all.environment['only-group'], 'three')
    assert.equal(all.environment['only-provider'], undefined)
  })

  it('each layer decides alone when the later ones are silent', async () => {
    const config = await loadConfig(good('layers.yaml'), {
      providerTypes,
      env: {},
      envFiles: [good('layers.env.yaml')],
    })
    const app = config.groups.find((g) => g.name === 'app')!
    assert.equal(app.environment.level, 'env-file')
    assert.equal(app.environment['only-group'], 3)
    const sets = await loadConfig(good('layers.yaml'), {
      providerTypes,
      env: {},
      sets: ['only-top=top-from-set'],
    })
    assert.equal(sets.groups[0]!.environment.level, 'group')
    assert.equal(sets.groups[0]!.environment['only-top'], 'top-from-set')
  })

  it('--set values are YAML scalars: numbers, booleans, quoted strings, empty', async () => {
    const config = await loadConfig(good('minimal.yaml'), {
      providerTypes,
      env: {},
      sets: [
        'port=8080',
        'debug=true',
        "name='8080'",
        'empty=',
        'text=hello world',
        'pair=a: b',
        'url=http://x:1/y',
      ],
    })
    assert.deepEqual(config.environment, {
      port: 8080,
      debug: true,
      name: '8080',
      empty: null,
      text: 'hello world',
      pair: 'a: b',
      url: 'http://x:1/y',
    })
  })

  it('collects !secret and ${env:NAME} values as secrets and keeps their real values for use', async () => {
    const config = await loadConfig(good('secrets.yaml'), {
      providerTypes,
      env: { FORKLIFT_TEST_DB_TOKEN: 't0k3n-xyz' },
      sets: ['api=${env:FORKLIFT_TEST_DB_TOKEN}-suffix', 'pin=!secret 4711'],
    })
    assert.deepEqual(config.environment, {
      db: { password: 'pa55-w0rd', url: 'postgres://app:t0k3n-xyz@db.internal/app' },
      literal: 'costs ${env:NOT_A_REFERENCE}',
      port: '5432',
      api: 't0k3n-xyz-suffix',
      pin: '4711',
    })
    assert.deepEqual(config.providers.cloud!.settings, { region: 'eu-secret-1' })
    assert.deepEqual([...config.secrets].sort(), ['4711', '5432', 'eu-secret-1', 'pa55-w0rd', 't0k3n-xyz'])
  })
})

describe('loadConfig errors outside the file body', () => {
  it('a missing forklift.yaml says where it looked and what to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-config-'))
    try {
      await assert.rejects(
        loadConfig(join(dir, 'forklift.yaml'), { providerTypes }),
        (error: ConfigError) => {
          assert.equal(error.name, 'ConfigError')
          assert.equal(error.message, `forklift.yaml not found in ${dir} (use -c FILE or run forklift init)`)
          assert.equal(error.line, undefined)
          return true
        },
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a missing --env file names itself', async () => {
    await assert.rejects(
      loadConfig(good('minimal.yaml'), { providerTypes, envFiles: ['/nonexistent/prod.yaml'] }),
      { name: 'ConfigError', message: '/nonexistent/prod.yaml: --env file not found' },
    )
  })

  it('an --env file that is not a map, and a missing variable in one, are located', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-config-'))
    try {
      await writeFile(join(dir, 'list.yaml'), '- a\n- b\n')
      await writeFile(join(dir, 'vars.yaml'), 'a: 1\nb:\n  c: ${env:FORKLIFT_TEST_UNSET}\n')
      await assert.rejects(
        loadConfig(good('minimal.yaml'), { providerTypes, envFiles: [join(dir, 'list.yaml')] }),
        {
          message: `${join(dir, 'list.yaml')}:1:1: an --env file holds a map of environment values, got a list`,
        },
      )
      await assert.rejects(
        loadConfig(good('minimal.yaml'), { providerTypes, env: {}, envFiles: [join(dir, 'vars.yaml')] }),
        {
          message: `${join(dir, 'vars.yaml')}:3:6: b.c: environment variable FORKLIFT_TEST_UNSET is not set (referenced as \${env:FORKLIFT_TEST_UNSET})`,
        },
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('ConfigError carries file, line, column and key path of the first problem, and every issue', async () => {
    const file = fixture('config', 'bad', '24-errors-sorted-by-line.yaml')
    const error = (await loadConfig(file, { providerTypes }).catch((e: unknown) => e)) as ConfigError
    assert.ok(error instanceof ConfigError)
    assert.equal(error.file, file)
    assert.equal(error.line, 4)
    assert.equal(error.column, 5)
    assert.equal(error.path, 'providers.cloud.settings')
    assert.equal(error.issues.length, 6)
    assert.deepEqual(
      error.issues.map((i) => i.line),
      [4, 8, 9, 10, 12, 14],
    )
    assert.equal(error.issues[3]!.path, 'groups.web.login.identity_file')
  })

  it('a provider type that is not installed cannot be used through the implicit local either', async () => {
    const only = new Map([...providerTypes].filter(([type]) => type !== 'local'))
    await assert.rejects(loadConfig(good('minimal.yaml'), { providerTypes: only }), {
      message: `${good('minimal.yaml')}:3:15: groups.web.provider: unknown provider "local"; defined: (none)`,
    })
  })
})
