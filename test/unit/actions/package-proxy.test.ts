import assert from 'node:assert/strict'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { APK_PROXY_FILE, helperCode } from '../../../src/core/actions/prelude.js'
import { compilePhaseScript } from '../../../src/core/actions/script.js'
import type { Action } from '../../../src/core/actions/types.js'
import { bootstrapPrologue, packageProxyActions } from '../../../src/core/engine/bootstrap.js'
import type { GroupSpec } from '../../../src/core/model/group.js'
import type { Facts, Node } from '../../../src/core/model/node.js'
import { localFacts, runPhase, runScript, statuses, tempDir } from './support.js'

const PROXY = 'http://10.0.0.2:3142'
const facts = (packageManager: Facts['packageManager']): Facts => ({ ...localFacts(), packageManager })
const compile = (actions: Action[], f: Facts) =>
  compilePhaseScript(actions, { facts: f, dryRun: false, nonce: 'abcdef012345' })

const group: GroupSpec = {
  name: 'web',
  provider: 'lab',
  node: { image: {}, hardware: {}, network: { 'inbound-ports': [] }, login: {} },
  crates: [],
  phases: {},
  environment: {
    bootstrap: { 'package-proxy': PROXY, actions: [{ type: 'package', name: 'curl' }] },
  },
}
const node: Node = { id: 'n', name: 'web-1', group: 'web', provider: 'lab', transport: 'ssh', address: 'h' }

describe('bootstrap.package-proxy goes to the node’s own package manager', () => {
  it('apt: an apt.conf.d file, in the compiled script byte for byte', () => {
    const actions = packageProxyActions(PROXY, facts('apt'))
    assert.deepEqual(actions, [
      { type: 'directory', path: '/etc/apt/apt.conf.d' },
      {
        type: 'file',
        path: '/etc/apt/apt.conf.d/01forklift-proxy',
        content: `Acquire::http::Proxy "${PROXY}";\n`,
        mode: '0644',
      },
    ])
    const script = compile(actions, facts('apt'))
    assert.match(script, /P='\/etc\/apt\/apt\.conf\.d\/01forklift-proxy' MO='644'/)
    assert.ok(script.includes(`printf 'Acquire::http::Proxy "${PROXY}";\n'`), script)
  })

  it('dnf and yum: a proxy= line in dnf.conf or yum.conf, replacing one that is there', () => {
    for (const [pm, path] of [
      ['dnf', '/etc/dnf/dnf.conf'],
      ['yum', '/etc/yum.conf'],
    ] as const) {
      const actions = packageProxyActions(PROXY, facts(pm))
      assert.deepEqual(actions, [
        { type: 'line', path, line: `proxy=${PROXY}`, match: '^[[:space:]]*proxy[[:space:]]*=' },
      ])
      const script = compile(actions, facts(pm))
      assert.ok(script.includes(`P='${path}' LN='proxy=${PROXY}'`), script)
    }
  })

  it('dnf: applied to a real dnf.conf, the old proxy goes and a second run changes nothing', async (t) => {
    const dir = await tempDir(t)
    const conf = join(dir, 'dnf.conf')
    await writeFile(conf, '[main]\ngpgcheck=1\nproxy=http://old:3128\n')
    const [action] = packageProxyActions(PROXY, facts('dnf')) as [Action & { type: 'line' }]
    const once = await runPhase([{ ...action, path: conf }])
    assert.deepEqual(statuses(once), ['changed'])
    assert.equal(await readFile(conf, 'utf8'), `[main]\ngpgcheck=1\nproxy=${PROXY}\n`)
    assert.deepEqual(statuses(await runPhase([{ ...action, path: conf }])), ['ok'])
  })

  it('apk: a file Forklift’s apk commands read, since apk itself has no proxy setting', async (t) => {
    const actions = packageProxyActions(PROXY, facts('apk'))
    assert.deepEqual(actions, [
      { type: 'directory', path: '/etc/forklift', mode: '0755' },
      { type: 'file', path: APK_PROXY_FILE, content: `${PROXY}\n`, mode: '0644' },
    ])
    // Every apk command of the package helpers goes through _ak, which reads that very file.
    const code = helperCode(['pk-apk'])
    assert.ok(code.includes(APK_PROXY_FILE))
    assert.doesNotMatch(code, /_xn apk apk|[^_]apk update|\$\(apk /)

    // _ak with a stand-in apk that prints the proxy it was given; the file is moved into the temp folder.
    const dir = await tempDir(t)
    await writeFile(join(dir, 'apk'), '#!/bin/sh\necho "http=$http_proxy https=$https_proxy args=$*"\n')
    await chmod(join(dir, 'apk'), 0o755)
    const file = join(dir, 'package-proxy')
    const ak = code.replaceAll(APK_PROXY_FILE, file)
    const run = (extra: string) => runScript(`PATH=${dir}:$PATH\n${ak}\n${extra}`)
    assert.equal((await run('_ak update')).stdout, 'http= https= args=update\n')
    await writeFile(file, `${PROXY}\n`)
    assert.equal((await run('_ak add curl')).stdout, `http=${PROXY} https=${PROXY} args=add curl\n`)
  })

  it('a node with no package manager Forklift knows is refused, not silently left without', () => {
    assert.throws(
      () => packageProxyActions(PROXY, facts(null)),
      /^Error: bootstrap.package-proxy is set, but the node has no package manager Forklift knows \(apt, dnf, yum, apk\) to give it to$/,
    )
  })

  it('the prologue: admin login, then the proxy for this node, then bootstrap.actions', () => {
    const spec = { ...group, node: { ...group.node, login: { user: 'deploy' } } }
    const types = (f: Facts) => bootstrapPrologue(spec, node, 'ssh-ed25519 AAAA', f).map((a) => a.type)
    assert.deepEqual(types(facts('apt')), ['user', 'directory', 'file', 'package'])
    assert.deepEqual(types(facts('dnf')), ['user', 'line', 'package'])
    assert.deepEqual(types(facts('apk')), ['user', 'directory', 'file', 'package'])
    assert.deepEqual(
      bootstrapPrologue({ ...spec, environment: {} }, node, undefined, facts(null)).map((a) => a.type),
      ['user'],
    )
  })
})
