import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cacheLayout, SET_META } from './cache-layout.js'
import { PodInstallError } from './errors.js'
import { SHIM_FILES, SHIM_HASH } from './shim.js'
import { hashFolder, type NormalizedDependency, SET_LAYOUT, specKey } from './specs.js'

/** An installed dependency set in the cache. */
export interface DependencySet {
  /** Hash of the resolved set (names, exact versions, integrity): the folder's name. */
  hash: string
  dir: string
  /** The top-level packages and the versions npm chose. */
  packages: { name: string; version: string }[]
  /** True when this call installed it, false when it came from the cache. */
  installed: boolean
}

/** What forklift-set.json in each set records. */
export interface SetMeta {
  hash: string
  dependencies: string[]
  packages: { name: string; version: string }[]
  created: string
}

export const NPM_INSTALL_FLAGS = [
  'install',
  '--no-audit',
  '--no-fund',
  '--ignore-scripts',
  '--omit=dev',
  // Folders are packed and copied in, never linked: a pod reads only what sits in its set.
  '--install-links',
  '--no-bin-links',
  '--no-update-notifier',
]

const inflight = new Map<string, Promise<DependencySet>>()

const readJson = async <T>(path: string): Promise<T | undefined> => {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T
  } catch {
    return undefined
  }
}

/** The set a dependency list was installed as, if it is still in the cache. */
async function cached(root: string, key: string): Promise<DependencySet | undefined> {
  const layout = cacheLayout(root)
  const index = await readJson<{ set: string }>(layout.specIndex(key))
  if (!index) return undefined
  const dir = layout.set(index.set)
  const meta = await readJson<SetMeta>(join(dir, SET_META))
  if (!meta) return undefined
  const now = new Date()
  await utimes(join(dir, SET_META), now, now).catch(() => {})
  return { hash: meta.hash, dir, packages: meta.packages, installed: false }
}

/** Run npm, returning its output; a failure carries npm's own error lines. */
function runNpm(args: string[], cwd: string, labels: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, {
      cwd,
      env: { ...process.env, npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      output += c
    })
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      output += c
    })
    child.on('error', (error) =>
      reject(new PodInstallError(`cannot run npm to install ${labels.join(', ')}: ${error.message}`)),
    )
    child.on('close', (code) => {
      if (code === 0) return resolve()
      // npm's first line that says what went wrong (not its code, errno or log-file lines).
      const said = output
        .split('\n')
        .filter((l) => /^npm (error|ERR!)/.test(l))
        .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
        .find(
          (l) =>
            l &&
            !/^(code|errno|syscall|path|dest)\b|^\d{3}$|complete log of this run|^A complete log/i.test(l),
        )
      const detail = said ?? output.trim().split('\n').pop() ?? `exit code ${code}`
      reject(new PodInstallError(`npm could not install ${labels.join(', ')}: ${detail}`, output))
    })
  })
}

interface Lockfile {
  packages?: Record<string, { version?: string; integrity?: string; resolved?: string; link?: boolean }>
}

/**
 * The set's name: what was really installed. `resolved` is in it, so a git dependency (which has no
 * integrity) is keyed by the exact commit npm checked out, and two commits never share a folder; any
 * entry without integrity also adds a hash of the files npm put in place.
 */
