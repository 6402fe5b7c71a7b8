import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { CrateRunner, ResolvedCrate } from '../../../src/core/crates/types.js'
import { planPhases, unknownPhases } from '../../../src/core/engine/phases.js'
import type { GroupSpec } from '../../../src/core/model/group.js'

describe('the phases of a run', () => {
  it('converge always runs bootstrap, settings and configure, then each --phase once', () => {
    assert.deepEqual(planPhases('converge', []), ['bootstrap', 'settings', 'configure'])
    assert.deepEqual(planPhases('converge', ['deploy']), ['bootstrap', 'settings', 'configure', 'deploy'])
    assert.deepEqual(planPhases('converge', ['deploy', 'configure', 'deploy', 'test']), [
      'bootstrap',
      'settings',
      'configure',
      'deploy',
      'test',
    ])
  })

  it('lift runs settings, then the given phases in their order (default configure)', () => {
    assert.deepEqual(planPhases('lift', []), ['settings', 'configure'])
    assert.deepEqual(planPhases('lift', ['deploy']), ['settings', 'deploy'])
    assert.deepEqual(planPhases('lift', ['deploy', 'settings', 'configure', 'deploy']), [
      'settings',
      'deploy',
      'configure',
    ])
  })

  it('lift --phase bootstrap bootstraps first', () => {
    assert.deepEqual(planPhases('lift', ['bootstrap']), ['bootstrap', 'settings'])
    assert.deepEqual(planPhases('lift', ['configure', 'bootstrap']), ['bootstrap', 'settings', 'configure'])
  })
})

const group = (name: string, phases: string[], crates: string[] = []): GroupSpec => ({
  name,
  provider: 'box',
  count: 1,
  node: { image: {}, hardware: {}, network: { 'inbound-ports': [] }, login: {} },
  crates: crates.map((c) => ({ name: c, settings: {} })),
  phases: Object.fromEntries(phases.map((p) => [p, []])),
  environment: {},
})

const crate = (name: string): ResolvedCrate => ({
  name,
  dir: `/crates/${name}`,
  entry: `/crates/${name}/index.js`,
  dependencies: {},
})

/** A runner that knows each crate's phases and counts how often it was asked. */
function fakeRunner(phases: Record<string, string[] | Error>) {
  const asked: string[] = []
  const runner: CrateRunner = {
    async hasPhase(c, phase) {
      return (await runner.phases(c)).includes(phase)
    },
    async phases(c) {
      asked.push(c.name)
      const list = phases[c.name]
      if (list instanceof Error) throw list
      return list ?? []
    },
    runPhase: () => Promise.reject(new Error('not in this test')),
    close: async () => {},
  }
  return { runner, asked }
}

describe('unknown phases', () => {
  const crates = new Map([
    ['app', crate('app')],
    ['db', crate('db')],
  ])

  it('built-in phases and a group’s own need no crate to be loaded', async () => {
    const { runner, asked } = fakeRunner({ app: ['deploy'] })
    const groups = [group('web', ['smoke'], ['app'])]
    assert.equal(
      await unknownPhases(['bootstrap', 'settings', 'configure', 'smoke'], groups, crates, runner),
      undefined,
    )
    assert.deepEqual(asked, [])
  })

  it('a phase of a crate of the groups is known', async () => {
    const { runner, asked } = fakeRunner({ app: ['settings', 'deploy'] })
    assert.equal(await unknownPhases(['deploy'], [group('web', [], ['app'])], crates, runner), undefined)
    assert.deepEqual(asked, ['app'])
  })

  it('any other name is named with a near miss and the known phases', async () => {
    const { runner } = fakeRunner({ app: ['deploy'], db: ['migrate'] })
    const groups = [group('web', ['smoke'], ['app']), group('api', [], ['app'])]
    assert.equal(
      await unknownPhases(['deplyo', 'migrate', 'deplyo'], groups, crates, runner),
      'unknown phases "deplyo" (did you mean "deploy"?), "migrate": no group or crate of web, api defines them; ' +
        'phases: bootstrap, settings, configure, smoke, deploy',
    )
  })

  it('a crate that cannot be loaded leaves the verdict to the run', async () => {
    const { runner } = fakeRunner({ app: new Error('cannot load') })
    assert.equal(await unknownPhases(['deploy'], [group('web', [], ['app'])], crates, runner), undefined)
  })
})
