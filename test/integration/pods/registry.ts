import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fixture } from '../../support/paths.js'

/** A tiny npm registry on loopback serving fixture-lib 1.0.0 and 2.0.0 from the committed tarballs. */
export interface FixtureRegistry {
  url: string
  /** Every path requested, in order. */
  requests: string[]
  close(): Promise<void>
}

const VERSIONS = ['1.0.0', '2.0.0']

export async function startRegistry(options: { tarballDelayMs?: number } = {}): Promise<FixtureRegistry> {
  const tarballs = new Map(VERSIONS.map((v) => [v, readFileSync(fixture('pods', `fixture-lib-${v}.tgz`))]))
  const requests: string[] = []
  let base = ''
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(req.url ?? '/')
    requests.push(path)
    if (path === '/fixture-lib') {
      const versions = Object.fromEntries(
        VERSIONS.map((version) => {
          const data = tarballs.get(version)!
          return [
            version,
            {
              name: 'fixture-lib',
              version,
              dist: {
                tarball: `${base}/fixture-lib/-/fixture-lib-${version}.tgz`,
                shasum: createHash('sha1').update(data).digest('hex'),
                integrity: `sha512-${createHash('sha512').update(data).digest('base64')}`,
              },
            },
          ]
        }),
      )
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ name: 'fixture-lib', 'dist-tags': { latest: '2.0.0' }, versions }))
      return
    }
    const tarball = /^\/fixture-lib\/-\/fixture-lib-(\d+\.\d+\.\d+)\.tgz$/.exec(path)
    const data = tarball && tarballs.get(tarball[1]!)
    if (data) {
      res.setHeader('content-type', 'application/octet-stream')
      setTimeout(() => res.end(data), options.tarballDelayMs ?? 0)
      return
    }
    res.statusCode = 404
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ error: 'Not found' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `${base}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
