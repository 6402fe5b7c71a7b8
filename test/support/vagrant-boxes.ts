import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A box file: a tarball whose metadata.json names its provider, as `vagrant box add` unpacks it. */
export interface BoxFile {
  path: string
  sha256: string
}

/**
 * Build a .box: `metadata.json` with the provider and, when given, the box's own Vagrantfile (merged
 * under every machine's Vagrantfile that uses the box).
 */
export async function buildBox(dir: string, provider: string, vagrantfile?: string): Promise<BoxFile> {
  const content = join(dir, 'content')
  await mkdir(content, { recursive: true })
  await writeFile(join(content, 'metadata.json'), `${JSON.stringify({ provider })}\n`)
  const files = ['metadata.json']
  if (vagrantfile !== undefined) {
    await writeFile(join(content, 'Vagrantfile'), vagrantfile)
    files.push('Vagrantfile')
  }
  const path = join(dir, `${provider}.box`)
  await run('tar', ['-czf', path, '-C', content, ...files])
  return {
    path,
    sha256: createHash('sha256')
      .update(await readFile(path))
      .digest('hex'),
  }
}

/** One provider of one version of a box in the catalogue. */
export interface CatalogueEntry {
  version: string
  provider: string
  file: BoxFile
  /** The checksum the metadata claims; the file's own sha256 unless given. */
  checksum?: string
}

/** A Vagrant box catalogue on loopback: what VAGRANT_SERVER_URL points at. */
export interface BoxCatalogue {
  /** `http://127.0.0.1:PORT`, for VAGRANT_SERVER_URL. */
  url: string
  /** How many times each box file was downloaded, by `name/version/provider`. */
  downloads: Map<string, number>
  /** Every request as `METHOD path`. */
  requests: string[]
  stop(): Promise<void>
}

/**
 * Serve box metadata as Vagrant's catalogues do: `GET /<user>/<box>` answers the JSON Vagrant reads
 * (name, versions[], providers[] with url, checksum_type, checksum, architecture), each provider's url
 * points back at this server. Unknown boxes are 404.
 */
export async function startBoxCatalogue(boxes: Record<string, CatalogueEntry[]>): Promise<BoxCatalogue> {
  const downloads = new Map<string, number>()
  const requests: string[] = []
  let base = ''
  const metadata = (name: string, entries: CatalogueEntry[]) => ({
    name,
    description: `${name}, served by the test`,
    versions: [...new Set(entries.map((e) => e.version))].map((version) => ({
      version,
      providers: entries
        .filter((e) => e.version === version)
        .map((e) => ({
          name: e.provider,
          url: `${base}/files/${name}/${version}/${e.provider}.box`,
          checksum_type: 'sha256',
          checksum: e.checksum ?? e.file.sha256,
          architecture: 'amd64',
          default_architecture: true,
        })),
    })),
  })
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    requests.push(`${req.method} ${path}`)
    const file = /^\/files\/(.+)\/([^/]+)\/([^/]+)\.box$/.exec(path)
    if (file) {
      const [, name, version, provider] = file
      const entry = boxes[name!]?.find((e) => e.version === version && e.provider === provider)
      if (!entry) {
        res.writeHead(404).end()
        return
      }
      readFile(entry.file.path).then((body) => {
        if (req.method === 'GET') {
          const key = `${name}/${version}/${provider}`
          downloads.set(key, (downloads.get(key) ?? 0) + 1)
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
        res.end(req.method === 'HEAD' ? undefined : body)
      })
      return
    }
    const entries = boxes[path.slice(1)]
    if (!entries) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":["Resource not found!"]}')
      return
    }
    const body = JSON.stringify(metadata(path.slice(1), entries))
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(req.method === 'HEAD' ? undefined : body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: base,
    downloads,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
