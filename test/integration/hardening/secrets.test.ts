import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { jsonError, runCli } from '../../support/cli.js'
import { requireSshd, startSshNodes, type TestNodes } from '../../support/nodes.js'

// Generated secrets of every shape (quotes, backslashes, newlines, shell and URL characters, UTF-8,
// 4 to 4096 bytes) go through every output of a run over real SSH — plain lines, --verbose, --json,
// dry-run diffs after a rotation, a failing action's stderr, config errors, crate errors — and no run
// of 6 characters of the secret, nor of its JSON, shell-quoted, URL-encoded or backslash-escaped
// forms, may come out. Secrets shorter than 4 characters are a config error naming the key.

// Every 6-character run of a generated secret holds at least 3 of these, so a run that shows up in
// the output can only have come from the secret, never from Forklift's own words or layout.
const distinctive = fc.constantFrom(
  ...'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789',
  'é',
  'ß',
  'Ω',
  'ж',
  '日',
  '本',
  '🙂',
  '🔑',
)
const special = fc.constantFrom(
  ...`'"\\\n\t $\`%&;|<>/:=+#!?(){}[],.-_~@^`.split(''),
  "'\\''",
  '\\"',
  '\r\n',
  '%2F',
  '\\n',
)
const chunk = fc.tuple(distinctive, fc.option(special, { freq: 2 })).map(([a, b]) => a + (b ?? ''))

/** A secret of at most `bytes` UTF-8 bytes and at least 4 characters. */
function secretOf(minChunks: number, maxChunks: number, bytes = 4096): fc.Arbitrary<string> {
  return fc.array(chunk, { minLength: minChunks, maxLength: maxChunks }).map((chunks) => {
    let out = ''
    for (const c of chunks) {
      if (Buffer.byteLength(out + c) > bytes) break
      out += c
    }
    return out
  })
}

/** The forms a secret may take in output, computed here independently of Forklift's code. */
function forms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1)
  return [
    secret,
    json,
    JSON.stringify(json).slice(1, -1),
    `'${secret.replaceAll("'", `'\\''`)}'`,
    secret.replace(/["\\$`]/g, '\\$&'),
    encodeURIComponent(secret),
  ]
}

/** Fail when any 6-character run of any form of the secret is in the text. */
function assertNoLeak(text: string, secret: string, where: string) {
  for (const form of forms(secret)) {
    for (let i = 0; i + 6 <= form.length; i++) {
      const run = form.slice(i, i + 6)
      if (text.includes(run)) {
        const at = text.indexOf(run)
        assert.fail(
          `${where}: ${JSON.stringify(run)} of the secret ${JSON.stringify(secret.slice(0, 80))} leaked: ` +
            JSON.stringify(text.slice(Math.max(0, at - 80), at + 80)),
        )
      }
    }
  }
}

const crate = `
const shq = (s) => "'" + s.replaceAll("'", "'\\\\''") + "'"
export default {
  phases: {
    configure(ctx) {
      const token = ctx.env.get('token')
      const dir = ctx.env.get('dir')
      const fail = ctx.env.get('fail', false)
      return [
        { type: 'file', path: dir + '/token.conf', content: 'token=' + token + '\\n', mode: '0600' },
        { type: 'exec', script: ': ' + shq(token) + '\\nprintf "%s\\\\n" "$TOKEN"', env: { TOKEN: token } },
        { type: 'exec', script: 'true', unless: 'test ' + shq(token) + ' = x' },
        ...(fail ? [{ type: 'exec', script: 'printf "%s\\\\n" "$TOKEN" >&2; exit 3', env: { TOKEN: token } }] : []),
      ]
    },
    broken(ctx) {
      throw new Error('cannot use ' + ctx.env.get('token'))
    },
    invalid(ctx) {
      return [{ type: 'file', path: 'relative/' + ctx.env.get('token'), content: '' }]
    },
  },
}
`

