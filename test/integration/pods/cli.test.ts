import assert from 'node:assert/strict'
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import { runCli } from '../../support/cli.js'
import { libV1, libV2, podSandbox } from './helpers.js'

// `forklift pod …` through the real CLI, with its own XDG cache.

const { root } = await podSandbox()
const cacheHome = join(root, 'xdg-cache')
const env = {
  XDG_CACHE_HOME: cacheHome,
  npm_config_cache: join(root, 'npm-cache'),
  npm_config_registry: 'http://127.0.0.1:9/',
}
async function pod(...args: string[]) {
  const result = await runCli(['pod', ...args], { env, cwd: root })
  // oclif wraps long error lines: join them back into one.
  return { ...result, stderr: result.stderr.replace(/\s*\n ›\s+/g, ' ') }
}
const setsDir = join(cacheHome, 'forklift', 'pods')

describe('forklift pod', () => {
  before(async () => {
    await mkdir(join(root, 'lib'))
    await writeFile(join(root, 'lib', 'math.mjs'), 'export const add = (a, b) => a + b\n')
  })

  it('eval prints the value; output of the code goes to stderr', async () => {
    const result = await pod('eval', 'console.log("chatter"); [1, 2].map((n) => n * 21)')
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, '[ 21, 42 ]\n')
    assert.match(result.stderr, /chatter/)
  })

  it('eval --json prints JSON, with dependencies from --dep', async () => {
    const result = await pod(
      'eval',
      '--dep',
      libV2,
      '--json',
      'import("fixture-lib").then((m) => ({ version: m.version, when: new Date(0), big: 2n ** 64n }))',
    )
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), {
      version: '2.0.0',
      when: '1970-01-01T00:00:00.000Z',
      big: '18446744073709551616',
    })
  })

  it('call imports MODULE#EXPORT and passes JSON arguments', async () => {
    const greeted = await pod('call', '--dep', libV1, 'fixture-lib#greet', '"cli"')
    assert.equal(greeted.code, 0, greeted.stderr)
    assert.equal(greeted.stdout, 'hello, cli\n')
    const added = await pod('call', '--path', 'lib', './math.mjs#add', '40', '2', '--json')
    assert.equal(added.code, 0, added.stderr)
    assert.equal(added.stdout, '42\n')
  })

  it('reports a failure in one line, exit status 2', async () => {
    const thrown = await pod('eval', 'null.x')
    assert.equal(thrown.code, 2)
    assert.match(
      thrown.stderr,
      /TypeError: Cannot read properties of null \(reading 'x'\) \(at pod-eval:1:6\)$/m,
    )
    assert.doesNotMatch(thrown.stderr, /host\.js|runtime\.js/)
    const badArg = await pod('call', 'node:path#join', '{nope')
    assert.equal(badArg.code, 2)
    assert.match(badArg.stderr, /argument 1 is not JSON/)
    const denied = await pod('eval', 'require("node:fs").readFileSync("/etc/shadow")')
    assert.equal(denied.code, 2)
    assert.match(denied.stderr, /Error: Access to this API has been restricted/)
    const missing = await pod('eval', '--dep', './no-such-folder', '1')
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /dependency "\.\/no-such-folder": .* does not exist/)
  })

  it('a failure reads as a crate failure does: no doubled "Error: Error:", thrown values shown', async () => {
    await writeFile(
      join(root, 'lib', 'bad.mjs'),
      "export function f() {\n  throw new RangeError('no room')\n}\n",
    )
    const cases: [string[], string][] = [
      [['eval', 'throw {}'], 'Error: threw {}'],
      [['eval', 'throw { code: 3 }'], 'Error: threw { code: 3 }'],
      [['eval', 'throw null'], 'Error: threw null'],
      [['eval', 'throw undefined'], 'Error: threw undefined'],
      [['eval', "throw 'the disk is full'"], 'Error: the disk is full'],
      [['eval', "throw new Error('boom')"], 'Error: boom (at pod-eval:1:7)'],
      [['eval', "throw new Error('two\\nlines')"], 'Error: two lines (at pod-eval:1:7)'],
      [['eval', 'process.exit(7)'], 'Error: the pod exited with code 7'],
      [
        ['call', '--path', 'lib', './bad.mjs#f'],
        `Error: RangeError: no room (at file://${join(root, 'lib', 'bad.mjs')}:2:9)`,
      ],
    ]
    for (const [args, line] of cases) {
      const result = await pod(...args)
      assert.equal(result.code, 2, args.join(' '))
      assert.equal(result.stderr, `${line}\n`, args.join(' '))
    }
    // Node 24 adds a sentence of its own to the message.
    const denied = await pod('eval', 'require("node:fs").readFileSync("/etc/shadow")')
    assert.equal(denied.code, 2)
    assert.match(
      denied.stderr,
      /^Error: Access to this API has been restricted(\. Use --allow-fs-read to manage permissions\.)? \(ERR_ACCESS_DENIED, at pod-eval:1:20\)\n$/,
    )
  })

  it('ls lists the cached sets; prune removes them', async () => {
    const listed = await pod('ls')
    assert.equal(listed.code, 0, listed.stderr)
    const lines = listed.stdout.trim().split('\n')
    assert.match(lines[0]!, /^HASH\s+PACKAGES\s+SIZE\s+LAST USED$/)
    assert.ok(
      lines.some((l) =>
        /^[0-9a-f]{12}\s+fixture-lib@1\.0\.0\s+[\d.]+ KB\s+\d{4}-\d\d-\d\d \d\d:\d\d$/.test(l),
      ),
    )
    assert.ok(lines.some((l) => /fixture-lib@2\.0\.0/.test(l)))
    assert.ok(lines.some((l) => /\(none\)/.test(l)))

    const json = JSON.parse((await pod('ls', '--json')).stdout) as { hash: string; packages: unknown[] }[]
    assert.equal(json.length, 3)
    // Age one set by 40 days: only it goes with --older-than 30d.
    const old = json.find((s) => JSON.stringify(s.packages).includes('1.0.0'))!
    const longAgo = new Date(Date.now() - 40 * 86_400_000)
    await utimes(join(setsDir, old.hash, 'forklift-set.json'), longAgo, longAgo)
    const pruned = await pod('prune', '--older-than', '30d')
    assert.equal(pruned.code, 0, pruned.stderr)
    assert.match(pruned.stdout, new RegExp(`^removed ${old.hash.slice(0, 12)}  fixture-lib@1\\.0\\.0$`, 'm'))
    assert.match(pruned.stdout, /1 dependency set removed \([\d.]+ KB\), 2 kept/)
    assert.equal((await readdir(setsDir)).includes(old.hash), false)

    const badAge = await pod('prune', '--older-than', 'soon')
    assert.equal(badAge.code, 2)
    assert.match(badAge.stderr, /--older-than: "soon" is not an age/)

    const all = await pod('prune')
    assert.match(all.stdout, /2 dependency sets removed/)
    assert.equal((await pod('ls')).stdout, 'no dependency sets in the pod cache\n')
  })
})
