// Measures `forklift hail` (not a test): `npx tsc -p . && node --expose-gc dist/bench/hail.js`.
//  1. Latency: from a new build appearing on the Hydra stand-in to its activate having finished,
//     with a 1 s poll period (Nix mode when nix-store is usable here, manifest mode always).
//  2. Memory: the watcher's resident set size over an hour's worth of polls (3600 at 10 ms).
// Everything runs on loopback; results go to stdout and bench/results/hail.json.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { watcherConfig } from '../src/core/hail/config.js'
import type { HailLog } from '../src/core/hail/log.js'
import { openWatcher } from '../src/core/hail/open-watcher.js'
import { makeArtifact, startManifestServer } from '../test/integration/hail/manifest-server.js'
import { startHydra } from '../test/support/hydra.js'
import { deleteFromStore, makeActivatePath, nixOptionArgs, pushToCache } from '../test/support/nix.js'
import { forkliftBin, repoRoot } from '../test/support/paths.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Watcher {
  child: ChildProcess
  records: HailLog[]
  waitFor(match: (r: HailLog) => boolean, timeoutMs?: number): Promise<HailLog>
  stop(): Promise<void>
}

function watch(args: string[]): Watcher {
  const child = spawn(process.execPath, [forkliftBin, 'hail', ...args, '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const records: HailLog[] = []
  const waiters = new Set<() => void>()
  let rest = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) if (line.startsWith('{')) records.push(JSON.parse(line) as HailLog)
    for (const w of waiters) w()
  })
  return {
    child,
    records,
    waitFor(match, timeoutMs = 60_000) {
      const from = records.length
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs)
        const check = () => {
          const found = records.slice(from).find(match)
          if (found) {
            clearTimeout(timer)
            waiters.delete(check)
            resolve(found)
          }
        }
        waiters.add(check)
      })
    },
    async stop() {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}

function rssKiB(pid: number): number {
  const status = execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' })
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b)
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  return {
    n: values.length,
    mean: Math.round(mean),
    median: Math.round(sorted[Math.floor(sorted.length / 2)]!),
    min: Math.round(sorted[0]!),
    max: Math.round(sorted.at(-1)!),
  }
}

/** Milliseconds from a build appearing to its activate finishing, for `rounds` builds. */
async function latency(mode: 'nix' | 'manifest', rounds: number): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'forklift-bench-hail-'))
  const stamp = join(dir, 'activated')
  const made: string[] = []
  const out: number[] = []
  const hydra = await startHydra()
  const server = await startManifestServer()
  // activate records when it finished, in ms since the epoch.
  const body = (i: number) => `echo "${i} $(($(date +%s%N) / 1000000))" >> ${stamp}`
  try {
    const common = [
      '--profile',
      'bench',
      '--profiles-dir',
      join(dir, 'profiles'),
      '--state-dir',
      join(dir, 'state'),
      '--poll-period',
      '1s',
    ]
    let args: string[]
    let publish: (i: number) => Promise<() => void>
    if (mode === 'nix') {
      const cache = join(dir, 'cache')
      args = [...common, '--job-uri', hydra.jobUri(), ...nixOptionArgs(`file://${cache}`)]
      publish = async (i) => {
        const path = await makeActivatePath(dir, `bench-${i}`, body(i))
        made.push(path)
        await pushToCache(cache, path)
        await deleteFromStore(path)
        return () => hydra.addBuild({ out: path })
      }
    } else {
      args = [...common, '--source', 'manifest', '--url', server.manifestUrl]
      publish = async (i) => {
        const artifact = await makeArtifact(body(i))
        return () => server.publish(`b${i}`, artifact)
      }
    }
    await mkdir(join(dir, 'profiles'))
    const watcher = watch(args)
    await watcher.waitFor((r) => r.event === 'poll')
    for (let i = 1; i <= rounds; i++) {
      const show = await publish(i)
      // Land at a random point of the poll period.
      await sleep(Math.random() * 1000)
      const shown = Date.now()
      show()
      await watcher.waitFor((r) => r.event === 'deployed')
      const lines = (await readFile(stamp, 'utf8')).trim().split('\n')
      const [n, at] = lines.at(-1)!.split(' ')
      if (Number(n) !== i) throw new Error(`activation ${n}, expected ${i}`)
      out.push(Number(at) - shown)
    }
    await watcher.stop()
  } finally {
    await hydra.close()
    await server.close()
    await rm(dir, { recursive: true, force: true })
    await deleteFromStore(...made)
  }
  return out
}

