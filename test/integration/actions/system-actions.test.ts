import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { compilePhaseScript, parsePhaseOutput, prepareActions } from '../../../src/core/actions/script.js'
import type { Action } from '../../../src/core/actions/types.js'
import { FACTS_SCRIPT, parseFacts } from '../../../src/core/facts/index.js'
import type { Facts } from '../../../src/core/model/node.js'
import type { ActionResult } from '../../../src/core/model/results.js'
import { requireRootfs, startRootfsNodes, type TestNode, type TestNodes } from '../../support/nodes.js'
import { requireTools } from '../../support/require.js'

// Package, user, group and service actions for real, as root over SSH, on nodes that each have their
// own Debian root filesystem. Packages come from an apt repository this test builds and serves on
// loopback (the nodes share the host's network), so no outside network is used.

const run = promisify(execFile)

interface Phase {
  results: ActionResult[]
  byIndex: (i: number) => ActionResult
}

const factsCache = new Map<TestNode, Facts>()

/** One phase on a node as the engine does it: facts, prepare, one script over one ssh channel, parse. */
async function phase(node: TestNode, actions: Action[], dryRun = false): Promise<Phase> {
  let facts = factsCache.get(node)
  if (!facts) {
    const answer = await node.exec(FACTS_SCRIPT)
    facts = parseFacts(answer.stdout)
    factsCache.set(node, facts)
  }
  const prepared = await prepareActions(actions, { baseDir: '/', templateData: {} })
  const nonce = randomBytes(8).toString('hex')
  const script = compilePhaseScript(prepared, { facts, dryRun, nonce })
  const output = await node.exec(script)
  const results = parsePhaseOutput(output.stdout, output.stderr, output.code, prepared, nonce)
  return { results, byIndex: (i) => results[i]! }
}

const statuses = (p: Phase) => p.results.map((r) => r.status)
const show = (p: Phase) => JSON.stringify(p.results, null, 1)
const sh = async (node: TestNode, script: string) => (await node.exec(script)).stdout

/**
 * A flat apt repository on loopback, with a tiny package built here; publish() replaces its version.
 * Signed, it also serves InRelease, clear-signed with a key made for it (publicKey, ASCII-armored).
 */
