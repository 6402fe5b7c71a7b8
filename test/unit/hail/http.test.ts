import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type RequestListener } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { download, getJson } from '../../../src/core/hail/http.js'
import { parseNetrc } from '../../../src/core/hail/netrc.js'
import { requireTools } from '../../support/require.js'

async function serve(t: TestContext, host: string, handler: RequestListener): Promise<string> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://${host}:${(server.address() as AddressInfo).port}`
}

describe('HTTP for the watcher', () => {
  it('follows a redirect to another host and sends each host its own netrc credentials', async (t) => {
    const seen: [string, string | undefined][] = []
    const target = await serve(t, '127.0.0.2', (req, res) => {
      seen.push(['target', req.headers.authorization])
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end('{"id": 1}')
    })
    const front = await serve(t, '127.0.0.1', (req, res) => {
      seen.push(['front', req.headers.authorization])
      res.writeHead(302, { Location: `${target}/build/1` })
      res.end()
    })
    const netrc = parseNetrc('machine 127.0.0.1 login front password f\n')
    const response = await getJson(`${front}/job/p/j/x/latest`, { timeoutMs: 2000, netrc })
    assert.deepEqual(response, { status: 200, url: `${target}/build/1`, body: { id: 1 } })
    assert.deepEqual(seen, [
      ['front', `Basic ${Buffer.from('front:f').toString('base64')}`],
      ['target', undefined],
    ])
  })

  it('turns 5xx, HTML, oversized bodies and silence into clear errors', async (t) => {
    const base = await serve(t, '127.0.0.1', (req, res) => {
      if (req.url === '/500') {
        res.writeHead(503, { 'Content-Type': 'text/html' })
        res.end('<html>down</html>')
      } else if (req.url === '/html') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
        res.end('<html>login</html>')
      } else if (req.url === '/big') {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(`"${'x'.repeat(5000)}"`)
      }
      // /slow: never answers
    })
    const options = { timeoutMs: 300, maxBodyBytes: 1000 }
    await assert.rejects(getJson(`${base}/500`, options), {
      name: 'HttpError',
      kind: 'status',
      status: 503,
      message: `${base}/500: HTTP 503 (text/html)`,
    })
    await assert.rejects(getJson(`${base}/html`, options), {
      kind: 'not-json',
      message: `${base}/html: expected JSON, got text/html: "<html>login</html>"`,
    })
    await assert.rejects(getJson(`${base}/big`, options), { kind: 'too-large' })
    await assert.rejects(getJson(`${base}/slow`, options), {
      kind: 'timeout',
      message: `${base}/slow: no answer within 300 ms`,
    })
    await assert.rejects(getJson('http://127.0.0.1:1/x', options), {
      kind: 'network',
      message: 'http://127.0.0.1:1/x: ECONNREFUSED',
    })
    const stop = new AbortController()
    const pending = getJson(`${base}/slow`, { timeoutMs: 5000 }, stop.signal)
    stop.abort()
    await assert.rejects(pending, { kind: 'aborted' })
  })

  it('fails a download whose connection ends before its body does', async (t) => {
    const base = await serve(t, '127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' })
      res.write('only part')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const chunks: Buffer[] = []
    await assert.rejects(
      download(
        `${base}/a.tar.gz`,
        (c) => {
          chunks.push(c)
        },
        { timeoutMs: 2000 },
      ),
      /a\.tar\.gz: /,
    )
    assert.equal(Buffer.concat(chunks).toString(), 'only part')
  })

  it('refuses a self-signed certificate unless --allow-self-signed', async (t) => {
    if (!requireTools(t, 'openssl')) return
    const dir = await mkdtemp(join(tmpdir(), 'forklift-tls-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    )
    const server = createHttpsServer(
      { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end('{"ok": true}')
      },
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/x`
    await assert.rejects(getJson(url, { timeoutMs: 2000 }), {
      kind: 'network',
      message: `${url}: DEPTH_ZERO_SELF_SIGNED_CERT`,
    })
    assert.deepEqual((await getJson(url, { timeoutMs: 2000, allowSelfSigned: true })).body, { ok: true })
  })
})
