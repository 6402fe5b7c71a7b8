import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from './paths.js'

/**
 * An npm registry on loopback that serves the packages of this repository's node_modules, each at the
 * version installed there (packed on first request), so that code shown in the docs can install
 * dependencies without the network. Anything else is a 404.
 */
export interface LocalRegistry {
  url: string
  close(): Promise<void>
}

export async function startLocalRegistry(): Promise<LocalRegistry> {
  const packs = await mkdtemp(join(tmpdir(), 'forklift-registry-'))
  const tarballs = new Map<string, Promise<Buffer>>()
  const pack = (dir: string): Promise<Buffer> => {
    let packed = tarballs.get(dir)
    if (!packed) {
      packed = promisify(execFile)('npm', ['pack', dir, '--ignore-scripts', '--pack-destination', packs], {
        cwd: packs,
      }).then(({ stdout }) => readFile(join(packs, stdout.trim().split('\n').at(-1)!)))
      tarballs.set(dir, packed)
    }
    return packed
  }
  let base = ''
  const server = createServer((req, res) => {
    const path = decodeURIComponent(req.url ?? '/').replace(/^\//, '')
    const tarball = path.endsWith('.tgz')
    const name = tarball ? path.slice(0, path.indexOf('/-/')) : path
    const dir = join(repoRoot, 'node_modules', name)
    if (!/^(@[\w.-]+\/)?[\w.-]+$/.test(name) || !existsSync(join(dir, 'package.json'))) {
      res.statusCode = 404
      res.end('{"error":"Not found"}')
      return
    }
    pack(dir).then(
      (data) => {
        if (tarball) {
          res.setHeader('content-type', 'application/octet-stream')
          res.end(data)
          return
        }
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>
        const version = String(pkg.version)
        const file = `${name.split('/').at(-1)}-${version}.tgz`
        const document = {
          name,
          'dist-tags': { latest: version },
          versions: {
            [version]: {
              name,
              version,
              dependencies: pkg.dependencies ?? {},
              dist: {
                tarball: `${base}/${name}/-/${file}`,
                shasum: createHash('sha1').update(data).digest('hex'),
                integrity: `sha512-${createHash('sha512').update(data).digest('base64')}`,
              },
            },
          },
        }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(document))
      },
      (error: Error) => {
        res.statusCode = 500
        res.end(JSON.stringify({ error: error.message }))
      },
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `${base}/`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(packs, { recursive: true, force: true })
    },
  }
}
