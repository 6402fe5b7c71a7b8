import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../support/cli.js'
import { requireSshd, startSshNodes, type TestNodes } from '../../support/nodes.js'

// What a crate publishes belongs to every group of its node, and a crate's templates see its defaults.
// Three plain sshd nodes listed by node-list: node-1 in web, node-2 in db, node-3 in both.

const crate = (out: string) => `
export default {
  defaults: { label: 'from the defaults' },
  phases: {
    settings(ctx) {
      ctx.publish('id', { name: ctx.node.name })
      return []
    },
    configure(ctx) {
      const names = (g) => ctx.settingsOf(g, 'id').map((p) => p.name).sort().join(' ')
      return [
        { type: 'file', path: '${out}/' + ctx.node.name + '-' + ctx.group.name,
          content: 'web=' + names('web') + '\\ndb=' + names('db') + '\\n' },
        { type: 'remote-file', path: '${out}/' + ctx.node.name + '-' + ctx.group.name + '.label',
          template: '{{settings.label}} / {{settings.port}}\\n' },
      ]
    },
  },
}
`

describe('published data and crate templates', () => {
  let lab: TestNodes
  let dir: string
  let out: string
  let env: NodeJS.ProcessEnv
  let skip = false

  before(async (t) => {
    if (!requireSshd(t as never)) {
      skip = true
      return
    }
    lab = await startSshNodes(undefined, { count: 3 })
    dir = await mkdtemp(join(tmpdir(), 'forklift-published-'))
    out = join(dir, 'out')
    await mkdir(out)
    await mkdir(join(dir, 'crates/peer'), { recursive: true })
    await writeFile(join(dir, 'crates/peer/index.js'), crate(out))
    const [a, b, c] = lab.nodes
    const node = (name: string, n: typeof a, group: string) =>
      `        - { name: ${name}, address: "${n!.address}", port: ${n!.port}, user: root, group: ${group} }\n`
    await writeFile(
      join(dir, 'forklift.yaml'),
      `providers:
  lab:
    type: node-list
    settings:
      nodes:
${node('node-1', a, 'web')}${node('node-2', b, 'db')}${node('node-3', c, '[web, db]')}groups:
  web:
    provider: lab
    login: { user: root, identity-file: ${lab.clientKey} }
    crates: [{ name: peer, settings: { port: 80 } }]
  db:
    provider: lab
    login: { user: root, identity-file: ${lab.clientKey} }
    crates: [{ name: peer, settings: { port: 5432 } }]
`,
    )
    const config = join(dir, 'xdg')
    await mkdir(join(config, 'forklift'), { recursive: true })
    await writeFile(join(config, 'forklift', 'known_hosts'), await readFile(lab.knownHosts))
    env = { XDG_CONFIG_HOME: config, HOME: dir, SSH_AUTH_SOCK: '' }
  })
  after(async () => {
    if (skip) return
    await lab.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('settingsOf(group) has a node of several groups under each of them', async (t) => {
    if (skip) return t.skip('no sshd')
    const result = await runCli(['lift'], { cwd: dir, env })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    for (const file of ['node-1-web', 'node-2-db', 'node-3-web', 'node-3-db'])
      assert.equal(await readFile(join(out, file), 'utf8'), 'web=node-1 node-3\ndb=node-2 node-3\n', file)
  })

  it('with --consider db, a web lift still finds node-3 under db', async (t) => {
    if (skip) return t.skip('no sshd')
    await rm(join(out, 'node-1-web'))
    const result = await runCli(['lift', 'web', '--consider', 'db'], { cwd: dir, env })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(await readFile(join(out, 'node-1-web'), 'utf8'), 'web=node-1 node-3\ndb=node-2 node-3\n')
  })

  it("a crate's templates see its defaults under the group's settings", async (t) => {
    if (skip) return t.skip('no sshd')
    assert.equal(await readFile(join(out, 'node-1-web.label'), 'utf8'), 'from the defaults / 80\n')
    assert.equal(await readFile(join(out, 'node-2-db.label'), 'utf8'), 'from the defaults / 5432\n')
  })
})
