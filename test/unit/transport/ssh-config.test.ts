import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import {
  jumpChain,
  loadSshConfig,
  parseProxyJump,
  resolveHost,
} from '../../../src/core/transport/ssh-config.js'
import { fixture } from '../../support/paths.js'

const config = await loadSshConfig(fixture('transport', 'ssh_config'))
const env = { home: '/home/u', localUser: 'me' }

describe('ssh config resolution', () => {
  it('applies the first matching value of each key, host patterns and tokens included', () => {
    const web = resolveHost(config, 'web-1', {}, env)
    assert.equal(web.hostname, 'web-1.internal')
    assert.equal(web.port, 2200)
    assert.equal(web.user, 'deploy')
    assert.deepEqual(web.identityFiles, ['/home/u/.ssh/web_key', '/home/u/.ssh/common_deploy'])
    assert.deepEqual(web.proxyJump, [{ host: 'bastion' }])
    assert.equal(web.identitiesOnly, false)
  })

  it('lets a node’s own port and user win over the config', () => {
    const web = resolveHost(config, 'web-1', { port: 22, user: 'root' }, env)
    assert.equal(web.port, 22)
    assert.equal(web.user, 'root')
    assert.deepEqual(web.identityFiles, ['/home/u/.ssh/web_key', '/home/u/.ssh/common_root'])
  })

  it('reads known-hosts files, host key checking, alias, timeout and IdentitiesOnly', () => {
    const db = resolveHost(config, 'db', {}, env)
    assert.deepEqual(db.knownHostsFiles, ['/home/u/.ssh/kh1', '/etc/ssh/kh2'])
    assert.deepEqual(db.globalKnownHostsFiles, ['/etc/ssh/g1', '/home/u/g2'])
    // `none` names no file; unset leaves the defaults to the transport.
    assert.deepEqual(resolveHost(config, 'direct', {}, env).knownHostsFiles, [])
    assert.equal(resolveHost(config, 'direct', {}, env).globalKnownHostsFiles, undefined)
    assert.equal(db.strictHostKeyChecking, 'accept-new')
    assert.equal(db.hostKeyAlias, 'db-alias')
    assert.equal(db.connectTimeoutMs, 7000)
    assert.equal(db.identitiesOnly, true)
    assert.equal(db.user, 'fallback')
  })

  it('falls back to the name itself, port 22 and the local user without a config', () => {
    const bare = resolveHost(undefined, '10.9.8.7', {}, env)
    assert.deepEqual(
      { ...bare },
      {
        alias: '10.9.8.7',
        hostname: '10.9.8.7',
        port: 22,
        user: 'me',
        identityFiles: [],
        identitiesOnly: false,
        proxyJump: [],
      },
    )
  })

  it('treats a missing config file as empty', async () => {
    assert.equal(await loadSshConfig(fixture('transport', 'no-such-config')), undefined)
  })
})

describe('ssh config Include', () => {
  it('reads included files in place, globbed and sorted, relative ones from ~/.ssh', async () => {
    const home = await mkdtemp(join(tmpdir(), 'forklift-sshcfg-'))
    try {
      await mkdir(join(home, '.ssh'))
      await writeFile(join(home, '.ssh', 'extra.conf'), 'Host extra\n  HostName 10.4.0.1\n')
      const main = join(home, '.ssh', 'config')
      await writeFile(
        main,
        `Include ${fixture('transport', 'ssh_config.d')}/*.conf extra.conf missing.conf\nHost *\n  User fallback\n`,
      )
      const config = await loadSshConfig(main, home)
      const app = resolveHost(config, 'app', {}, { home, localUser: 'me' })
      assert.deepEqual([app.hostname, app.port, app.user], ['10.3.0.1', 2022, 'from-include'])
      assert.equal(resolveHost(config, 'extra', {}, { home }).hostname, '10.4.0.1')
      assert.equal(resolveHost(config, 'ignored-not-conf', {}, { home }).hostname, 'ignored-not-conf')
      assert.equal(resolveHost(config, 'other', {}, { home }).user, 'fallback')
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  })
})

describe('ProxyJump', () => {
  it('parses user, host, port, ssh:// and bracketed IPv6 hops, and none', () => {
    assert.deepEqual(parseProxyJump('a, ops@b:2022,ssh://c@d:23,[::1]:2222,e@[fe80::1]'), [
      { host: 'a' },
      { host: 'b', port: 2022, user: 'ops' },
      { host: 'd', port: 23, user: 'c' },
      { host: '::1', port: 2222 },
      { host: 'fe80::1', user: 'e' },
    ])
    assert.deepEqual(parseProxyJump('none'), [])
    assert.throws(() => parseProxyJump('a:b:c'), /bad ProxyJump hop 'a:b:c'/)
  })

  it('resolves each hop through the config, in order', () => {
    const chain = jumpChain(config, resolveHost(config, 'db', {}, env), env)
    assert.deepEqual(
      chain.map((h) => [h.alias, h.hostname, h.user, h.port]),
      [
        ['bastion', '10.1.0.1', 'ops', 22],
        ['hop2', 'hop2', 'ops2', 2022],
      ],
    )
    assert.deepEqual(chain[0]!.identityFiles, ['/keys/bastion', '/home/u/.ssh/common_ops'])
  })

  it('follows the first hop’s own ProxyJump, as ssh does', () => {
    const chain = jumpChain(config, resolveHost(config, 'inner', {}, env), env)
    assert.deepEqual(
      chain.map((h) => h.alias),
      ['bastion', 'middle'],
    )
  })

  it('stops a ProxyJump loop with a clear error', () => {
    assert.throws(
      () => jumpChain(config, resolveHost(config, 'loop-a', {}, env), env),
      /ProxyJump loop at host loop-/,
    )
  })

  it('has no hops for ProxyJump none', () => {
    assert.deepEqual(jumpChain(config, resolveHost(config, 'direct', {}, env), env), [])
  })
})

describe('ssh config as OpenSSH reads it', () => {
  it('a HostName written Hostname is seen by a later Match host; the host dialled is lowercased', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-sshcase-'))
    try {
      await writeFile(
        join(dir, 'config'),
        'Host web-*\n  Hostname %h.example.com\nMatch host *.EXAMPLE.com\n  User deploy\nHost db?\n  Port 2200\n',
      )
      const config = await loadSshConfig(join(dir, 'config'), dir)
      const web = resolveHost(config, 'web-2', {}, { home: dir, localUser: 'me' })
      assert.equal(web.hostname, 'web-2.example.com')
      assert.equal(web.user, 'deploy')
      // Host patterns compare the name as given (WEB-2 is not web-*), but ssh dials it in lower case.
      const upper = resolveHost(config, 'WEB-2', {}, { home: dir, localUser: 'me' })
      assert.deepEqual([upper.hostname, upper.user], ['web-2', 'me'])
      // `?` is exactly one character.
      assert.equal(resolveHost(config, 'db', {}, { home: dir }).port, 22)
      assert.equal(resolveHost(config, 'db1', {}, { home: dir }).port, 2200)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
