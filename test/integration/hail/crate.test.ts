import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { runCli } from '../../support/cli.js'
import { requireRootfs, startRootfsNodes, type TestNodes } from '../../support/nodes.js'

// The built-in hail crate converged onto a node that boots systemd: the unit is installed, enabled and
// running. The node has no Node.js, so the watcher's command is a stand-in that records its arguments.

const STAND_IN = '/usr/local/bin/hail-stand-in'

describe('the hail crate on a systemd node', () => {
  let lab: TestNodes | undefined
  let dir: string
  let env: NodeJS.ProcessEnv
  let skip = false

  before(async (t) => {
    if (!requireRootfs(t as never, { systemd: true })) {
      skip = true
      return
    }
    lab = await startRootfsNodes(undefined, { count: 1, systemd: true, prefix: 'hail' })
    const node = lab.nodes[0]!
    await node.exec(
      `printf '#!/bin/sh\\necho "$@" > /run/hail-args\\nexec sleep infinity\\n' > ${STAND_IN} && chmod 755 ${STAND_IN}`,
    )
    dir = await mkdtemp(join(tmpdir(), 'forklift-hail-crate-'))
    await writeFile(
      join(dir, 'forklift.yaml'),
      `
providers:
  lab:
    type: node-list
    settings:
      nodes:
        - { name: deploy-1, address: "${node.address}", port: ${node.port}, user: root, group: deploy }
groups:
  deploy:
    provider: lab
    count: 1
    login: { user: forklift, identity-file: ${lab.clientKey} }
    crates:
      - name: hail
        settings:
          profile: web
          jobUri: https://hydra.example.org/job/shop/main/web/
          pollPeriod: 1m
          forklift: ${STAND_IN}
          netrc: { machine: hydra.example.org, login: ci, password: !secret s3cret }
`,
    )
    const config = join(dir, 'xdg')
    await mkdir(join(config, 'forklift'), { recursive: true })
    await writeFile(join(config, 'forklift', 'known_hosts'), await readFile(lab.knownHosts))
    env = { XDG_CONFIG_HOME: config, HOME: dir, SSH_AUTH_SOCK: '' }
  })
  after(async () => {
    await lab?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('converge installs the watcher unit, enables and starts it; a second converge changes nothing', async (t) => {
    if (skip) return t.skip('no systemd rootfs node')
    const node = lab!.nodes[0]!
    const first = await runCli(['converge', '--json'], { cwd: dir, env })
    assert.equal(first.code, 0, first.stdout + first.stderr)
    assert.doesNotMatch(first.stdout, /s3cret/)
    const configure = (JSON.parse(first.stdout) as RunResult).groups[0]!.phases.find(
      (p) => p.phase === 'configure',
    )!
    assert.equal(configure.status, 'changed')

    const state = await node.exec(
      'systemctl is-active forklift-hail-web; systemctl is-enabled forklift-hail-web; cat /run/hail-args; stat -c %a /etc/forklift/hail/forklift-hail-web.netrc; grep -c "password s3cret" /etc/forklift/hail/forklift-hail-web.netrc',
    )
    assert.equal(
      state.stdout,
      'active\nenabled\nhail --profile web --job-uri https://hydra.example.org/job/shop/main/web --netrc-file /etc/forklift/hail/forklift-hail-web.netrc --poll-period 1m\n600\n1\n',
    )

    const second = await runCli(['converge', '--json'], { cwd: dir, env })
    assert.equal(second.code, 0, second.stdout + second.stderr)
    const again = (JSON.parse(second.stdout) as RunResult).groups[0]!.phases.find(
      (p) => p.phase === 'configure',
    )!
    assert.deepEqual(
      again.actions.filter((a) => a.status !== 'ok').map((a) => a.summary),
      [],
    )
  })

  it('installs nothing where the watcher command is missing, and says so', async (t) => {
    if (skip) return t.skip('no systemd rootfs node')
    const node = lab!.nodes[0]!
    const yaml = await readFile(join(dir, 'forklift.yaml'), 'utf8')
    const missing = join(dir, 'missing')
    await mkdir(missing)
    await writeFile(
      join(missing, 'forklift.yaml'),
      yaml
        .replace('profile: web', 'profile: api')
        .replace(`forklift: ${STAND_IN}`, 'forklift: /opt/none/forklift'),
    )
    const run = await runCli(['converge'], { cwd: missing, env })
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(
      run.stdout + run.stderr,
      /\/opt\/none\/forklift is not on this node: install forklift there, or set the hail crate's forklift setting/,
    )
    const left = await node.exec('ls /etc/systemd/system/forklift-hail-api.service 2>&1 || true')
    assert.match(left.stdout, /No such file/)
  })
})
