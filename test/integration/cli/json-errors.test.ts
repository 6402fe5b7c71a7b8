import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type CliResult, runCli } from '../../support/cli.js'

// Every command that prints JSON reports any error, under --json, as one JSON object on stdout
// ({"error": {"message", "code", "exitCode"}}, plus "hint" when there is one) and nothing else there,
// with the exit status it has without --json; the `Error:` line it shows without --json is on stderr
// either way, with no stack. Config, usage, provider (ProviderError and a plain Error from a plugin), crate and pod
// errors, and oclif's own parse errors.

interface Expected {
  code: string
  exitCode: number
  /** The whole message, or a pattern it matches. */
  message: string | RegExp
  hint?: string
}

const STACK = /^\s+at /m

/** stdout is exactly one JSON object, `{"error": …}`, as expected. */
function assertJsonError(result: CliResult, expected: Expected, what: string): void {
  const context = `${what}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`
  assert.equal(result.code, expected.exitCode, context)
  let parsed: { error: Record<string, unknown> }
  try {
    parsed = JSON.parse(result.stdout)
  } catch {
    assert.fail(`stdout is not one JSON document: ${context}`)
  }
  // Nothing else on stdout: it is that document, pretty (a document) or on one line (a log stream).
  assert.ok(
    result.stdout === `${JSON.stringify(parsed, null, 2)}\n` ||
      result.stdout === `${JSON.stringify(parsed)}\n`,
    context,
  )
  assert.deepEqual(Object.keys(parsed), ['error'], context)
  const keys = ['message', 'code', 'exitCode', ...(expected.hint !== undefined ? ['hint'] : [])]
  assert.deepEqual(Object.keys(parsed.error), keys, context)
  assert.equal(parsed.error.code, expected.code, context)
  assert.equal(parsed.error.exitCode, expected.exitCode, context)
  if (expected.hint !== undefined) assert.equal(parsed.error.hint, expected.hint, context)
  if (typeof expected.message === 'string') assert.equal(parsed.error.message, expected.message, context)
  else assert.match(parsed.error.message as string, expected.message, context)
  // The terminal still shows it: the same line as without --json, on stderr.
  assert.ok(result.stderr.includes(`Error: ${parsed.error.message}\n`), context)
  assert.doesNotMatch(result.stderr, STACK, context)
}

/** Without --json: nothing on stdout, `Error: MESSAGE` (and the hint) on stderr, no stack. */
function assertTextError(result: CliResult, expected: Expected, what: string): void {
  const context = `${what}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`
  assert.equal(result.code, expected.exitCode, context)
  assert.equal(result.stdout, '', context)
  assert.doesNotMatch(result.stderr, STACK, context)
  const hint = expected.hint !== undefined ? `Hint: ${expected.hint}\n` : ''
  if (typeof expected.message === 'string') assert.equal(result.stderr, `Error: ${expected.message}\n${hint}`)
  else {
    assert.match(result.stderr, /^Error: /, context)
    assert.ok(result.stderr.endsWith(`\n${hint}`), context)
    assert.match(result.stderr.slice('Error: '.length, -1 - hint.length), expected.message, context)
  }
}

