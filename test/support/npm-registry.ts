import { createHash } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// A stand-in for the npm registry on 127.0.0.1: just what `npm view NAME` and `npm install NAME@latest`
// ask for, so a test installs a package the way a user would without the network.

/** One version of a package to serve: its package.json and the bytes of its `npm pack` tarball. */
export interface ServedPackage {
  manifest: { name: string; version: string } & Record<string, unknown>
  tarball: Buffer
}

/** A running stand-in registry. */
export interface NpmRegistry {
  /** Its address, for `--registry` (ends with a slash). */
  url: string
  /** Every request it answered, as "GET /path", in order. */
  requests: string[]
  close(): Promise<void>
}

/** Where a version's tarball is served, as the real registry lays it out (`/@s/n/-/n-1.0.0.tgz`). */
function tarballPath(name: string, version: string): string {
  return `/${name}/-/${name.split('/').pop()}-${version}.tgz`
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}

/** The packument of one package name: every served version, with `latest` the last one given. */
function packument(name: string, versions: ServedPackage[], base: string): unknown {
  return {
    name,
    'dist-tags': { latest: versions.at(-1)!.manifest.version },
    versions: Object.fromEntries(
      versions.map(({ manifest, tarball }) => [
        manifest.version,
        {
          ...manifest,
          _id: `${name}@${manifest.version}`,
          dist: {
            tarball: base + tarballPath(name, manifest.version).slice(1),
            integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
            shasum: createHash('sha1').update(tarball).digest('hex'),
          },
        },
      ]),
    ),
  }
}

/** Start a stand-in registry serving these packages on an ephemeral loopback port. */
export async function startNpmRegistry(packages: ServedPackage[]): Promise<NpmRegistry> {
  const byName = new Map<string, ServedPackage[]>()
  const tarballs = new Map<string, Buffer>()
  for (const p of packages) {
    byName.set(p.manifest.name, [...(byName.get(p.manifest.name) ?? []), p])
    tarballs.set(tarballPath(p.manifest.name, p.manifest.version), p.tarball)
  }
  const requests: string[] = []
  let base = ''
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', base).pathname
    requests.push(`${request.method} ${path}`)
    if (request.method !== 'GET') return sendJson(response, 404, { error: 'Not found' })
    // npm asks for a scoped name with its slash escaped: /@scope%2fname.
    const name = decodeURIComponent(path.slice(1))
    const versions = byName.get(name)
    if (versions) return sendJson(response, 200, packument(name, versions, base))
    const tarball = tarballs.get(decodeURIComponent(path))
    if (tarball) {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': tarball.length,
      })
      return response.end(tarball)
    }
    sendJson(response, 404, { error: 'Not found' })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  return {
    url: base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // npm keeps its connections alive; without this, close would wait for them to time out.
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
