import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import fc from 'fast-check'
import { jumpChain, loadSshConfig, resolveHost } from '../../../src/core/transport/ssh-config.js'
import { requireTools } from '../../support/require.js'

// Forklift's reading of ~/.ssh/config against OpenSSH's own: generated configs (Host lists with
// negation, Match host/originalhost/user/all, Include, tokens, ProxyJump, first value wins, several
// IdentityFile lines, keywords in any case, host names in any case) resolved by both, field by field.

const { homedir: home, username: localUser } = userInfo()
const dir = mkdtempSync(join(tmpdir(), 'forklift-sshg-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** `ssh -G`'s answer: keyword → values, in order; 'loop' when ssh refuses a ProxyJump that comes back to the host. */
function sshG(config: string, host: string, user?: string): Map<string, string[]> | 'loop' {
  const args = ['-G', '-F', config, ...(user ? ['-l', user] : []), host]
  let out: string
  try {
    out = execFileSync('ssh', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    if (/jumphost loop/.test(String((error as { stderr?: string }).stderr))) return 'loop'
    throw error
  }
  const fields = new Map<string, string[]>()
  for (const line of out.split('\n')) {
    const space = line.indexOf(' ')
    if (space <= 0) continue
    const key = line.slice(0, space)
    fields.set(key, [...(fields.get(key) ?? []), line.slice(space + 1)])
  }
  return fields
}

/** OpenSSH 9.2's -G prints IdentityFile as written: expand it as ssh does when it uses it. */
function expandIdentity(path: string, tokens: { h: string; r: string }): string {
  const expanded = path.replace(/%([%dhru])/g, (_, c: string) =>
    c === '%' ? '%' : c === 'd' ? home : c === 'h' ? tokens.h : c === 'r' ? tokens.r : localUser,
  )
  return expanded.startsWith('~/') ? join(home, expanded.slice(2)) : expanded
}

const defaults = (sshG('/dev/null', 'x') as Map<string, string[]>).get('identityfile') ?? []

/** A keyword written the way people write it: canonical, lower, upper or mixed. */
const spelled = (keyword: string) =>
  fc.constantFrom(
    keyword,
    keyword.toLowerCase(),
    keyword.toUpperCase(),
    [...keyword].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join(''),
  )

const hosts = ['web-1', 'WEB-2', 'Web-2', 'db.example.com', 'DB-3', 'bastion', '10.0.0.5']
const pattern = fc.constantFrom(
  '*',
  'web-*',
  'WEB-*',
  'db*',
  '*.example.com',
  'bastion',
  '?eb-1',
  '10.0.0.*',
  'DB-3',
)
const patternList = fc
  .array(fc.tuple(fc.boolean(), pattern), { minLength: 1, maxLength: 3 })
  .map((l) => l.map(([neg, p]) => (neg ? `!${p}` : p)))

const directive = fc.oneof(
  fc.tuple(
    spelled('HostName'),
    fc.constantFrom('h1.example.com', '%h.example.com', 'DB.Internal', '10.1.1.1', '%h'),
  ),
  fc.tuple(spelled('User'), fc.constantFrom('alice', 'bob', 'root')),
  fc.tuple(spelled('Port'), fc.constantFrom('2200', '2222', '22')),
  fc.tuple(
    spelled('IdentityFile'),
    fc.constantFrom('~/.ssh/id_a', '%d/keys/b', '/keys/%r', '/keys/%u-%%', '/keys/%h'),
  ),
  fc.tuple(spelled('ProxyJump'), fc.constantFrom('bastion', 'alice@bastion:2200', 'jump1,jump2', 'none')),
)
const body = fc.array(directive, { minLength: 1, maxLength: 4 }).map((d) => d.map(([k, v]) => `  ${k} ${v}`))

const header = fc.oneof(
  fc.tuple(spelled('Host'), patternList).map(([k, p]) => `${k} ${p.join(' ')}`),
  fc.tuple(spelled('Match'), fc.constantFrom('all')).map(([k, c]) => `${k} ${c}`),
  fc
    .tuple(spelled('Match'), fc.constantFrom('host', 'originalhost', 'user'), patternList)
    .map(([k, c, p]) => `${k} ${c} ${p.join(',')}`),
  fc
    .tuple(spelled('Match'), patternList, fc.constantFrom('alice', 'root', 'b*'))
    .map(([k, p, u]) => `${k} host ${p.join(',')} user ${u}`),
)
const block = fc.tuple(header, body).map(([h, b]) => [h, ...b].join('\n'))
const blocks = fc.array(block, { minLength: 1, maxLength: 6 })

let case_ = 0
describe('ssh_config resolution agrees with ssh -G', () => {
  it('on generated configs, for host names in any case', async (t) => {
    if (!requireTools(t, 'ssh')) return
    await fc.assert(
      fc.asyncProperty(
        fc.option(blocks, { nil: undefined }),
        fc.array(directive, { maxLength: 3 }),
        blocks,
        fc.constantFrom(...hosts),
        fc.option(fc.constantFrom('alice', 'Bob'), { nil: undefined }),
        async (included, globals, main, host, explicitUser) => {
          const folder = join(dir, String(case_++))
          mkdirSync(folder)
          const lines = globals.map(([k, v]) => `${k} ${v}`)
          if (included) {
            writeFileSync(join(folder, 'inc-1.conf'), `${included.join('\n')}\n`)
            lines.unshift(`Include ${folder}/inc-*.conf`)
          }
          const text = `${[...lines, ...main].join('\n')}\n`
          const file = join(folder, 'config')
          writeFileSync(file, text)
          const theirs = sshG(file, host, explicitUser)
          const config = await loadSshConfig(file, home)
          const ours = resolveHost(config, host, explicitUser ? { user: explicitUser } : {}, {
            home,
            localUser,
          })
          if (theirs === 'loop') {
            // ssh refuses a jump host that leads back to itself; so does Forklift, when it follows the chain.
            assert.throws(() => jumpChain(config, ours, { home, localUser }), /ProxyJump loop/)
            return
          }
          const where = `config:\n${text}${included ? `included:\n${included.join('\n')}\n` : ''}host ${host}${explicitUser ? ` -l ${explicitUser}` : ''}`
          assert.equal(ours.hostname, theirs.get('hostname')![0], `hostname, ${where}`)
          assert.equal(String(ours.port), theirs.get('port')![0], `port, ${where}`)
          assert.equal(ours.user, theirs.get('user')![0], `user, ${where}`)
          const identities = theirs.get('identityfile') ?? []
          assert.deepEqual(
            ours.identityFiles,
            identities.join('\n') === defaults.join('\n')
              ? []
              : identities.map((f) => expandIdentity(f, { h: ours.hostname, r: ours.user })),
            `identityfile, ${where}`,
          )
          const jump = ours.proxyJump
            .map((j) => `${j.user ? `${j.user}@` : ''}${j.host}${j.port ? `:${j.port}` : ''}`)
            .join(',')
          assert.equal(jump, theirs.get('proxyjump')?.[0] ?? '', `proxyjump, ${where}`)
        },
      ),
      { numRuns: 150 },
    )
  })
})
