import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { jsonError, runCli } from '../../support/cli.js'
import { requireThat, requireTools } from '../../support/require.js'

// Where pods cannot be isolated: `auto` refuses crates in one line naming what is missing, unless the
// user opts down (forklift.yaml `sandbox: node-only` or --sandbox node-only), which warns every run.
// The machine is made to lack bubblewrap and unshare by a PATH of links to everything else.

async function pathWithout(dir: string, missing: string[]): Promise<string> {
  const bin = join(dir, `bin-without-${missing.join('-')}`)
  await mkdir(bin, { recursive: true })
  for (const name of readdirSync('/usr/bin'))
    if (!missing.includes(name)) await symlink(join('/usr/bin', name), join(bin, name))
  return bin
}

describe('where pods cannot be isolated', () => {
  let dir: string
  let bare: NodeJS.ProcessEnv
  let skip = false
  before(async (t) => {
    if (
      !requireThat(t as never, process.platform === 'linux', 'needs Linux') ||
      !requireTools(t as never, 'bwrap', 'unshare')
    ) {
      skip = true
      return
    }
    dir = await mkdtemp(join(tmpdir(), 'forklift-sandbox-'))
    bare = {
      PATH: await pathWithout(dir, ['bwrap', 'unshare']),
      XDG_CACHE_HOME: join(dir, 'cache'),
      npm_config_cache: join(dir, 'npm'),
    }
    await mkdir(join(dir, 'crates', 'hello'), { recursive: true })
    await writeFile(
      join(dir, 'crates', 'hello', 'index.js'),
      "export default { phases: { configure: (ctx) => [{ type: 'file', path: ctx.node.root + '/hello', content: 'hi\\n' }] } }\n",
    )
  })
  after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined))

  const project = (sandbox?: string) =>
    `${sandbox ? `sandbox: ${sandbox}\n` : ''}providers:\n  box: { type: local, settings: { root: nodes } }\ngroups:\n  web:\n    provider: box\n    count: 1\n    crates: [hello]\n`

  it('pod eval is refused in one line naming what is missing; --sandbox node-only runs with a warning', async (t) => {
    if (skip) return t.skip()
    const refused = await runCli(['pod', 'eval', '1 + 1'], { cwd: dir, env: bare })
    assert.equal(refused.code, 2)
    assert.equal(refused.stdout, '')
    assert.match(
      refused.stderr,
      /cannot sandbox pods: bubblewrap \(bwrap\) is not installed, and util-linux unshare, setsid and setpriv are not installed; install bubblewrap .*, or opt down with `sandbox: node-only` in forklift.yaml \(or --sandbox node-only\)/,
    )
    assert.doesNotMatch(refused.stderr, /\n\s+at /)
    const down = await runCli(['pod', 'eval', '--sandbox', 'node-only', '1 + 1'], { cwd: dir, env: bare })
    assert.equal(down.code, 0, down.stderr)
    assert.equal(down.stdout.trim(), '2')
    assert.match(down.stderr, /Warning: pods run with `sandbox: node-only`: no OS isolation/)
    // bwrap asked for and missing: refused, even where unshare would do.
    const noBwrap = await pathWithout(dir, ['bwrap'])
    const strict = await runCli(['pod', 'eval', '--sandbox', 'bwrap', '1'], {
      cwd: dir,
      env: { ...bare, PATH: noBwrap },
    })
    assert.equal(strict.code, 2)
    assert.match(
      strict.stderr,
      /cannot sandbox pods: bubblewrap \(bwrap\) is not installed; install bubblewrap/,
    )
  })

  it('lift refuses a project with crates before touching a node; sandbox: node-only warns every run', async (t) => {
    if (skip) return t.skip()
    await writeFile(join(dir, 'forklift.yaml'), project())
    const refused = await runCli(['converge', '--json'], { cwd: dir, env: bare })
    assert.equal(refused.code, 2)
    assert.equal(jsonError(refused).code, 'SANDBOX')
    assert.match(refused.stderr, /cannot sandbox pods: bubblewrap \(bwrap\) is not installed/)
    assert.equal(readdirSync(dir).includes('nodes'), false)

    await writeFile(join(dir, 'forklift.yaml'), project('node-only'))
    for (let run = 0; run < 2; run++) {
      const result = await runCli(['converge'], { cwd: dir, env: bare })
      assert.equal(result.code, 0, result.stdout + result.stderr)
      const warnings = (result.stdout + result.stderr).match(/pods run with `sandbox: node-only`/g) ?? []
      assert.equal(warnings.length, 1, `run ${run}: ${result.stdout}${result.stderr}`)
    }
    // The flag wins over the file: --sandbox bwrap where bubblewrap exists needs no warning.
    const strict = await runCli(['lift', '--sandbox', 'bwrap'], { cwd: dir })
    assert.equal(strict.code, 0, strict.stdout + strict.stderr)
    assert.doesNotMatch(strict.stdout + strict.stderr, /WARN/)
  })

  it('a bad sandbox value in forklift.yaml is a config error naming the key', async (t) => {
    if (skip) return t.skip()
    await writeFile(join(dir, 'forklift.yaml'), project('none'))
    const result = await runCli(['lift'], { cwd: dir })
    assert.equal(result.code, 2)
    assert.match(result.stderr, /sandbox/)
    assert.match(result.stderr, /auto, bwrap, unshare or node-only/)
  })
})
