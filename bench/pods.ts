// Pod speed, each figure against `node -e 0` measured in the same run:
//   cold   — makePod with its dependency set cached, up to the first eval answered (target ≤ 1.5×)
//   warm   — one eval round trip on a warm pod from a pool (target: median under 1 ms)
//   1000   — 1,000 calls through one pod
// and the OS sandbox's cost: cold pod and warm eval under bubblewrap against `sandbox: node-only`,
// interleaved in the same run (goal: cold ≤ 1.3×, warm eval unchanged).
// Run: npx tsc -p . && node dist/bench/pods.js [--json]
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { destroyPod, makePod, type PodOptions, podPool, type SandboxMode } from '../src/core/pods/index.js'
import { fixture } from '../test/support/paths.js'

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function nodeE0(): Promise<number> {
  const start = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
    child.on('error', reject)
    child.on('exit', () => resolve(performance.now() - start))
  })
}

export interface PodBenchResult {
  node: string
  nodeE0Ms: number
  coldMs: number
  coldRatio: number
  warmEvalMedianMs: number
  warmEvalRatio: number
  thousandCallsMs: number
  thousandCallsRatio: number
}

export interface SandboxBenchResult {
  node: string
  sandbox: string
  coldMs: number
  nodeOnlyColdMs: number
  coldRatio: number
  warmEvalMedianMs: number
  nodeOnlyWarmEvalMedianMs: number
  warmEvalRatio: number
}

async function coldStart(env: PodOptions): Promise<number> {
  const start = performance.now()
  const pod = await makePod(env)
  await pod.eval('1')
  const ms = performance.now() - start
  await destroyPod(pod)
  return ms
}

async function warmEvals(env: PodOptions, count: number): Promise<number[]> {
  const pool = await podPool(env, { size: 1 })
  try {
    const pod = pool.current()
    for (let i = 0; i < 100; i++) await pod.eval('1')
    const out: number[] = []
    for (let i = 0; i < count; i++) {
      const start = performance.now()
      await pod.eval('1 + 1')
      out.push(performance.now() - start)
    }
    return out
  } finally {
    await pool.shutdown()
  }
}

/** The OS sandbox against Node's permission model alone: cold starts interleaved, warm evals alternated. */
export async function benchSandbox(runs = 15, sandbox: SandboxMode = 'auto'): Promise<SandboxBenchResult> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'forklift-bench-sandbox-'))
  const base = { dependencies: [fixture('pods', 'fixture-lib-2.0.0.tgz')], cacheDir }
  const boxed = { ...base, sandbox }
  const bare = { ...base, sandbox: 'node-only' as const }
  try {
    await coldStart(boxed)
    await coldStart(bare)
    const cold: number[] = []
    const bareCold: number[] = []
    for (let i = 0; i < runs; i++) {
      cold.push(await coldStart(boxed))
      bareCold.push(await coldStart(bare))
    }
    const warm: number[] = []
    const bareWarm: number[] = []
    for (let i = 0; i < 5; i++) {
      warm.push(...(await warmEvals(boxed, 200)))
      bareWarm.push(...(await warmEvals(bare, 200)))
    }
    const coldMs = median(cold)
    const nodeOnlyColdMs = median(bareCold)
    const warmEvalMedianMs = median(warm)
    const nodeOnlyWarmEvalMedianMs = median(bareWarm)
    return {
      node: process.version,
      sandbox,
      coldMs,
      nodeOnlyColdMs,
      coldRatio: coldMs / nodeOnlyColdMs,
      warmEvalMedianMs,
      nodeOnlyWarmEvalMedianMs,
      warmEvalRatio: warmEvalMedianMs / nodeOnlyWarmEvalMedianMs,
    }
  } finally {
    await rm(cacheDir, { recursive: true, force: true })
  }
}

/** Measure pods on this machine; `runs` samples of each start-up figure. */
export async function benchPods(runs = 15): Promise<PodBenchResult> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'forklift-bench-pods-'))
  const env = { dependencies: [fixture('pods', 'fixture-lib-2.0.0.tgz')], cacheDir }
  try {
    // Install the set and lay out the view once: what follows measures cached starts only.
    await destroyPod(await makePod(env))
    await nodeE0()

    const baseline: number[] = []
    const cold: number[] = []
    for (let i = 0; i < runs; i++) {
      baseline.push(await nodeE0())
      const start = performance.now()
      const pod = await makePod(env)
      await pod.eval('1')
      cold.push(performance.now() - start)
      await destroyPod(pod)
    }

    const pool = await podPool(env, { size: 1 })
    let warm: number[] = []
    let thousand: number
    try {
      const pod = pool.current()
      await pod.call('fixture-lib#greet', { name: 'warm-up' })
      for (let i = 0; i < 100; i++) await pod.eval('1')
      warm = []
      for (let i = 0; i < 1000; i++) {
        const start = performance.now()
        await pod.eval('1 + 1')
        warm.push(performance.now() - start)
      }
      const start = performance.now()
      for (let i = 0; i < 1000; i++) await pod.call('fixture-lib#greet', { name: `n${i}` })
      thousand = performance.now() - start
    } finally {
      await pool.shutdown()
    }

    const nodeE0Ms = median(baseline)
    const coldMs = median(cold)
    const warmEvalMedianMs = median(warm)
    return {
      node: process.version,
      nodeE0Ms,
      coldMs,
      coldRatio: coldMs / nodeE0Ms,
      warmEvalMedianMs,
      warmEvalRatio: warmEvalMedianMs / nodeE0Ms,
      thousandCallsMs: thousand,
      thousandCallsRatio: thousand / nodeE0Ms,
    }
  } finally {
    await rm(cacheDir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchPods()
  const sandbox = await benchSandbox()
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ ...result, sandbox }, null, 2))
  } else {
    const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`
    const x = (n: number) => `${n.toFixed(n < 1 ? 3 : 2)}×`
    console.log(`pods on Node ${result.node}`)
    console.log(`  node -e 0                        ${ms(result.nodeE0Ms)}`)
    console.log(
      `  cold pod (set cached) → 1st eval ${ms(result.coldMs)}  ${x(result.coldRatio)}  (target ≤ 1.5×)`,
    )
    console.log(
      `  warm pod, eval round trip median ${ms(result.warmEvalMedianMs)}  ${x(result.warmEvalRatio)}  (target < 1 ms)`,
    )
    console.log(
      `  1,000 calls through one pod      ${ms(result.thousandCallsMs)}  ${x(result.thousandCallsRatio)}`,
    )
    console.log(`the OS sandbox (${sandbox.sandbox}) against sandbox: node-only, same run`)
    console.log(
      `  cold pod → 1st eval              ${ms(sandbox.coldMs)} vs ${ms(sandbox.nodeOnlyColdMs)}  ${x(sandbox.coldRatio)}  (goal ≤ 1.3×)`,
    )
    console.log(
      `  warm eval round trip median      ${ms(sandbox.warmEvalMedianMs)} vs ${ms(sandbox.nodeOnlyWarmEvalMedianMs)}  ${x(sandbox.warmEvalRatio)}  (goal: unchanged)`,
    )
  }
}
