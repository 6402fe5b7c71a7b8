import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DependencySet } from './install.js'
import type { PodLink } from './protocol.js'

/**
 * What one pod sees: a folder inside its set holding the host program, a `node_modules` link to the set's
 * packages and one link per path (`l0`, `l1` …). Run with --preserve-symlinks, modules found through the
 * links resolve their imports from the set's packages, whatever folder they really live in.
 */
export interface PodView {
  dir: string
  /** The program the pod runs. */
  host: string
  links: PodLink[]
  /** Exactly the paths the pod may read: links and files, never the view folder itself. */
  readable: string[]
  /** The real folders an OS sandbox mounts for the pod (the view, the set's packages, each path), parents first. */
  binds: string[]
}

// The files copied into every view: the host, what it imports, and the crate context it builds.
const RUNTIME_FILES: Record<string, URL> = {
  'host.js': new URL('./host.js', import.meta.url),
  'values.js': new URL('./values.js', import.meta.url),
  'channel.js': new URL('./channel.js', import.meta.url),
  'context.js': new URL('../crates/context.js', import.meta.url),
  'builders.js': new URL('../crates/builders.js', import.meta.url),
}

let runtime: Promise<Record<string, string>> | undefined

function runtimeSources(): Promise<Record<string, string>> {
  runtime ??= (async () => {
    const out: Record<string, string> = {}
    for (const [name, url] of Object.entries(RUNTIME_FILES)) {
      // Source maps point back into Forklift's tree, which the pod may not read: leave them out.
      out[name] = (await readFile(url, 'utf8')).replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n')
    }
    // Host files import each other as ES modules; nothing else in the view relies on this.
    out['package.json'] = '{ "type": "module", "private": true }\n'
    return out
  })()
  return runtime
}

/** Create (once) the view of a set with these paths, which must be absolute real paths of folders. */
export async function ensureView(set: DependencySet, paths: string[]): Promise<PodView> {
  const files = await runtimeSources()
  const hash = createHash('sha256')
    .update(JSON.stringify([files, set.dir, paths]))
    .digest('hex')
    .slice(0, 24)
  const viewsDir = join(set.dir, '.views')
  const dir = join(viewsDir, hash)
  const links = paths.map((real, i) => ({ real, view: join(dir, `l${i}`) }))
  const view: PodView = {
    dir,
    host: join(dir, 'host.js'),
    links,
    readable: [
      ...Object.keys(files).map((name) => join(dir, name)),
      join(dir, 'node_modules'),
      join(set.dir, 'node_modules'),
      ...links.map((l) => l.view),
    ],
    binds: [dir, join(set.dir, 'node_modules'), ...paths].sort((a, b) => a.length - b.length),
  }
  const exists = await stat(join(dir, 'host.js')).then(
    () => true,
    () => false,
  )
  if (exists) return view
  const temp = join(viewsDir, `.tmp-${randomBytes(6).toString('hex')}`)
  await mkdir(temp, { recursive: true })
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(temp, name), content)
    await symlink(join(set.dir, 'node_modules'), join(temp, 'node_modules'), 'dir')
    for (const [i, real] of paths.entries()) await symlink(real, join(temp, `l${i}`), 'dir')
    await rename(temp, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Made by another pod in the meantime: identical by construction.
      if (error.code !== 'EEXIST' && error.code !== 'ENOTEMPTY') throw error
      await rm(temp, { recursive: true, force: true })
    })
  } catch (error) {
    await rm(temp, { recursive: true, force: true })
    throw error
  }
  return view
}
