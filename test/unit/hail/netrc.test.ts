import assert from 'node:assert/strict'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { loadNetrc, lookupNetrc, parseNetrc } from '../../../src/core/hail/netrc.js'

describe('netrc', () => {
  it('prefers the exact machine over a default entry listed before it', () => {
    const entries = parseNetrc(
      'default login anon password none\nmachine hydra.example.org login ci password s3cret\n',
    )
    assert.deepEqual(lookupNetrc(entries, 'hydra.example.org'), {
      machine: 'hydra.example.org',
      login: 'ci',
      password: 's3cret',
      line: 2,
    })
    assert.equal(lookupNetrc(entries, 'other.example.org')?.login, 'anon')
  })

  it('matches host names without regard to case and takes the first entry for a host', () => {
    const entries = parseNetrc(
      'machine Hydra.Example.ORG login first\nmachine hydra.example.org login second\n',
    )
    assert.equal(lookupNetrc(entries, 'HYDRA.example.org')?.login, 'first')
    assert.equal(lookupNetrc(entries, 'nowhere'), undefined)
  })

  it('reads tokens across lines, quoted values, comments and skips macro bodies', () => {
    const text = [
      '# credentials',
      'machine a.example login "user name" password "p\\"w d"',
      'macdef init',
      'cd /pub',
      'machine not-a-machine login x',
      '',
      'machine b.example',
      '  login bee # trailing comment',
      '  password bpass',
      '  account acct',
    ].join('\n')
    const entries = parseNetrc(text, '/etc/netrc')
    assert.deepEqual(
      entries.map((e) => [e.machine, e.login, e.password]),
      [
        ['a.example', 'user name', 'p"w d'],
        ['b.example', 'bee', 'bpass'],
      ],
    )
    assert.equal(entries[1]!.account, 'acct')
    assert.equal(entries[1]!.line, 7)
  })

  it('names the file and line of a mistake', () => {
    assert.throws(
      () => parseNetrc('machine a login\n', '/etc/netrc'),
      /^UsageError: \/etc\/netrc:1: "login" needs a value$/,
    )
    assert.throws(() => parseNetrc('login x\n', 'f'), /f:1: "login" before any machine or default/)
    assert.throws(() => parseNetrc('machine a\nusername x\n', 'f'), /f:2: unexpected "username"/)
    assert.throws(() => parseNetrc('machine a login "open\n', 'f'), /f:1: unterminated quoted string/)
  })

  it('warns when the file is readable by others', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-netrc-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const file = join(dir, 'netrc')
    await writeFile(file, 'machine h login l password p\n')
    await chmod(file, 0o644)
    assert.match((await loadNetrc(file)).warning ?? '', /readable by others \(mode 644\); chmod 600 it/)
    await chmod(file, 0o600)
    assert.equal((await loadNetrc(file)).warning, undefined)
    await assert.rejects(loadNetrc(join(dir, 'missing')), /netrc file .*missing: ENOENT/)
  })
})
