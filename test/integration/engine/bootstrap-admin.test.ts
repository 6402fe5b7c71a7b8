import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { runCli } from '../../support/cli.js'
import { generateKey } from '../../support/keys.js'
import { requireRootfs, startRootfsNodes, type TestNodes } from '../../support/nodes.js'

// Bootstrap is recorded on the node only once its admin login is proven, and a bootstrapped node whose
// admin login fails is an error, never a quiet fallback to the provider's login (root here).
// One rootfs node; the group's admin key is not the one Forklift logs in with, so the admin login fails.

const MARKER = '/var/lib/forklift/bootstrapped'
const json = (stdout: string) => JSON.parse(stdout) as RunResult

describe('bootstrap and the admin login', () => {
  let lab: TestNodes
  let dir: string
  let env: NodeJS.ProcessEnv
  let skip = false

  before(async (t) => {
    if (!requireRootfs(t as never)) {
      skip = true
      return
    }
    lab = await startRootfsNodes(undefined, { count: 1, prefix: 'bootadm' })
    dir = await mkdtemp(join(tmpdir(), 'forklift-bootstrap-admin-'))
    const other = await generateKey(join(dir, 'other'))
    const node = lab.nodes[0]!
    await writeFile(
      join(dir, 'forklift.yaml'),
      `providers:
  lab:
    type: node-list
    settings:
      nodes:
        - { name: web-1, address: "${node.address}", port: ${node.port}, user: root, group: web }
groups:
  web:
    provider: lab
    login:
      user: admin
      identity-file: ${lab.clientKey}
      public-key: ${other.publicKey}
    phases:
      configure:
        - { type: exec, script: "id -un > /tmp/configured-as" }
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

  it('an admin login that does not work leaves the node unmarked and fails it', async (t) => {
    if (skip) return t.skip('no rootfs nodes')
    const result = await runCli(['converge', '--json'], { cwd: dir, env })
    assert.equal(result.code, 1, result.stderr)
    const web = json(result.stdout).groups[0]!
    assert.deepEqual(
      web.nodes.map((n) => [n.name, n.status, n.failedPhase]),
      [['web-1', 'failed', 'bootstrap']],
    )
    const failure = web.phases.find((p) => p.phase === 'bootstrap' && p.status === 'failed')!
    assert.match(failure.error!.message, /cannot log in as the admin user "admin".*not recorded on the node/)
    const marker = await lab.nodes[0]!.exec(`test -e ${MARKER}`)
    assert.notEqual(marker.code, 0, 'the node was marked bootstrapped')
  })

  it('the next converge bootstraps again rather than configuring as root', async (t) => {
    if (skip) return t.skip('no rootfs nodes')
    const result = await runCli(['converge', '--json'], { cwd: dir, env })
    assert.equal(result.code, 1, result.stderr)
    const web = json(result.stdout).groups[0]!
    assert.deepEqual(
      web.nodes.map((n) => [n.status, n.failedPhase]),
      [['failed', 'bootstrap']],
    )
    // Bootstrap ran again (its actions are all there already) and its admin login failed again.
    assert.deepEqual([...new Set(web.phases.map((p) => p.phase))], ['bootstrap'])
    assert.match(web.phases.at(-1)!.error!.message, /cannot log in as the admin user "admin"/)
    assert.notEqual((await lab.nodes[0]!.exec('test -e /tmp/configured-as')).code, 0)
  })

  it('a marked node whose admin login fails is an error naming both, not a fallback to root', async (t) => {
    if (skip) return t.skip('no rootfs nodes')
    await lab.nodes[0]!.exec(`mkdir -p /var/lib/forklift && echo x > ${MARKER}`)
    for (const command of ['converge', 'lift']) {
      const result = await runCli([command, '--json'], { cwd: dir, env })
      assert.equal(result.code, 1, `${command}: ${result.stderr}`)
      const web = json(result.stdout).groups[0]!
      assert.deepEqual(
        web.nodes.map((n) => [n.status, n.failedPhase]),
        [['failed', 'connect']],
      )
      const message = web.phases.find((p) => p.phase === 'connect')!.error!.message
      assert.match(message, new RegExp(`bootstrapped \\(${MARKER} is there\\).*admin user "admin" failed`))
      assert.match(message, /does not fall back to "root"/)
    }
    assert.notEqual((await lab.nodes[0]!.exec('test -e /tmp/configured-as')).code, 0)
  })
})
