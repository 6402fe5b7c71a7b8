import { createHash, randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tar from 'tar'

/** A build as a tar.gz holding bin/activate (and some incompressible padding), with its sha256. */
export async function makeArtifact(
  activateBody: string,
  paddingBytes = 0,
): Promise<{ data: Buffer; sha256: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'forklift-artifact-'))
  try {
    await mkdir(join(dir, 'bin'))
    await writeFile(join(dir, 'bin', 'activate'), `#!/bin/sh\n${activateBody}\n`)
    await chmod(join(dir, 'bin', 'activate'), 0o755)
    const files = ['bin']
    if (paddingBytes) {
      await writeFile(join(dir, 'padding'), randomBytes(paddingBytes))
      files.push('padding')
    }
    const chunks: Buffer[] = []
    for await (const chunk of tar.c({ gzip: true, cwd: dir, portable: true }, files))
      chunks.push(chunk as Buffer)
    const data = Buffer.concat(chunks)
    return { data, sha256: createHash('sha256').update(data).digest('hex') }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Serves /manifest.json and /artifacts/NAME on loopback; an artifact can be made to stall midway. */
export async function startManifestServer() {
  const artifacts = new Map<string, Buffer>()
  const stalls = new Map<string, number>()
  const sockets = new Set<Socket>()
  const hits: string[] = []
  const stalledWaiters: (() => void)[] = []
  let manifest: unknown = null
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    hits.push(path)
    if (path === '/manifest.json') {
      if (manifest === null) {
        res.writeHead(404, { 'Content-Type': 'application/json' })
        return res.end('{"error":"no manifest"}')
      }
      res.writeHead(200, { 'Content-Type': 'application/json' })
      return res.end(JSON.stringify(manifest))
    }
    const name = /^\/artifacts\/(.+)$/.exec(path)?.[1]
    const data = name ? artifacts.get(name) : undefined
    if (!name || !data) {
      res.writeHead(404)
      return res.end()
    }
    res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': data.length })
    const stallAt = stalls.get(name)
    if (stallAt === undefined) return res.end(data)
    // Send part of the body, then nothing more: a download in progress for as long as the test likes.
    res.write(data.subarray(0, stallAt), () => {
      for (const resolve of stalledWaiters.splice(0)) resolve()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    manifestUrl: `${url}/manifest.json`,
    hits,
    /** Publish an artifact and point the manifest at it (sha256 may be overridden to lie). */
    publish(
      id: string,
      artifact: { data: Buffer; sha256: string },
      options: { sha256?: string; stallAt?: number } = {},
    ) {
      artifacts.set(`${id}.tar.gz`, artifact.data)
      if (options.stallAt !== undefined) stalls.set(`${id}.tar.gz`, options.stallAt)
      manifest = { id, url: `artifacts/${id}.tar.gz`, sha256: options.sha256 ?? artifact.sha256 }
    },
    /** Resolves once a stalling artifact has sent its first part. */
    stalled: () => new Promise<void>((resolve) => stalledWaiters.push(resolve)),
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