/** RSS of a watcher polling an unchanged build every 10 ms, sampled every 600 polls. */
async function memory(polls: number): Promise<{ polls: number; rssKiB: number }[]> {
  const dir = await mkdtemp(join(tmpdir(), 'forklift-bench-hail-'))
  const server = await startManifestServer()
  try {
    server.publish('b1', await makeArtifact('true'))
    const watcher = watch([
      '--profile',
      'bench',
      '--profiles-dir',
      join(dir, 'profiles'),
      '--state-dir',
      join(dir, 'state'),
      '--source',
      'manifest',
      '--url',
      server.manifestUrl,
      '--poll-period',
      '10ms',
    ])
    const samples: { polls: number; rssKiB: number }[] = []
    let seen = 0
    for (let target = 1; target <= polls; target = target === 1 ? 600 : target + 600) {
      while (seen < target) {
        await watcher.waitFor((r) => r.event === 'poll', 60_000)
        seen = watcher.records.filter((r) => r.event === 'poll').length
      }
      samples.push({ polls: seen, rssKiB: rssKiB(watcher.child.pid!) })
      // Keep the collected log small: the measured process is the watcher, not this one.
      watcher.records.splice(0, watcher.records.length - 10)
      seen = target
    }
    await watcher.stop()
    return samples
  } finally {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** With --expose-gc: the watcher's own heap after a full GC, in process (core API), every 600 polls. */
async function heap(polls: number): Promise<{ polls: number; heapMiB: number }[]> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) return []
  const dir = await mkdtemp(join(tmpdir(), 'forklift-bench-hail-'))
  const server = await startManifestServer()
  const samples: { polls: number; heapMiB: number }[] = []
  try {
    server.publish('b1', await makeArtifact('true'))
    const stop = new AbortController()
    let seen = 0
    const config = watcherConfig(
      {
        profile: 'bench',
        'profiles-dir': join(dir, 'profiles'),
        'state-dir': join(dir, 'state'),
        source: 'manifest',
        url: server.manifestUrl,
        'poll-period': '10ms',
        oneshot: false,
        'require-eval-success': false,
        'health-check-timeout': '2m',
        'activate-timeout': '5m',
        'dry-run': false,
        'allow-self-signed': false,
        'http-timeout': '30s',
        'fetch-timeout': '30m',
        'max-backoff': '1h',
      },
      '/nonexistent',
    )
    await (
      await openWatcher(config, (r) => {
        if (r.event !== 'poll') return
        seen++
        if (seen === 1 || seen % 600 === 0) {
          server.hits.length = 0 // the stand-in's request log lives in this process too
          gc()
          samples.push({ polls: seen, heapMiB: +(process.memoryUsage().heapUsed / 1048576).toFixed(2) })
        }
        if (seen >= polls) stop.abort()
      })
    ).run(stop.signal)
  } finally {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
  return samples
}

const nixUsable = (() => {
  try {
    execFileSync('nix-store', ['--version'], { stdio: 'ignore' })
    return process.getuid?.() === 0
  } catch {
    return false
  }
})()

const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString() }
if (nixUsable) {
  const ms = await latency('nix', 10)
  results.latencyNixMs = summary(ms)
  console.log(`new build → activate finished, Hydra + Nix, 1 s poll: ${JSON.stringify(summary(ms))} ms`)
}
const manifestMs = await latency('manifest', 10)
results.latencyManifestMs = summary(manifestMs)
console.log(`new build → activate finished, manifest, 1 s poll: ${JSON.stringify(summary(manifestMs))} ms`)
const samples = await memory(3600)
results.memory = samples
console.log(
  `watcher RSS over 3600 polls at 10 ms: ${samples.map((s) => `${s.polls}: ${(s.rssKiB / 1024).toFixed(1)} MiB`).join(', ')}`,
)
const heapSamples = await heap(3600)
if (heapSamples.length) {
  results.heap = heapSamples
  console.log(
    `watcher heap after GC (in process): ${heapSamples.map((s) => `${s.polls}: ${s.heapMiB} MiB`).join(', ')}`,
  )
} else {
  console.log('(run with node --expose-gc for the heap after GC)')
}
await mkdir(join(repoRoot, 'bench', 'results'), { recursive: true })
await writeFile(join(repoRoot, 'bench', 'results', 'hail.json'), `${JSON.stringify(results, null, 2)}\n`)