async function resolvedHash(
  lock: Lockfile,
  dependencies: NormalizedDependency[],
  installDir: string,
): Promise<string> {
  const entries = Object.entries(lock.packages ?? {})
    .filter(([path]) => path !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const packages: (string | null)[][] = []
  for (const [path, p] of entries) {
    const files = p.integrity || p.link ? null : await hashFolder(join(installDir, path)).catch(() => null)
    packages.push([path, p.version ?? null, p.integrity ?? null, p.resolved ?? null, files])
  }
  // Folders have no integrity in the lockfile: their content hash stands in.
  const local = dependencies.flatMap((d) => (d.contentHash ? [d.contentHash] : [])).sort()
  const material = JSON.stringify([SET_LAYOUT, SHIM_HASH, packages, local])
  return createHash('sha256').update(material).digest('hex').slice(0, 32)
}

function topLevel(lock: Lockfile, manifest: { dependencies?: Record<string, string> }) {
  return Object.keys(manifest.dependencies ?? {})
    .sort()
    .map((name) => ({ name, version: lock.packages?.[`node_modules/${name}`]?.version ?? '?' }))
}

async function install(
  root: string,
  key: string,
  dependencies: NormalizedDependency[],
): Promise<DependencySet> {
  const layout = cacheLayout(root)
  await mkdir(layout.tmp, { recursive: true })
  const temp = await mkdtemp(join(layout.tmp, `${key}-`))
  try {
    await writeFile(
      join(temp, 'package.json'),
      `${JSON.stringify({ name: 'forklift-pod', private: true }, null, 2)}\n`,
    )
    let lock: Lockfile = {}
    if (dependencies.length > 0) {
      const labels = dependencies.map((d) => d.label)
      await runNpm([...NPM_INSTALL_FLAGS, ...dependencies.map((d) => d.arg)], temp, labels)
      lock = (await readJson<Lockfile>(join(temp, 'package-lock.json'))) ?? {}
    }
    const manifest =
      (await readJson<{ dependencies?: Record<string, string> }>(join(temp, 'package.json'))) ?? {}
    const shim = join(temp, 'node_modules', 'forklift')
    if (!manifest.dependencies?.forklift) {
      await mkdir(shim, { recursive: true })
      for (const [name, content] of Object.entries(SHIM_FILES)) await writeFile(join(shim, name), content)
    }
    const hash = await resolvedHash(lock, dependencies, temp)
    const packages = topLevel(lock, manifest)
    const meta: SetMeta = {
      hash,
      dependencies: dependencies.map((d) => d.label),
      packages,
      created: new Date().toISOString(),
    }
    await writeFile(join(temp, SET_META), `${JSON.stringify(meta, null, 2)}\n`)
    const dir = layout.set(hash)
    let installed = true
    try {
      await rename(temp, dir)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error
      // Another dependency list resolved to the very same set: keep the one already there.
      installed = false
      await rm(temp, { recursive: true, force: true })
    }
    const index = layout.specIndex(key)
    await mkdir(join(index, '..'), { recursive: true })
    await writeFile(`${index}.${process.pid}`, `${JSON.stringify({ set: hash })}\n`)
    await rename(`${index}.${process.pid}`, index)
    return { hash, dir, packages, installed }
  } catch (error) {
    await rm(temp, { recursive: true, force: true })
    throw error
  }
}

/**
 * Make sure a dependency set is installed in the cache and return it. Installs once even when several
 * processes ask at the same moment (a lock per dependency list; npm works in a temp folder that is then
 * renamed into place); needs no network when the set is cached.
 */
export async function ensureDependencySet(
  dependencies: NormalizedDependency[],
  cacheDir: string,
): Promise<DependencySet> {
  const key = specKey(dependencies)
  const hit = await cached(cacheDir, key)
  if (hit) return hit
  const running = inflight.get(`${cacheDir}\0${key}`)
  if (running) return running.then((set) => ({ ...set, installed: false }))
  const work = (async () => {
    const layout = cacheLayout(cacheDir)
    await mkdir(join(layout.lock(key), '..'), { recursive: true })
    const { default: lockfile } = await import('proper-lockfile')
    const release = await lockfile.lock(layout.lock(key), {
      realpath: false,
      stale: 20_000,
      retries: { retries: 6000, factor: 1, minTimeout: 100, maxTimeout: 200 },
      // The result lands by an atomic rename, so a lock lost to a long stall does no harm.
      onCompromised: () => {},
    })
    try {
      return (await cached(cacheDir, key)) ?? (await install(cacheDir, key, dependencies))
    } finally {
      await release().catch(() => {})
    }
  })()
  inflight.set(`${cacheDir}\0${key}`, work)
  try {
    return await work
  } finally {
    inflight.delete(`${cacheDir}\0${key}`)
  }
}