describe('errors under --json', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  const cli = (args: string[], cwd?: string) => runCli(args, { env, ...(cwd ? { cwd } : {}) })
  const project = async (name: string, yaml: string) => {
    await mkdir(join(dir, name))
    await writeFile(join(dir, name, 'forklift.yaml'), yaml)
    return join(dir, name)
  }
  /** The same error with and without --json. */
  const both = async (args: string[], cwd: string | undefined, expected: Expected) => {
    const what = `forklift ${args.join(' ')}`
    assertJsonError(await cli([...args, '--json'], cwd), expected, `${what} --json`)
    assertTextError(await cli(args, cwd), expected, what)
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-json-errors-'))
    env = {
      FORKLIFT_DATA_DIR: join(dir, 'oclif', 'data'),
      FORKLIFT_CONFIG_DIR: join(dir, 'oclif', 'config'),
      FORKLIFT_CACHE_DIR: join(dir, 'oclif', 'cache'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      XDG_STATE_HOME: join(dir, 'state'),
      DEBUG: '',
    }
    // A plugin whose provider fails in `create`: with Forklift's ProviderError (and a hint), or a plain Error.
    const plugin = join(dir, 'forklift-provider-thrower')
    await mkdir(plugin)
    await writeFile(
      join(plugin, 'package.json'),
      `${JSON.stringify({
        name: 'forklift-provider-thrower',
        version: '0.1.0',
        type: 'module',
        oclif: {},
        forklift: { providers: { thrower: './index.js', unbuilt: './dist/index.js' } },
      })}\n`,
    )
    await writeFile(
      join(plugin, 'index.js'),
      `import { defineProvider, ProviderError, z } from 'forklift'

export default defineProvider({
  type: 'thrower',
  description: 'Fails as told',
  canCreate: false,
  settingsSchema: z.object({ throw: z.enum(['provider', 'plain']) }).strict(),
  async create(context) {
    if (context.settings.throw === 'provider')
      throw new ProviderError('rack r1 refused the API key', { hint: 'check settings.api-key' })
    throw new Error('socket hang up')
  },
})
`,
    )
    const link = await cli(['plugins', 'link', '--no-install', plugin])
    assert.equal(link.code, 0, link.stderr)
  })
  after(() => rm(dir, { recursive: true, force: true }))

  const here = 'providers:\n  here: { type: local }\n'

  for (const command of ['lift', 'converge', 'nodes']) {
    describe(command, () => {
      it('a config error: exit 2, code CONFIG, naming file, line and key', async () => {
        const cwd = await project(
          `config-${command}`,
          `${here}groups:\n  web: { provider: here, count: lots }\n`,
        )
        await both([command], cwd, {
          code: 'CONFIG',
          exitCode: 2,
          message: 'forklift.yaml:4:33: groups.web.count: expected a whole number ≥ 0, got "lots"',
        })
      })

      it('a usage error (an unknown group): exit 2, code USAGE', async () => {
        const cwd = await project(`usage-${command}`, `${here}groups:\n  web: { provider: here }\n`)
        await both([command, 'nope'], cwd, {
          code: 'USAGE',
          exitCode: 2,
          message: `no group "nope" in ${join(cwd, 'forklift.yaml')}; groups: web`,
        })
      })

      it("oclif's parse error (an unknown flag): exit 2, code USAGE", async () => {
        const cwd = await project(`parse-${command}`, `${here}groups:\n  web: { provider: here }\n`)
        await both([command, '--bogus'], cwd, {
          code: 'USAGE',
          exitCode: 2,
          message: `unknown flag --bogus; see forklift ${command} --help`,
        })
      })

      it("a plugin's ProviderError: exit 2, code PROVIDER, with its hint", async () => {
        const cwd = await project(
          `provider-${command}`,
          'providers:\n  rack: { type: thrower, settings: { throw: provider } }\ngroups:\n  web: { provider: rack }\n',
        )
        await both([command], cwd, {
          code: 'PROVIDER',
          exitCode: 2,
          message: 'rack r1 refused the API key',
          hint: 'check settings.api-key',
        })
      })

      it("a plugin's plain Error: exit 1, code UNEXPECTED, one line and no stack", async () => {
        const cwd = await project(
          `plain-${command}`,
          'providers:\n  rack: { type: thrower, settings: { throw: plain } }\ngroups:\n  web: { provider: rack }\n',
        )
        await both([command], cwd, { code: 'UNEXPECTED', exitCode: 1, message: 'socket hang up' })
      })

      it('a crate error (a crate that is nowhere): exit 2, code CRATE', async () => {
        const cwd = await project(
          `crate-${command}`,
          `${here}groups:\n  web: { provider: here, crates: [missing] }\n`,
        )
        await both([command], cwd, {
          code: 'CRATE',
          exitCode: 2,
          message: /^crate "missing" not found; searched: .*\/crates$/,
        })
      })
    })
  }

  it('providers: an unknown type, and an unknown flag', async () => {
    await both(['providers', 'nope'], undefined, {
      code: 'USAGE',
      exitCode: 2,
      message: /^unknown provider type "nope"; installed: ec2, local, node-list, thrower, unbuilt, vagrant$/,
    })
    await both(['providers', '--bogus'], undefined, {
      code: 'USAGE',
      exitCode: 2,
      message: 'unknown flag --bogus; see forklift providers --help',
    })
  })

  it('pod ls, pod prune, pod call, pod eval: usage errors', async () => {
    await both(['pod', 'ls', '--bogus'], undefined, {
      code: 'USAGE',
      exitCode: 2,
      message: 'unknown flag --bogus; see forklift pod ls --help',
    })
    await both(['pod', 'prune', '--older-than', 'soon'], undefined, {
      code: 'USAGE',
      exitCode: 2,
      message: '--older-than: "soon" is not an age: write a number and s, m, h, d or w (e.g. 30d)',
    })
    await both(['pod', 'call', 'node:path#join', 'notjson'], undefined, {
      code: 'USAGE',
      exitCode: 2,
      message: /^argument 1 is not JSON \(.*\): notjson$/,
    })
    await both(['pod', 'eval'], undefined, { code: 'USAGE', exitCode: 2, message: /^Missing 1 required arg/ })
  })

  it('pod eval: code that throws in the pod, exit 2, code POD', async () => {
    const args = ['pod', 'eval', '--sandbox', 'node-only', 'throw new RangeError("too far")']
    const json = await cli([...args, '--json'])
    assertJsonError(
      json,
      { code: 'POD', exitCode: 2, message: /^RangeError: too far( \(at .*\))?$/ },
      'pod eval',
    )
    const text = await cli(args)
    assert.equal(text.code, 2, text.stderr)
    assert.equal(text.stdout, '')
    assert.match(text.stderr, /^Error: RangeError: too far( \(at .*\))?$/m)
    assert.doesNotMatch(text.stderr, STACK)
  })

  it('hail, hail status, hail rollback: config and usage errors (hail logs JSON lines: one line)', async () => {
    const state = join(dir, 'hail-state')
    const hail = await cli(['hail', '--profile', 'web', '--state-dir', state, '--json'])
    assertJsonError(
      hail,
      { code: 'USAGE', exitCode: 2, message: '--job-uri is required (or use --source manifest --url URL)' },
      'hail',
    )
    assert.equal(hail.stdout.split('\n').length, 2, 'one line')
    await both(['hail', '--profile', 'web', '--state-dir', state], undefined, {
      code: 'USAGE',
      exitCode: 2,
      message: '--job-uri is required (or use --source manifest --url URL)',
    })
    await both(['hail', 'status'], undefined, {
      code: 'USAGE',
      exitCode: 2,
      message: /Missing required flag profile/,
    })
    await both(['hail', 'status', '--profile', 'web', '--state-dir', state], undefined, {
      code: 'USAGE',
      exitCode: 2,
      message: `no status for profile web in ${state}: no watcher has run with this --state-dir`,
    })
    await both(
      ['hail', 'rollback', '--profile', 'web', '--profiles-dir', join(dir, 'profiles'), '--state-dir', state],
      undefined,
      {
        code: 'USAGE',
        exitCode: 2,
        message: `profile ${join(dir, 'profiles', 'web')} does not exist: nothing to roll back`,
      },
    )
  })

  it("hail unit's --json is the unit's, not an output format: its errors stay on stderr", async () => {
    const result = await cli(['hail', 'unit', '--profile', 'web', '--json'])
    assert.equal(result.code, 2)
    assert.equal(result.stdout, '')
    assert.equal(result.stderr, 'Error: --job-uri is required (or use --source manifest --url URL)\n')
  })

  it('a command that printed its JSON document and then fails keeps stdout that one document', async () => {
    const result = await cli(['providers', 'unbuilt', '--json'])
    assert.equal(result.code, 2, result.stderr)
    const rows = JSON.parse(result.stdout) as { type: string; error?: string }[]
    assert.deepEqual(
      rows.map((r) => r.type),
      ['unbuilt'],
    )
    assert.match(rows[0]!.error!, /dist\/index\.js does not exist/)
    assert.match(
      result.stderr,
      /^Error: plugin forklift-provider-thrower: cannot load provider "unbuilt": .*\n$/,
    )
  })
})