describe('secrets never leak, whole or in part, through any output', () => {
  let lab: TestNodes
  let dir: string
  let env: NodeJS.ProcessEnv
  let skip = false

  before(async (t) => {
    if (!requireSshd(t as never)) {
      skip = true
      return
    }
    lab = await startSshNodes(undefined, { count: 1 })
    const node = lab.nodes[0]!
    dir = await mkdtemp(join(tmpdir(), 'forklift-secrets-'))
    await mkdir(join(dir, 'crates/keeper'), { recursive: true })
    await mkdir(join(dir, 'target'))
    await writeFile(join(dir, 'crates/keeper/index.js'), crate)
    await writeFile(
      join(dir, 'forklift.yaml'),
      `
environment:
  token: \${env:FORKLIFT_TEST_TOKEN}
  dir: ${join(dir, 'target')}
providers:
  lab:
    type: node-list
    settings:
      nodes:
        - { name: keeper-1, address: "${node.address}", port: ${node.port}, user: root, group: keeper }
groups:
  keeper:
    provider: lab
    login:
      identity-file: ${lab.clientKey}
    crates: [keeper]
`,
    )
    // A second project whose config is wrong where the secret sits.
    await mkdir(join(dir, 'bad'))
    await writeFile(
      join(dir, 'bad', 'forklift.yaml'),
      `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: box
    count: \${env:FORKLIFT_TEST_TOKEN}
    hardware:
      instance-type: "x-\${env:FORKLIFT_TEST_TOKEN}-y"
      cpus: "\${env:FORKLIFT_TEST_TOKEN}"
`,
    )
    const config = join(dir, 'xdg')
    await mkdir(join(config, 'forklift'), { recursive: true })
    await writeFile(join(config, 'forklift', 'known_hosts'), await readFile(lab.knownHosts))
    env = { XDG_CONFIG_HOME: config, HOME: dir, SSH_AUTH_SOCK: '' }
  })
  after(async () => {
    if (skip) return
    await lab?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  /** Every output path for one secret; `old` is the secret it replaces (rotation). */
  async function everyPath(secret: string, old?: string) {
    const run = (args: string[], cwd = dir) =>
      runCli(args, { cwd, env: { ...env, FORKLIFT_TEST_TOKEN: secret } })
    const check = (text: string, where: string) => {
      assertNoLeak(text, secret, where)
      if (old) assertNoLeak(text, old, `${where} (the old secret)`)
    }
    // Rotation: the dry run's diff would show the old value on its `-` line and the new on its `+`.
    const dry = await run(['lift', '--dry-run', '--verbose'])
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    check(dry.stdout + dry.stderr, 'lift --dry-run --verbose')
    if (old) assert.match(dry.stdout, /changed file .*token\.conf: would update content/)
    const lifted = await run(['lift', '--verbose'])
    assert.equal(lifted.code, 0, lifted.stdout + lifted.stderr)
    check(lifted.stdout + lifted.stderr, 'lift --verbose')
    assert.equal(await readFile(join(dir, 'target', 'token.conf'), 'utf8'), `token=${secret}\n`)
    const failed = await run(['lift', '--json', '--set', 'fail=true'])
    assert.equal(failed.code, 1, failed.stdout + failed.stderr)
    check(failed.stdout + failed.stderr, 'lift --json (failing action)')
    const plainFailed = await run(['lift', '--set', 'fail=true'])
    assert.equal(plainFailed.code, 1)
    check(plainFailed.stdout + plainFailed.stderr, 'lift (failing action)')
    for (const phase of ['broken', 'invalid']) {
      for (const json of [[], ['--json']]) {
        const crateError = await run(['lift', '--phase', phase, ...json])
        assert.notEqual(crateError.code, 0)
        check(crateError.stdout + crateError.stderr, `lift --phase ${phase} ${json.join(' ')}`)
      }
    }
    const configError = await run(['lift', '--json'], join(dir, 'bad'))
    assert.equal(configError.code, 2, configError.stdout + configError.stderr)
    assert.match(configError.stderr, /groups\.web\.count/)
    check(configError.stdout + configError.stderr, 'config error')
  }

  it('for generated secrets of every shape, 4 to 4096 bytes', async (t) => {
    if (skip) return t.skip('no sshd')
    const fixed = [
      // The longest, then ones made mostly of the characters escaping changes.
      fc.sample(secretOf(3000, 3000), { numRuns: 1, seed: 7 })[0]!,
      `a'b"c\\d\ne f$g\`h%i`,
      'p4ss',
    ]
    let old: string | undefined
    for (const secret of fixed) {
      await everyPath(secret, old)
      old = secret
    }
    await fc.assert(
      fc.asyncProperty(secretOf(4, 400), async (secret) => {
        await everyPath(secret, old)
        old = secret
      }),
      { numRuns: 5, seed: 12 },
    )
  })

  it('a secret shorter than 4 characters is a config error naming the key', async (t) => {
    if (skip) return t.skip('no sshd')
    for (const secret of ['e', 'ok', 'end']) {
      const result = await runCli(['lift', '--json'], {
        cwd: dir,
        env: { ...env, FORKLIFT_TEST_TOKEN: secret },
      })
      assert.equal(result.code, 2, result.stdout + result.stderr)
      assert.equal(jsonError(result).code, 'CONFIG')
      assert.match(
        result.stderr,
        /environment\.token: \$\{env:FORKLIFT_TEST_TOKEN\} is \d characters? long; secrets must have at least 4/,
      )
    }
  })

  it('a secret that matches Forklift’s own words leaves them alone', async (t) => {
    if (skip) return t.skip('no sshd')
    // Forklift's words (`lift`, `changed`, `keeper`, JSON keys) are labels, never redacted.
    for (const secret of ['lift', 'changed', 'keeper', 'status', 'configure']) {
      const result = await runCli(['lift', '--json'], {
        cwd: dir,
        env: { ...env, FORKLIFT_TEST_TOKEN: secret },
      })
      assert.equal(result.code, 0, result.stdout + result.stderr)
      const report = JSON.parse(result.stdout)
      assert.equal(report.command, 'lift')
      assert.equal(report.groups[0].name, 'keeper')
      assert.equal(report.groups[0].nodes[0].name, 'keeper-1')
      assert.ok(report.groups[0].phases.some((p: { phase: string }) => p.phase === 'configure'))
      assert.ok(
        report.groups[0].phases.every((p: { status: string }) => ['ok', 'changed'].includes(p.status)),
      )
      const plain = await runCli(['lift'], { cwd: dir, env: { ...env, FORKLIFT_TEST_TOKEN: secret } })
      assert.equal(plain.code, 0)
      assert.match(plain.stdout, /forklift +lift: keeper/)
      assert.match(plain.stdout, /keeper-1 +configure (ok|changed) \(/)
      assert.match(plain.stdout, /lift done in/)
    }
  })
})
