import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { describe, it } from 'node:test'
import { FACTS_SCRIPT, parseFacts } from '../../../src/core/facts/index.js'
import { fixture } from '../../support/paths.js'
import { requireTools } from '../../support/require.js'

const read = (name: string) => readFile(fixture('facts', name), 'utf8')

describe('parseFacts', () => {
  it('reads a Debian root login', async () => {
    assert.deepEqual(parseFacts(await read('debian-12-root.txt')), {
      os: { family: 'debian', id: 'debian', version: '12' },
      arch: 'x86_64',
      init: 'systemd',
      packageManager: 'apt',
      user: 'root',
      isRoot: true,
      hostname: 'web-1',
    })
  })

  it('derives the family from ID_LIKE and ignores lines it does not know', async () => {
    const ubuntu = parseFacts(await read('ubuntu-22.04-sudo.txt'))
    assert.deepEqual(
      [ubuntu.os, ubuntu.arch, ubuntu.user, ubuntu.isRoot],
      [{ family: 'debian', id: 'ubuntu', version: '22.04' }, 'aarch64', 'ubuntu', false],
    )
    assert.deepEqual(parseFacts(await read('rocky-9.txt')).os, {
      family: 'redhat',
      id: 'rocky',
      version: '9.3',
    })
    const alpine = parseFacts(await read('alpine-3.19.txt'))
    assert.deepEqual([alpine.os.family, alpine.init, alpine.packageManager], ['alpine', 'openrc', 'apk'])
  })

  it('names what is missing or odd', async () => {
    assert.throws(() => parseFacts(''), /^FactsError: facts: the node printed no facts$/)
    assert.throws(
      () => parseFacts('Welcome to the machine\n'),
      /the node printed no facts, only: Welcome to the machine/,
    )
    const missing = await read('missing-arch.txt')
    const odd = await read('odd-init.txt')
    assert.throws(() => parseFacts(missing), /^FactsError: facts: the node did not report arch$/)
    assert.throws(
      () => parseFacts(odd),
      /facts: init is "upstart", expected one of systemd, sysvinit, openrc, unknown/,
    )
  })

  it('a node without a package manager reports none, which is null', async () => {
    const text = (await read('debian-12-root.txt')).replace('package_manager=apt', 'package_manager=none')
    assert.equal(parseFacts(text).packageManager, null)
  })
})

describe('FACTS_SCRIPT', () => {
  for (const shell of ['dash', 'busybox']) {
    it(`runs under ${shell} on this machine and parses`, (t) => {
      if (!requireTools(t, shell)) return
      const argv = shell === 'busybox' ? ['sh', '-s'] : ['-s']
      const run = spawnSync(shell, argv, { input: FACTS_SCRIPT, encoding: 'utf8' })
      assert.equal(run.status, 0, run.stderr)
      assert.equal(run.stderr, '')
      const facts = parseFacts(run.stdout)
      const release = spawnSync('sh', ['-c', '. /etc/os-release && echo "$ID $VERSION_ID"'], {
        encoding: 'utf8',
      }).stdout.trim()
      assert.equal(`${facts.os.id} ${facts.os.version}`, release)
      assert.equal(facts.arch, spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout.trim())
      assert.equal(facts.hostname, hostname())
      assert.equal(facts.isRoot, process.getuid!() === 0)
      assert.equal(facts.user, spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim())
      assert.ok(['systemd', 'sysvinit', 'openrc', 'unknown'].includes(facts.init))
    })
  }

  it('is read-only POSIX sh that always ends with status 0', () => {
    assert.doesNotMatch(FACTS_SCRIPT, /\bexit\b|\[\[|\$\{[^}]*\/\/|\blocal\b/)
  })
})
