import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { fixture } from '../../support/paths.js'
import { runPhase, SHELLS, type Shell, shellFor, statuses, tempDir } from './support.js'

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')

/** A loopback HTTP server with fixed files; counts the requests it served. */
async function fileServer(t: TestContext, files: Record<string, string>) {
  const hits: string[] = []
  const server = createServer((request, response) => {
    hits.push(request.url ?? '')
    const body = files[request.url ?? '']
    if (body === undefined) {
      response.writeHead(404).end('not here')
      return
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const { port } = server.address() as AddressInfo
  return { url: (path: string) => `http://127.0.0.1:${port}${path}`, hits }
}

for (const shellName of SHELLS) {
  describe(`remote-file (${shellName})`, () => {
    it('content: creates, is ok again, keeps the previous version as .forklift-backup', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const path = join(dir, 'app.conf')
      const put = (content: string, extra = {}) =>
        runPhase([{ type: 'remote-file', path, content, mode: '0640', ...extra }], { shell })
      assert.deepEqual(statuses(await put('v1\n')), ['changed'])
      assert.deepEqual(await readdir(dir), ['app.conf'], 'nothing to back up the first time')
      assert.deepEqual(statuses(await put('v1\n')), ['ok'])
      const second = await put('v2\n')
      assert.equal(second.results[0]!.message, 'updated content')
      assert.match(second.results[0]!.diff!, /-v1\n\+v2\n/)
      assert.equal(await readFile(path, 'utf8'), 'v2\n')
      assert.equal(await readFile(`${path}.forklift-backup`, 'utf8'), 'v1\n')
      await put('v3\n', { backup: false })
      assert.equal(
        await readFile(`${path}.forklift-backup`, 'utf8'),
        'v1\n',
        'backup: false keeps no new backup',
      )
    })

    it('template: rendered with settings, env and node (no HTML escaping); localFile read from the project', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const templateData = {
        settings: { port: 8080 },
        env: { owner: 'A & B <ops>' },
        node: { name: 'web-1' },
      }
      const actions = [
        {
          type: 'remote-file',
          path: join(dir, 'motd'),
          template: '{{node.name}}:{{settings.port}} by {{env.owner}}\n',
        },
        { type: 'remote-file', path: join(dir, 'local.conf'), localFile: 'actions/local.conf' },
      ] as const
      const run = await runPhase([...actions], { shell, templateData, baseDir: fixture() })
      assert.deepEqual(statuses(run), ['changed', 'changed'], run.stderr)
      assert.equal(await readFile(join(dir, 'motd'), 'utf8'), 'web-1:8080 by A & B <ops>\n')
      assert.equal(
        await readFile(join(dir, 'local.conf'), 'utf8'),
        await readFile(fixture('actions/local.conf'), 'utf8'),
      )
      assert.deepEqual(statuses(await runPhase([...actions], { shell, templateData, baseDir: fixture() })), [
        'ok',
        'ok',
      ])
    })

    it('url: fetched on the node and checked; ok without a download once the file matches', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const body = 'downloaded\n'
      const server = await fileServer(t, { '/file': body })
      const path = join(dir, 'fetched')
      const action = {
        type: 'remote-file',
        path,
        url: server.url('/file'),
        sha256: sha256(body).toUpperCase(),
      } as const
      const first = await runPhase([action], { shell })
      assert.equal(first.results[0]!.status, 'changed', first.stderr + JSON.stringify(first.results))
      assert.equal(await readFile(path, 'utf8'), body)
      assert.deepEqual(server.hits, ['/file'])
      assert.deepEqual(statuses(await runPhase([action], { shell })), ['ok'])
      assert.deepEqual(server.hits, ['/file'], 'a matching file is not downloaded again')

      await writeFile(path, 'drifted\n')
      const dry = await runPhase([action], { shell, dryRun: true })
      assert.equal(dry.results[0]!.message, 'would update content')
      assert.equal(await readFile(path, 'utf8'), 'drifted\n')
      assert.deepEqual(server.hits, ['/file'], 'a dry run downloads nothing')
      assert.deepEqual(statuses(await runPhase([action], { shell })), ['changed'])
      assert.equal(await readFile(`${path}.forklift-backup`, 'utf8'), 'drifted\n')
    })

    it('url: a checksum mismatch or a failed download leaves the old file and no temp file', async (t) => {
      const shell = await shellFor(t, shellName)
      if (!shell) return
      const dir = await tempDir(t)
      const server = await fileServer(t, { '/file': 'evil\n' })
      const path = join(dir, 'kept')
      await writeFile(path, 'old\n')
      const expected = sha256('good\n')
      const wrong = await runPhase(
        [{ type: 'remote-file', path, url: server.url('/file'), sha256: expected }],
        { shell },
      )
      assert.equal(wrong.results[0]!.status, 'failed')
      assert.equal(
        wrong.results[0]!.message,
        `the download's sha256 is ${sha256('evil\n')}, not ${expected}; the old file was left alone`,
      )
      // Said once: no output repeats it (the failure's stderr lines are printed under it).
      assert.equal(wrong.results[0]!.output, undefined)
      const missing = await runPhase(
        [{ type: 'remote-file', path, url: server.url('/nope'), sha256: expected }],
        { shell },
      )
      assert.equal(missing.results[0]!.status, 'failed')
      assert.match(missing.results[0]!.message, /^download failed \(exit \d+\)/)
      assert.equal(await readFile(path, 'utf8'), 'old\n')
      assert.deepEqual(await readdir(dir), ['kept'])
    })
  })
}

describe('remote-file without a download tool', () => {
  it('fails clearly when neither curl nor wget is installed', async (t) => {
    const busybox = await shellFor(t, 'busybox')
    if (!busybox) return
    const dir = await tempDir(t)
    const bin = join(dir, 'bin')
    await mkdir(bin)
    const applets = spawnSync('busybox', ['--list'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((a) => a && a !== 'wget')
    await Promise.all(applets.map((a) => symlink('/usr/bin/busybox', join(bin, a))))
    const shell: Shell = { ...busybox, env: { ...busybox.env, PATH: bin } }
    const path = join(dir, 'f')
    const run = await runPhase(
      [{ type: 'remote-file', path, url: 'http://127.0.0.1:9/f', sha256: sha256('x') }],
      { shell },
    )
    assert.equal(run.results[0]!.status, 'failed')
    assert.equal(run.results[0]!.message, 'neither curl nor wget is installed on the node')
    assert.equal(existsSync(path), false)
  })
})
