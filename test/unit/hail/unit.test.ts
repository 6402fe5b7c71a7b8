import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { prepareActions } from '../../../src/core/actions/script.js'
import type { Action } from '../../../src/core/actions/types.js'
import { makeCrateContext } from '../../../src/core/crates/context.js'
import type { CrateContextData, CrateDefinition } from '../../../src/core/crates/types.js'
import {
  readHailTemplate,
  renderUnit,
  stopTimeoutSec,
  systemdQuote,
  unitName,
  watcherArgs,
} from '../../../src/core/hail/unit.js'
import { runCli } from '../../support/cli.js'
import { repoRoot } from '../../support/paths.js'

const crate = (await import(join(repoRoot, 'crates', 'hail', 'index.js'))).default as CrateDefinition

function context(settings: Record<string, unknown>): CrateContextData {
  return {
    crate: 'hail',
    phase: 'configure',
    node: {
      name: 'web-1',
      id: 'web-1',
      group: 'web',
      address: '127.0.0.1',
      provider: 'local',
      facts: {} as CrateContextData['node']['facts'],
    },
    group: { name: 'web', count: 1, provider: 'local' },
    settings,
    environment: {},
    published: {},
    nodes: [],
  }
}

/** The crate's actions, checked as the engine checks every crate's actions. */
const configure = async (settings: Record<string, unknown>) => {
  const actions = (await crate.phases.configure!(makeCrateContext(context(settings), {}))) as Action[]
  await prepareActions(actions, { baseDir: repoRoot, templateData: {} })
  return actions
}