async function aptRepository(options: { signed?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'forklift-apt-'))
  const gpg = (...args: string[]) =>
    run('gpg', ['--batch', '--homedir', join(dir, 'gnupg'), ...args], { maxBuffer: 1 << 20 })
  let publicKey = ''
  if (options.signed) {
    await mkdir(join(dir, 'gnupg'), { mode: 0o700 })
    await gpg(
      '--passphrase',
      '',
      '--quick-gen-key',
      'Forklift Test <tests@forklift.invalid>',
      'ed25519',
      'sign',
      'never',
    )
    publicKey = (await gpg('--armor', '--export')).stdout
  }
  let files = new Map<string, { body: Buffer; modified: string }>()
  let stamp = 0
  const publish = async (version: string) => {
    const root = join(dir, `pkg-${version}`)
    await mkdir(join(root, 'DEBIAN'), { recursive: true })
    await mkdir(join(root, 'usr/share/forklift-hello'), { recursive: true })
    await writeFile(join(root, 'usr/share/forklift-hello/hello.txt'), `hello ${version}\n`)
    const control = [
      'Package: forklift-hello',
      `Version: ${version}`,
      'Architecture: all',
      'Maintainer: Forklift tests <tests@forklift.invalid>',
      'Description: a package for forklift tests',
      '',
    ].join('\n')
    await writeFile(join(root, 'DEBIAN/control'), control)
    const deb = join(dir, `forklift-hello_${version}_all.deb`)
    await run('dpkg-deb', ['--root-owner-group', '--build', root, deb])
    const body = await readFile(deb)
    const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')
    const packages = Buffer.from(
      `${control.trimEnd()}\nFilename: ./${deb.split('/').pop()}\nSize: ${body.length}\nSHA256: ${sha(body)}\n\n`,
    )
    const release = Buffer.from(
      `Date: ${new Date().toUTCString()}\nSHA256:\n ${sha(packages)} ${packages.length} Packages\n`,
    )
    // HTTP dates have whole seconds: each version gets a later one.
    stamp = Math.max(Date.now(), stamp + 1000)
    const modified = new Date(stamp).toUTCString()
    if (options.signed) {
      await writeFile(join(dir, 'Release'), release)
      await gpg('--yes', '--clearsign', '--output', join(dir, 'InRelease'), join(dir, 'Release'))
    }
    files = new Map([
      ...(options.signed
        ? [['/InRelease', { body: await readFile(join(dir, 'InRelease')), modified }] as const]
        : []),
      ['/Release', { body: release, modified }],
      ['/Packages', { body: packages, modified }],
      [`/${deb.split('/').pop()}`, { body, modified }],
    ])
  }
  // Answers If-Modified-Since like a real mirror, so an unchanged index is a `Hit` for apt.
  const server: Server = createServer((request, response) => {
    const file = files.get(new URL(request.url ?? '/', 'http://repo').pathname)
    if (!file) return void response.writeHead(404).end()
    const since = request.headers['if-modified-since']
    if (since && Date.parse(since) >= Date.parse(file.modified)) return void response.writeHead(304).end()
    response
      .writeHead(200, { 'last-modified': file.modified, 'content-length': file.body.length })
      .end(file.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    uri: `http://127.0.0.1:${port}/`,
    publicKey,
    publish,
    async stop() {
      await new Promise((resolve) => server.close(resolve))
      // gpg may have started an agent for the key; it goes with its home.
      if (options.signed)
        await run('gpgconf', ['--homedir', join(dir, 'gnupg'), '--kill', 'all']).catch(() => {})
      await rm(dir, { recursive: true, force: true })
    },
  }
}

describe('system actions on Debian nodes over SSH', () => {
  let lab: TestNodes | undefined
  let repo: Awaited<ReturnType<typeof aptRepository>> | undefined
  let a: TestNode
  let b: TestNode

  after(async () => {
    await lab?.stop()
    await repo?.stop()
  })

  const ready = async (t: Parameters<typeof requireRootfs>[0]) => {
    if (!requireRootfs(t) || !requireTools(t, 'dpkg-deb')) return false
    if (!lab) {
      lab = await startRootfsNodes(undefined, { count: 2, prefix: 'sys' })
      ;[a, b] = lab.nodes as [TestNode, TestNode]
    }
    return true
  }

  it('facts: Debian 12 with apt, as root, without systemd running', async (t) => {
    if (!(await ready(t))) return
    const facts = parseFacts((await a.exec(FACTS_SCRIPT)).stdout)
    assert.deepEqual(
      [facts.os, facts.packageManager, facts.isRoot, facts.user, facts.init],
      [{ family: 'debian', id: 'debian', version: '12' }, 'apt', true, 'root', 'sysvinit'],
    )
  })

  it('package-source, package-update and package: installed on A only, from a loopback repository', async (t) => {
    if (!(await ready(t))) return
    repo = await aptRepository()
    await repo.publish('1.0')
    // Only the test's repository: apt must not reach outside.
    await a.exec('rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*')
    const source: Action = {
      type: 'package-source',
      name: 'forklift-test',
      apt: { uri: repo.uri, suite: './', trusted: true },
    }
    const pkg: Action = { type: 'package', name: 'forklift-hello' }

    const dry = await phase(a, [source, pkg], true)
    assert.deepEqual(statuses(dry), ['changed', 'changed'], show(dry))
    assert.equal(dry.byIndex(1).message, 'would install')
    assert.equal(await sh(a, 'ls /etc/apt/sources.list.d/'), '')

    const first = await phase(a, [source, pkg])
    assert.deepEqual(statuses(first), ['changed', 'changed'], show(first))
    assert.equal(first.byIndex(0).message, 'wrote the source')
    assert.equal(
      await sh(a, 'cat /etc/apt/sources.list.d/forklift-test.list'),
      `deb [trusted=yes] ${repo.uri} ./\n`,
    )
    assert.equal(await sh(a, 'cat /usr/share/forklift-hello/hello.txt'), 'hello 1.0\n')
    assert.equal((await b.exec('dpkg-query -W forklift-hello')).code, 1, 'node B is untouched')
    assert.equal(await sh(b, 'ls /etc/apt/sources.list.d/'), '')

    const again = await phase(a, [source, { type: 'package-update' }, { type: 'package-update' }, pkg])
    assert.deepEqual(statuses(again), ['ok', 'ok', 'ok', 'ok'], show(again))
    assert.equal(again.byIndex(1).message, 'package index already up to date')
    assert.equal(again.byIndex(2).message, 'already refreshed in this run')
  })

  it('package latest upgrades to a new version once; absent removes it', async (t) => {
    if (!(await ready(t)) || !repo) return t.skip('needs the repository of the previous test')
    await repo.publish('2.0')
    const latest = await phase(a, [
      { type: 'package-update' },
      { type: 'package', name: ['forklift-hello'], state: 'latest' },
    ])
    assert.deepEqual(statuses(latest), ['changed', 'changed'], show(latest))
    assert.equal(latest.byIndex(0).message, 'refreshed the package index')
    assert.equal(await sh(a, 'cat /usr/share/forklift-hello/hello.txt'), 'hello 2.0\n')
    const still = await phase(a, [{ type: 'package', name: 'forklift-hello', state: 'latest' }])
    assert.deepEqual(statuses(still), ['ok'], show(still))
    const removed = await phase(a, [{ type: 'package', name: 'forklift-hello', state: 'absent' }])
    assert.deepEqual(statuses(removed), ['changed'], show(removed))
    assert.equal((await a.exec('test -e /usr/share/forklift-hello/hello.txt')).code, 1)
  })

  it('an apt source with its key: signed-by verifies the repository, a wrong key is refused', async (t) => {
    if (!(await ready(t)) || !requireTools(t, 'gpg')) return
    const signed = await aptRepository({ signed: true })
    const other = await aptRepository({ signed: true })
    t.after(() => Promise.all([signed.stop(), other.stop()]))
    await signed.publish('3.0')
    await other.publish('3.0')
    await b.exec('rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*')
    const source = (key: string): Action => ({
      type: 'package-source',
      name: 'signed',
      apt: { uri: signed.uri, suite: './', key },
    })

    const good = await phase(b, [
      source(signed.publicKey),
      { type: 'package-update' },
      { type: 'package', name: 'forklift-hello' },
    ])
    assert.deepEqual(statuses(good), ['changed', 'changed', 'changed'], show(good))
    assert.equal(good.byIndex(0).message, 'wrote the key, wrote the source')
    assert.equal(
      await sh(
        b,
        'cat /etc/apt/sources.list.d/signed.list; stat -c %a /etc/apt/keyrings/signed.asc; cat /usr/share/forklift-hello/hello.txt',
      ),
      `deb [signed-by=/etc/apt/keyrings/signed.asc] ${signed.uri} ./\n644\nhello 3.0\n`,
    )
    assert.deepEqual(statuses(await phase(b, [source(signed.publicKey)])), ['ok'])

    // Another repository, signed by another key, given this one's key: apt refuses it.
    const mismatch: Action = {
      type: 'package-source',
      name: 'mismatch',
      apt: { uri: other.uri, suite: './', key: signed.publicKey },
    }
    const wrong = await phase(b, [mismatch, { type: 'package-update' }])
    assert.deepEqual(statuses(wrong), ['changed', 'failed'], show(wrong))
    assert.match(wrong.byIndex(1).message, /^refreshing the package index failed \(exit 100\): /)
    assert.match(wrong.byIndex(1).output ?? '', /NO_PUBKEY|not signed|signatures couldn't be verified/)
    await phase(b, [
      { type: 'package-source', name: 'mismatch', state: 'absent' },
      { type: 'package', name: 'forklift-hello', state: 'absent' },
    ])
  })

  it('group: created with a gid, ok again, gid changed, removed', async (t) => {
    if (!(await ready(t))) return
    const group = (extra: Partial<Extract<Action, { type: 'group' }>> = {}): Action => ({
      type: 'group',
      name: 'ops',
      gid: 2345,
      ...extra,
    })
    assert.deepEqual(statuses(await phase(a, [group()])), ['changed'])
    assert.equal(await sh(a, 'getent group ops'), 'ops:x:2345:\n')
    assert.deepEqual(statuses(await phase(a, [group()])), ['ok'])
    const moved = await phase(a, [group({ gid: 2346 })])
    assert.equal(moved.byIndex(0).message, 'changed gid')
    assert.equal(await sh(a, 'getent group ops'), 'ops:x:2346:\n')
    assert.deepEqual(statuses(await phase(a, [group({ state: 'absent' })])), ['changed'])
    assert.equal((await a.exec('getent group ops')).code, 2)
    assert.deepEqual(statuses(await phase(a, [group({ state: 'absent' })])), ['ok'])
  })

  it('user: login with its authorized key, supplementary groups and passwordless sudo', async (t) => {
    if (!(await ready(t))) return
    const user: Action = {
      type: 'user',
      name: 'alice',
      shell: '/bin/sh',
      groups: ['adm', 'staff'],
      authorizedKeys: [lab!.clientPublicKey],
      sudo: true,
    }
    const dry = await phase(a, [user], true)
    assert.deepEqual([dry.byIndex(0).status, dry.byIndex(0).message], ['changed', 'would create'])
    assert.equal((await a.exec('id alice')).code, 1)

    const first = await phase(a, [{ type: 'group', name: 'alice' }, user])
    assert.deepEqual(statuses(first), ['changed', 'changed'], show(first))
    assert.equal(first.byIndex(1).message, 'created, wrote authorized keys, granted passwordless sudo')
    assert.equal(await sh(a, 'id -gn alice; id -Gn alice'), 'alice\nalice adm staff\n')
    assert.equal(
      await sh(
        a,
        'stat -c "%U %a" ~alice/.ssh ~alice/.ssh/authorized_keys /etc/sudoers.d/alice; cat ~alice/.ssh/authorized_keys',
      ),
      `alice 700\nalice 600\nroot 440\n${lab!.clientPublicKey}\n`,
    )
    // The real thing: alice logs in with the key and becomes root without a password.
    assert.equal((await a.exec('id -un; sudo -n id -un', { user: 'alice' })).stdout, 'alice\nroot\n')

    assert.deepEqual(statuses(await phase(a, [user])), ['ok'])
    const fewer = await phase(a, [{ ...user, groups: ['staff'], sudo: false, authorizedKeys: [] } as Action])
    assert.equal(fewer.byIndex(0).message, 'changed groups, wrote authorized keys, revoked sudo')
    assert.equal(await sh(a, 'id -Gn alice; cat ~alice/.ssh/authorized_keys'), 'alice staff\n')
    assert.equal((await a.exec('test -e /etc/sudoers.d/alice')).code, 1)
    const gone = await phase(a, [{ type: 'user', name: 'alice', state: 'absent' }])
    assert.deepEqual(statuses(gone), ['changed'])
    assert.equal((await a.exec('id alice')).code, 1)
  })

  const initScript = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          forklift-demo
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: forklift test daemon
### END INIT INFO
PID=/run/forklift-demo.pid
running() { [ -f $PID ] && kill -0 "$(cat $PID)" 2>/dev/null; }
case "$1" in
start) running && exit 0; echo start >> /var/log/forklift-demo.log
  sleep 100000 </dev/null >/dev/null 2>&1 & echo $! > $PID ;;
stop) running && kill "$(cat $PID)"; rm -f $PID; echo stop >> /var/log/forklift-demo.log ;;
restart) "$0" stop; "$0" start ;;
reload) echo reload >> /var/log/forklift-demo.log ;;
status) running ;;
*) exit 2 ;;
esac
`

  it('service with an init script: started and enabled, then ok; notify restarts only after a change', async (t) => {
    if (!(await ready(t))) return
    const script: Action = {
      type: 'file',
      path: '/etc/init.d/forklift-demo',
      content: initScript,
      mode: '0755',
    }
    const conf = (value: string): Action => ({
      type: 'file',
      id: 'conf',
      path: '/etc/forklift-demo.conf',
      content: value,
    })
    const service: Action = { type: 'service', name: 'forklift-demo', state: 'started', enabled: true }
    const restart: Action = { type: 'service', name: 'forklift-demo', notify: ['conf'] }
    const log = () => sh(a, 'cat /var/log/forklift-demo.log')

    const first = await phase(a, [script, service])
    assert.deepEqual(statuses(first), ['changed', 'changed'], show(first))
    assert.equal(first.byIndex(1).message, 'enabled, started')
    assert.equal((await a.exec('/etc/init.d/forklift-demo status')).code, 0)
    assert.match(await sh(a, 'ls /etc/rc2.d'), /^S\d\dforklift-demo$/m)
    assert.deepEqual(statuses(await phase(a, [script, service])), ['ok', 'ok'])

    const changed = await phase(a, [conf('v1\n'), restart])
    assert.deepEqual(statuses(changed), ['changed', 'changed'], show(changed))
    assert.equal(changed.byIndex(1).message, 'restarted')
    assert.equal(await log(), 'start\nstop\nstart\n')
    const quiet = await phase(a, [conf('v1\n'), restart])
    assert.deepEqual(statuses(quiet), ['ok', 'ok'])
    assert.equal(quiet.byIndex(1).message, 'running; not restarted (no notifying action changed)')
    assert.equal(await log(), 'start\nstop\nstart\n')

    const stopped = await phase(a, [
      { type: 'service', name: 'forklift-demo', state: 'stopped', enabled: false },
    ])
    assert.equal(stopped.byIndex(0).message, 'disabled, stopped')
    assert.equal((await a.exec('/etc/init.d/forklift-demo status')).code, 1)
    assert.doesNotMatch(await sh(a, 'ls /etc/rc2.d'), /^S\d\dforklift-demo$/m)
  })
})

describe('service actions under systemd', () => {
  let lab: TestNodes | undefined
  after(() => lab?.stop())

  it('a unit: started and enabled, ok again, restarted through notify only after a change, stopped', async (t) => {
    if (!requireRootfs(t, { systemd: true })) return
    lab = await startRootfsNodes(undefined, { count: 1, systemd: true, prefix: 'sysd' })
    const node = lab.nodes[0]!
    const facts = parseFacts((await node.exec(FACTS_SCRIPT)).stdout)
    assert.equal(facts.init, 'systemd')

    const unit = (description: string): Action => ({
      type: 'file',
      id: 'unit',
      path: '/etc/systemd/system/forklift-demo.service',
      content: `[Unit]\nDescription=${description}\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n`,
    })
    const service: Action = { type: 'service', name: 'forklift-demo', state: 'started', enabled: true }
    const restart: Action = { type: 'service', name: 'forklift-demo', notify: ['unit'] }
    const invocation = () => sh(node, 'systemctl show -p InvocationID --value forklift-demo')

    const first = await phase(node, [unit('first'), service, restart])
    assert.deepEqual(statuses(first), ['changed', 'changed', 'changed'], show(first))
    assert.equal(first.byIndex(1).message, 'enabled, started')
    assert.equal(
      await sh(node, 'systemctl is-active forklift-demo; systemctl is-enabled forklift-demo'),
      'active\nenabled\n',
    )

    const before = await invocation()
    const quiet = await phase(node, [unit('first'), service, restart])
    assert.deepEqual(statuses(quiet), ['ok', 'ok', 'ok'], show(quiet))
    assert.equal(await invocation(), before, 'not restarted')

    const edited = await phase(node, [unit('second'), service, restart])
    assert.deepEqual(statuses(edited), ['changed', 'ok', 'changed'], show(edited))
    assert.equal(edited.byIndex(2).message, 'restarted')
    assert.notEqual(await invocation(), before)
    assert.equal(
      await sh(node, 'systemctl show -p Description --value forklift-demo'),
      'second\n',
      'the changed unit was reloaded',
    )

    const stopped = await phase(node, [
      { type: 'service', name: 'forklift-demo', state: 'stopped', enabled: false },
    ])
    assert.equal(stopped.byIndex(0).message, 'disabled, stopped')
    assert.equal((await node.exec('systemctl is-active forklift-demo')).code, 3)
  })
})
