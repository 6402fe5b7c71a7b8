import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { GroupSpec, Provider } from 'forklift'
import factory from '../src/index.js'

// The provider on its own, as Forklift drives it: create, list, destroy. Forklift's own tests run it
// through `forklift converge` too.

function group(name: string): GroupSpec {
  return {
    name,
    provider: 'shelf',
    count: 1,
    node: { image: {}, hardware: {}, network: { 'inbound-ports': [] }, login: {} },
    crates: [],
    phases: {},
    environment: {},
  }
}

const signal = new AbortController().signal

describe('settings schema', () => {
  it('needs root, applies defaults, and rejects unknown keys and bad values', () => {
    assert.deepEqual(factory.settingsSchema.parse({ root: 'nodes' }), { root: 'nodes', 'max-nodes': 10 })
    const missing = factory.settingsSchema.safeParse({})
    assert.deepEqual(missing.error?.issues[0]?.path, ['root'])
    const bad = factory.settingsSchema.safeParse({ root: 'nodes', 'max-nodes': 0 })
    assert.deepEqual(bad.error?.issues[0]?.path, ['max-nodes'])
    assert.equal(factory.settingsSchema.safeParse({ root: 'nodes', colour: 'red' }).success, false)
  })
})

describe('folder nodes', () => {
  let dir: string
  let provider: Provider
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provider-plugin-'))
    provider = await factory.create({
      name: 'shelf',
      project: 'test',
      projectDir: dir,
      settings: { root: 'nodes', 'max-nodes': 3 },
      runId: 'test',
      log: () => {},
    })
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('can create nodes', () => assert.equal(factory.canCreate, true))

  it('creates folders, one a node, and lists them by group', async () => {
    assert.deepEqual(await provider.listNodes({}), [])
    const created = await provider.createNodes!(group('web'), 2, signal)
    assert.deepEqual(
      created.map((n) => n.name),
      ['web-1', 'web-2'],
    )
    assert.equal(created[0]!.transport, 'local')
    assert.equal(created[0]!.root, join(dir, 'nodes', 'web-1'))
    await provider.createNodes!(group('db'), 1, signal)
    const web = await provider.listNodes({ group: 'web' })
    assert.deepEqual(
      web.map((n) => n.name),
      ['web-1', 'web-2'],
    )
    assert.equal((await provider.listNodes({})).length, 3)
  })

  it('refuses to go past max-nodes', async () => {
    await assert.rejects(provider.createNodes!(group('web'), 1, signal), /exceed max-nodes 3/)
  })

  it('destroys only the nodes given, and reuses the free name', async () => {
    const [, second] = await provider.listNodes({ group: 'web' })
    await provider.destroyNodes!([second!], signal)
    assert.deepEqual((await readdir(join(dir, 'nodes'))).sort(), ['db-1', 'web-1'])
    const again = await provider.createNodes!(group('web'), 1, signal)
    assert.deepEqual(
      again.map((n) => n.name),
      ['web-2'],
    )
  })

  it('leaves folders it did not make alone', async () => {
    await mkdir(join(dir, 'nodes', 'scratch'))
    await writeFile(join(dir, 'nodes', 'scratch', 'notes.txt'), 'mine\n')
    assert.equal((await provider.listNodes({})).length, 3)
    const [web1] = await provider.listNodes({ group: 'web' })
    await provider.destroyNodes!([{ ...web1!, name: 'scratch' }], signal)
    assert.deepEqual((await readdir(join(dir, 'nodes'))).sort(), ['db-1', 'scratch', 'web-1', 'web-2'])
  })
})
