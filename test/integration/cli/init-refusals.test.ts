import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../support/cli.js'

describe('init refuses, in one line with status 2, and writes nothing', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-init-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('a file where the project folder must go', async () => {
    const file = join(dir, 'taken')
    await writeFile(file, 'mine\n')
    const run = await runCli(['init', file])
    assert.equal(run.code, 2, run.stderr)
    assert.equal(run.stderr, `Error: ${file}: exists and is not a folder; nothing was written\n`)
    assert.equal(await readFile(file, 'utf8'), 'mine\n')
  })

  it('a file where one of the template folders must go', async () => {
    const target = join(dir, 'half')
    await mkdir(target)
    await writeFile(join(target, 'crates'), 'mine\n')
    const run = await runCli(['init', target])
    assert.equal(run.code, 2, run.stderr)
    assert.equal(
      run.stderr,
      `Error: ${join(target, 'crates')}: exists and is not a folder; nothing was written\n`,
    )
    assert.deepEqual(await readdir(target), ['crates'])
  })

  for (const [template, name, why] of [
    ['project', 'Bad Name/../x', /--name "Bad Name\/\.\.\/x" is not a valid name: use letters, digits/],
    ['project', 'a\nb: c', /is not a valid name/],
    ['project', '-x', /is not a valid name/],
    ['provider-plugin', 'Acme', /an npm package/],
    ['provider-plugin', '@scope/forklift-provider-../x', /an npm package/],
    ['provider-plugin', 'forklift-provider-Acme', /an npm package/],
    ['provider-plugin', 'forklift-provider-9lives', /provider type "9lives" must be lowercase letters/],
  ] as const) {
    it(`--template ${template} --name ${JSON.stringify(name)}`, async () => {
      const target = join(dir, `named-${template}`)
      const run = await runCli(['init', '--template', template, '--name', name, target])
      assert.equal(run.code, 2, run.stderr)
      assert.match(run.stderr, why)
      assert.equal(run.stderr.split('\n').filter(Boolean).length, 1, run.stderr)
      await assert.rejects(readdir(target), { code: 'ENOENT' })
    })
  }

  it('a folder name that is not a valid project name asks for --name', async () => {
    const target = join(dir, 'my infra')
    const run = await runCli(['init', target])
    assert.equal(run.code, 2, run.stderr)
    assert.match(run.stderr, /^Error: the folder name "my infra" is not a valid name/)
    const named = await runCli(['init', '--name', 'my-infra', target])
    assert.equal(named.code, 0, named.stderr)
    assert.match(await readFile(join(target, 'forklift.yaml'), 'utf8'), /^name: my-infra$/m)
  })

  it('valid names are accepted, scoped plugin names too', async () => {
    const target = join(dir, 'plugin')
    const run = await runCli([
      'init',
      '--template',
      'provider-plugin',
      '--name',
      '@acme/forklift-provider-rack',
      target,
    ])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(
      JSON.parse(await readFile(join(target, 'package.json'), 'utf8')).name,
      '@acme/forklift-provider-rack',
    )
  })
})
