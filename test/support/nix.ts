import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, normalize } from 'node:path'
import { promisify } from 'node:util'

// Real Nix for tests (Debian's nix-bin, as root, no daemon): store paths made with `nix-store --add`
// (content-addressed, so no signing key is needed), pushed to a binary cache the test owns with
// `nix copy`, and deleted from the store so the code under test must fetch them from that cache.

const run = promisify(execFile)

/** Nix options that point Nix at the test's cache alone, with no remembered misses. */
export function nixTestOptions(cacheUrl: string): [string, string][] {
  return [
    ['substituters', cacheUrl],
    ['narinfo-cache-negative-ttl', '0'],
    ['narinfo-cache-positive-ttl', '0'],
  ]
}

/** The same as `--nix-option NAME=VALUE` arguments for the CLI. */
export function nixOptionArgs(cacheUrl: string): string[] {
  return nixTestOptions(cacheUrl).flatMap(([name, value]) => ['--nix-option', `${name}=${value}`])
}

/**
 * Make a store path holding an executable bin/activate with this shell body (plus a unique line,
 * so every call makes a new path). Returns the store path.
 */
export async function makeActivatePath(workDir: string, name: string, activateBody: string): Promise<string> {
  const dir = join(workDir, `src-${randomBytes(4).toString('hex')}`, name)
  await mkdir(join(dir, 'bin'), { recursive: true })
  const script = join(dir, 'bin', 'activate')
  await writeFile(script, `#!/bin/sh\n# ${randomBytes(8).toString('hex')}\n${activateBody}\n`)
  await chmod(script, 0o755)
  const { stdout } = await run('nix-store', ['--add', dir])
  return stdout.trim()
}

/** Copy store paths into a file:// binary cache folder (created if missing). */
export async function pushToCache(cacheDir: string, ...paths: string[]): Promise<void> {
  await mkdir(cacheDir, { recursive: true })
  await run('nix', [
    '--extra-experimental-features',
    'nix-command',
    'copy',
    '--to',
    `file://${cacheDir}`,
    ...paths,
  ])
}

/** Delete store paths that nothing roots any more (a test's leftovers, or to force a fetch). */
export async function deleteFromStore(...paths: string[]): Promise<void> {
  if (paths.length === 0) return
  await run('nix-store', ['--delete', ...paths]).catch(() => undefined)
}

/** Whether a store path is valid in the local store. */
export async function inStore(path: string): Promise<boolean> {
  return run('nix-store', ['--check-validity', path]).then(
    () => true,
    () => false,
  )
}

/** Serve a binary cache folder over HTTP on loopback (a real HTTP substituter). */
export async function serveCache(
  cacheDir: string,
): Promise<{ url: string; close(): Promise<void>; requests: string[] }> {
  const requests: string[] = []
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))
    requests.push(path)
    const file = join(cacheDir, path)
    const info = await stat(file).catch(() => undefined)
    if (!file.startsWith(cacheDir) || !info?.isFile()) {
      res.writeHead(404)
      res.end()
      return
    }
    res.writeHead(200, { 'Content-Length': info.size })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
