import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { prepareActions } from '../../../src/core/actions/script.js'
import { loadConfig } from '../../../src/core/config/load.js'
import { adminPublicKey } from '../../../src/core/engine/bootstrap.js'
import type { GroupSpec } from '../../../src/core/model/group.js'
import { localPath } from '../../../src/core/paths.js'
import nodeList from '../../../src/plugins/node-list/index.js'
import { providerTypes } from './provider-types.js'

// Every test here runs with HOME pointing at a folder of its own (os.homedir() reads HOME).
let home: string
let project: string
let savedHome: string | undefined

before(async () => {
  savedHome = process.env.HOME
  home = await mkdtemp(join(tmpdir(), 'forklift-home-'))
  project = await mkdtemp(join(tmpdir(), 'forklift-project-'))
  process.env.HOME = home
  await mkdir(join(home, '.ssh'))
  await writeFile(join(home, '.ssh', 'id_ed25519'), 'private\n')
  await writeFile(join(home, '.ssh', 'id_ed25519.pub'), 'ssh-ed25519 AAAAhome me@here\n')
})

after(async () => {
  if (savedHome === undefined) delete process.env.HOME
  else process.env.HOME = savedHome
  await rm(home, { recursive: true, force: true })
  await rm(project, { recursive: true, force: true })
})

const group = (login: GroupSpec['node']['login']): GroupSpec => ({
  name: 'web',
  provider: 'lab',
  count: 1,
  node: { image: {}, hardware: {}, network: { 'inbound-ports': [] }, login },
  crates: [],
  phases: {},
  environment: {},
})

describe('localPath', () => {
  it('expands a leading ~ and ~/ to the home folder and resolves the rest against the base', () => {
    assert.equal(localPath('/p', '~'), home)
    assert.equal(localPath('/p', '~/'), home)
    assert.equal(localPath('/p', '~/.ssh/id_ed25519'), join(home, '.ssh/id_ed25519'))
    assert.equal(localPath('/p', 'keys/a'), '/p/keys/a')
    assert.equal(localPath('/p', '/etc/a'), '/etc/a')
    // Only the user's own home: `~bob` and a `~` further in are plain names.
    assert.equal(localPath('/p', '~bob/a'), '/p/~bob/a')
    assert.equal(localPath('/p', 'a/~/b'), '/p/a/~/b')
  })
})

describe('~ in forklift.yaml and on the command line is the home folder', () => {
  it("the README's identity-file: ~/.ssh/id_ed25519 gives the admin key beside it", async () => {
    await writeFile(
      join(project, 'forklift.yaml'),
      'groups:\n  web:\n    provider: local\n    login: { user: forklift, identity-file: ~/.ssh/id_ed25519 }\ncrates:\n  path: [crates, ~/crates]\n',
    )
    await writeFile(join(home, 'more.env.yaml'), 'mirror: http://10.0.0.2\n')
    const config = await loadConfig(join(project, 'forklift.yaml'), {
      providerTypes,
      env: {},
      envFiles: ['~/more.env.yaml'],
    })
    const web = config.groups[0]!
    assert.equal(web.node.login['identity-file'], join(home, '.ssh', 'id_ed25519'))
    assert.deepEqual(config.cratePath, [join(project, 'crates'), join(home, 'crates')])
    assert.equal(config.environment.mirror, 'http://10.0.0.2')
    assert.equal(await adminPublicKey(web, project), 'ssh-ed25519 AAAAhome me@here')
  })

  it('-c ~/… finds forklift.yaml in the home folder', async () => {
    await writeFile(join(home, 'forklift.yaml'), 'groups:\n  web: { provider: local }\n')
    const config = await loadConfig('~/forklift.yaml', { providerTypes, env: {} })
    assert.equal(config.file, join(home, 'forklift.yaml'))
    assert.equal(config.dir, home)
  })

  it('the admin key of a group spec that was never loaded (~ still written) is read from home too', async () => {
    const spec = group({ user: 'forklift', 'identity-file': '~/.ssh/id_ed25519' })
    assert.equal(await adminPublicKey(spec, '/elsewhere'), 'ssh-ed25519 AAAAhome me@here')
  })

  it('node-list: the inventory file, its key files and the static nodes’ keys', async () => {
    await writeFile(
      join(home, 'hosts.ini'),
      '[web]\nweb-1 ansible_host=10.0.0.1 ansible_ssh_private_key_file=~/.ssh/id_ed25519\n',
    )
    const settings = {
      inventory: '~/hosts.ini',
      nodes: [{ name: 'db-1', address: '10.0.0.2', group: 'db', 'identity-file': '~/keys/db' }],
    }
    const provider = await nodeList.create({
      name: 'lab',
      project: 'p',
      projectDir: project,
      settings,
      runId: 'r',
      log: () => {},
    })
    const nodes = await provider.listNodes({})
    assert.deepEqual(
      nodes.map((n) => [n.name, n.identityFile]),
      [
        ['db-1', join(home, 'keys', 'db')],
        ['web-1', join(home, '.ssh', 'id_ed25519')],
      ],
    )
  })

  it('remote-file localFile: ~/… is uploaded from the home folder', async () => {
    await writeFile(join(home, 'motd'), 'hello\n')
    const [prepared] = await prepareActions(
      [{ type: 'remote-file', path: '/etc/motd', localFile: '~/motd' }],
      {
        baseDir: project,
        templateData: {},
      },
    )
    assert.deepEqual(prepared, {
      type: 'remote-file',
      path: '/etc/motd',
      content: new Uint8Array(Buffer.from('hello\n')),
    })
  })
})
