import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parseSetArgument } from '../../../src/core/config/environment.js'
import { ConfigError } from '../../../src/core/config/errors.js'
import { loadConfig } from '../../../src/core/config/load.js'
import { runCli } from '../../support/cli.js'
import { providerTypes } from './provider-types.js'

// Inputs a careless or hostile user gives: each is one ConfigError naming the file (and where it
// can, line and column), never a crash, a hang or a polluted prototype.

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forklift-odd-'))
})
after(() => rm(dir, { recursive: true, force: true }))

const GOOD =
  'providers:\n  box: { type: local, settings: { root: nodes } }\ngroups:\n  web: { provider: box, count: 1 }\n'

async function refused(
  name: string,
  content: string | Buffer,
  expected: RegExp,
  options: { envFile?: string | Buffer } = {},
): Promise<void> {
  const file = join(dir, name)
  await writeFile(file, options.envFile === undefined ? content : GOOD)
  const envFiles: string[] = []
  if (options.envFile !== undefined) {
    await writeFile(`${file}.env`, options.envFile)
    envFiles.push(`${file}.env`)
  }
  await assert.rejects(loadConfig(file, { providerTypes, env: {}, envFiles }), (error: Error) => {
    assert.ok(error instanceof ConfigError, `${name}: ${error.stack}`)
    assert.match(error.message, expected)
    return true
  })
  assert.equal(({} as Record<string, unknown>).count, undefined, 'Object.prototype is untouched')
}

describe('odd input in config files and arguments', () => {
  it('refuses __proto__, constructor and prototype as keys, at the key', async () => {
    await refused(
      'proto.yaml',
      'providers:\n  box: { type: local, settings: { root: nodes } }\ngroups:\n  web:\n    provider: box\n    __proto__: { count: 5 }\n',
      /proto\.yaml:6:5: the key "__proto__" is not allowed/,
    )
    await refused(
      'ctor.yaml',
      `${GOOD}environment:\n  a:\n    constructor: 1\n`,
      /ctor\.yaml:7:5: the key "constructor"/,
    )
    await refused('env-proto.yaml', '', /env-proto\.yaml\.env:2:3: the key "prototype"/, {
      envFile: 'x:\n  prototype: 1\n',
    })
    for (const argument of [
      '__proto__.polluted=1',
      'x.__proto__.polluted=1',
      'a.constructor=1',
      'x={__proto__: {polluted: 1}}',
    ])
      assert.throws(
        () => parseSetArgument(argument, {}),
        (error: ConfigError) => {
          assert.match(error.message, /^--set .*: the key "(__proto__|constructor)" is not allowed/)
          return true
        },
      )
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  it('refuses an alias inside its own anchor instead of overflowing the stack', async () => {
    await refused(
      'cycle.yaml',
      `${GOOD}environment: &e { x: *e }\n`,
      /cycle\.yaml:5:22: .*alias \*e sits inside its own anchor/,
    )
    await refused('cycle-env.yaml', '', /the alias \*a sits inside/, { envFile: 'a: &a\n  - [1, *a]\n' })
  })

  it('refuses FIFOs, files over the limit, UTF-16/32 and bytes that are not UTF-8', async () => {
    const fifo = join(dir, 'fifo.yaml')
    execFileSync('mkfifo', [fifo])
    await assert.rejects(
      loadConfig(fifo, { providerTypes, env: {} }),
      /fifo\.yaml: the file is not a regular file \(it is a FIFO\)/,
    )
    await refused(
      'big.yaml',
      `${GOOD}# ${'x'.repeat(5 * 1024 * 1024)}\n`,
      /big\.yaml: the file is 5\.0 MiB; config files are limited to 4\.0 MiB/,
    )
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD, 'utf16le')])
    await refused('utf16.yaml', utf16, /utf16\.yaml:1:1: the file is UTF-16LE text; save it as UTF-8/)
    await refused('utf16be.yaml', Buffer.from(GOOD, 'utf16le').swap16(), /the file is UTF-16BE text/)
    await refused(
      'latin1.yaml',
      Buffer.from(`${GOOD}name: caf\xe9\n`, 'latin1'),
      /latin1\.yaml:5:10: the file is not valid UTF-8 \(byte \d+\)/,
    )
    await refused('env16.yaml', '', /env16\.yaml\.env:1:1: the --env file is UTF-16LE text/, {
      envFile: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a: 1\n', 'utf16le')]),
    })
    // A UTF-8 byte-order mark is only dropped.
    const bom = join(dir, 'bom.yaml')
    await writeFile(bom, `\ufeff${GOOD}`)
    assert.equal((await loadConfig(bom, { providerTypes, env: {} })).groups[0]!.count, 1)
  })

  it('bounds count and --concurrency', async () => {
    await refused(
      'count.yaml',
      GOOD.replace('count: 1', 'count: 10000000'),
      /count\.yaml:4:32: groups\.web\.count: .*from 0 to 1000/,
    )
    const file = join(dir, 'forklift.yaml')
    await writeFile(file, GOOD)
    const run = await runCli(['lift', '-n', '--concurrency', '99999999999999999999'], { cwd: dir })
    assert.equal(run.code, 2)
    assert.match(run.stderr, /less than or equal to 1000/)
  })
})