describe('systemd unit', () => {
  it('quotes ExecStart arguments for systemd', () => {
    assert.equal(systemdQuote('/usr/bin/forklift'), '/usr/bin/forklift')
    assert.equal(systemdQuote('curl -sf http://x'), '"curl -sf http://x"')
    assert.equal(systemdQuote('say "hi" $HOME 100%'), '"say \\"hi\\" $$HOME 100%%"')
    assert.equal(systemdQuote(''), '""')
  })

  it('writes only flags that differ from their defaults, in a fixed order', () => {
    assert.deepEqual(
      watcherArgs({
        profile: 'web',
        source: 'hydra',
        'job-uri': 'https://h/job/p/j/w',
        'poll-period': '5',
        'nix-option': ['a=1', 'b=2'],
        'dry-run': true,
        'require-eval-success': true,
        json: true,
      }),
      [
        'hail',
        '--profile',
        'web',
        '--job-uri',
        'https://h/job/p/j/w',
        '--require-eval-success',
        '--dry-run',
        '--nix-option',
        'a=1',
        '--nix-option',
        'b=2',
        '--json',
      ],
    )
    assert.equal(stopTimeoutSec({ 'activate-timeout': '5m', 'health-check-timeout': '2m' }), 450)
    assert.equal(unitName('hail-profiles/web'), 'forklift-hail-hail-profiles-web')
  })

  it('`hail unit` prints a unit that restarts the watcher on failure', async () => {
    const result = await runCli([
      'hail',
      'unit',
      '--profile',
      'web',
      '--job-uri',
      'https://hydra.example.org/job/p/j/web/',
      '--forklift',
      '/usr/local/bin/forklift',
      '--poll-period',
      '1m',
      '--user',
      'deploy',
    ])
    assert.equal(result.code, 0, result.stderr)
    const unit = result.stdout
    assert.match(
      unit,
      /^ExecStart=\/usr\/local\/bin\/forklift hail --profile web --job-uri https:\/\/hydra\.example\.org\/job\/p\/j\/web --poll-period 1m$/m,
    )
    assert.match(unit, /^Restart=on-failure$/m)
    assert.match(unit, /^RestartPreventExitStatus=2$/m)
    assert.match(unit, /^KillMode=mixed$/m)
    assert.match(unit, /^User=deploy$/m)
    assert.match(unit, /^WantedBy=multi-user\.target$/m)
    const bad = await runCli(['hail', 'unit', '--profile', 'web'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--job-uri is required/)
    const watchOnly = await runCli([
      'hail',
      'unit',
      '--profile',
      'web',
      '--job-uri',
      'https://h/job/p/j/w',
      '--dry-run',
    ])
    assert.equal(watchOnly.code, 0, watchOnly.stderr)
    assert.match(
      watchOnly.stdout,
      /^ExecStart=.* hail --profile web --job-uri https:\/\/h\/job\/p\/j\/w --dry-run$/m,
    )
    const once = await runCli([
      'hail',
      'unit',
      '--profile',
      'web',
      '--job-uri',
      'https://h/job/p/j/w',
      '--oneshot',
    ])
    assert.equal(once.code, 2)
    assert.equal(
      once.stderr.trim(),
      'Error: --oneshot does not fit a unit that keeps the watcher running; run `forklift hail --oneshot` from a timer instead',
    )
    const script = await runCli(['hail', 'unit', '--activate-script'])
    assert.equal(script.code, 0)
    assert.equal(
      `${script.stdout}`,
      await readFile(join(repoRoot, 'templates', 'hail', 'manager-activate.sh'), 'utf8'),
    )
  })
})

describe('the hail crate', () => {
  it('writes the unit file, reloads systemd only when needed and starts the service on change', async () => {
    const actions = await configure({
      profile: 'web',
      jobUri: 'https://hydra.example.org/job/p/j/web/',
      pollPeriod: '1m',
    })
    assert.deepEqual(
      actions.map((a) => a.type),
      ['exec', 'file', 'exec', 'service'],
    )
    const [present, file, reload, service] = actions as [
      Extract<Action, { type: 'exec' }>,
      Extract<Action, { type: 'file' }>,
      Extract<Action, { type: 'exec' }>,
      Extract<Action, { type: 'service' }>,
    ]
    assert.equal(file.path, '/etc/systemd/system/forklift-hail-web.service')
    assert.equal(file.id, 'hail-unit')
    assert.equal(file.mode, '0644')
    assert.match(
      String(file.content),
      /^ExecStart=\/usr\/local\/bin\/forklift hail --profile web --job-uri https:\/\/hydra\.example\.org\/job\/p\/j\/web --poll-period 1m$/m,
    )
    // Nothing is installed where the watcher's command is missing.
    assert.equal(present.unless, 'command -v /usr/local/bin/forklift >/dev/null')
    assert.match(present.script, /\/usr\/local\/bin\/forklift is not on this node: install forklift there/)
    assert.equal(reload.script, 'systemctl daemon-reload')
    assert.match(reload.onlyIf ?? '', /NeedDaemonReload --value forklift-hail-web\.service/)
    assert.deepEqual(service, {
      type: 'service',
      name: 'forklift-hail-web',
      enabled: true,
      notify: ['hail-unit'],
    })
  })

  it('writes a private netrc and restarts the watcher when it changes', async () => {
    const actions = await configure({
      profile: 'api',
      jobUri: 'https://h/job/p/j/api',
      netrc: { machine: 'h', login: 'ci', password: 'two words' },
    })
    const netrc = actions.find((a) => a.id === 'hail-netrc') as Extract<Action, { type: 'file' }>
    assert.equal(netrc.path, '/etc/forklift/hail/forklift-hail-api.netrc')
    assert.equal(netrc.mode, '0600')
    assert.equal(netrc.content, 'machine h\n  login ci\n  password "two words"\n')
    const unit = actions.find((a) => a.id === 'hail-unit') as Extract<Action, { type: 'file' }>
    assert.match(String(unit.content), /--netrc-file \/etc\/forklift\/hail\/forklift-hail-api\.netrc/)
    assert.deepEqual((actions.at(-1) as Extract<Action, { type: 'service' }>).notify, [
      'hail-unit',
      'hail-netrc',
    ])
  })

  it('refuses settings it cannot use, naming the key', async () => {
    await assert.rejects(
      configure({ jobUri: 'https://h/job/p/j/w' }),
      /crate "hail": settings\.profile is required/,
    )
    await assert.rejects(configure({ profile: 'web' }), /settings\.jobUri is required/)
    await assert.rejects(configure({ profile: 'web', source: 'manifest' }), /settings\.url is required/)
    await assert.rejects(
      configure({ profile: 'web', jobUri: 'https://h', activateTimeout: 'soon' }),
      /settings\.activateTimeout "soon"/,
    )
    await assert.rejects(
      configure({ profile: 'web', jobUri: 'https://h', forklift: '$(id) x' }),
      /settings\.forklift "\$\(id\) x": expected a command such as \/usr\/local\/bin\/forklift/,
    )
  })

  it('writes exactly the unit `forklift hail unit` writes for the same settings', async () => {
    const template = await readHailTemplate(join(repoRoot, 'templates'), 'forklift-hail.service')
    const cases: { settings: Record<string, unknown>; flags: Record<string, unknown> }[] = [
      {
        settings: { profile: 'web', jobUri: 'https://h/job/p/j/web' },
        flags: { profile: 'web', 'job-uri': 'https://h/job/p/j/web' },
      },
      {
        settings: {
          profile: 'hail-profiles/api',
          source: 'manifest',
          url: 'https://d/api.json',
          healthCheck: 'curl -sf "http://localhost:8080/health" && echo 100%',
          activateTimeout: '10m',
          stateDir: '/srv/state',
          user: 'deploy',
          json: true,
        },
        flags: {
          profile: 'hail-profiles/api',
          source: 'manifest',
          url: 'https://d/api.json',
          'health-check': 'curl -sf "http://localhost:8080/health" && echo 100%',
          'activate-timeout': '10m',
          'state-dir': '/srv/state',
          json: true,
        },
      },
      {
        settings: {
          profile: 'db',
          jobUri: 'https://h/job/p/j/db',
          requireEvalSuccess: true,
          nixOptions: { substituters: 'https://c https://d' },
          pollPeriod: '30s',
          onFailure: 'logger -t hail "$HAIL_ERROR"',
        },
        flags: {
          profile: 'db',
          'job-uri': 'https://h/job/p/j/db',
          'require-eval-success': true,
          'nix-option': ['substituters=https://c https://d'],
          'poll-period': '30s',
          'on-failure': 'logger -t hail "$HAIL_ERROR"',
        },
      },
      {
        settings: { profile: 'watch', jobUri: 'https://h/job/p/j/watch', dryRun: true },
        flags: { profile: 'watch', 'job-uri': 'https://h/job/p/j/watch', 'dry-run': true },
      },
    ]
    for (const { settings, flags } of cases) {
      const fromCrate = (
        (await configure(settings)).find((a) => a.id === 'hail-unit') as Extract<Action, { type: 'file' }>
      ).content
      const profile = settings.profile as string
      const fullFlags = { 'activate-timeout': '5m', 'health-check-timeout': '2m', ...flags }
      const fromCore = renderUnit(template, {
        name: unitName(profile),
        profile,
        description: `Forklift hail: deploy ${settings.jobUri ?? settings.url} to profile ${profile}`,
        argv: ['/usr/local/bin/forklift', ...watcherArgs(fullFlags)],
        stopTimeoutSec: stopTimeoutSec(
          fullFlags as { 'activate-timeout': string; 'health-check-timeout': string },
        ),
        ...(settings.user ? { user: settings.user as string } : {}),
      })
      assert.equal(fromCrate, fromCore)
    }
  })
})
