import { PodUsageError } from './errors.js'
import { type Pod, PodHandle, type PodOptions, preparePod } from './pod.js'

export interface PodPoolOptions {
  /** Warm pods kept started and initialised besides the current one (default 1). */
  size?: number
  /** Runs on every pod the pool starts, before it can be handed out. */
  init?: (pod: Pod) => unknown
  /** Runs before a live pod is destroyed (not for one whose process already died). */
  destroy?: (pod: Pod) => unknown
}

export interface PodPool {
  /** Warm pods kept besides the current one. */
  readonly size: number
  /** The pod to use now. Ask again after a failure: a pod whose process died is replaced at once. */
  current(): Pod
  /** Hand out a warm pod as the current one, destroy the old one in the background, start a replacement. */
  refresh(): Promise<Pod>
  /** Destroy every pod of the pool and wait until their processes are gone. */
  shutdown(): Promise<void>
}

/**
 * Keep `size` warm pods of one environment ready besides the current one; resolves when the current one
 * answers. The dependency set is resolved and installed once for every pod of the pool.
 */
export async function podPool(env: PodOptions, options: PodPoolOptions = {}): Promise<PodPool> {
  const size = options.size ?? 1
  if (!Number.isInteger(size) || size < 0)
    throw new PodUsageError(`pool size must be a whole number (got ${size})`)
  const plan = await preparePod(env)
  const retiring = new Set<Promise<void>>()
  let closed = false

  function start(): PodHandle {
    const pod = new PodHandle(plan, options.init ? [options.init] : [])
    // The pool replaces a dead pod with a warm one instead of restarting it in place.
    pod.autoRestart = false
    pod.successor = () => (closed ? undefined : current)
    pod.onExit(() => died(pod))
    return pod
  }

  function retire(pod: PodHandle, alive: boolean): void {
    const done = (async () => {
      if (alive && options.destroy) {
        try {
          await options.destroy(pod)
        } catch {
          // The pod goes whatever its destroy hook thinks.
        }
      }
      await pod.destroy()
    })()
    retiring.add(done)
    void done.finally(() => retiring.delete(done))
  }

  let current = start()
  const warm: PodHandle[] = []
  const fill = () => {
    while (warm.length < size) warm.push(start())
  }
  fill()

  function promote(alive: boolean): PodHandle {
    const old = current
    current = warm.shift() ?? start()
    fill()
    retire(old, alive)
    return current
  }

  function died(pod: PodHandle): void {
    if (closed) return
    if (pod === current) {
      promote(false)
      return
    }
    const at = warm.indexOf(pod)
    if (at === -1) return
    warm.splice(at, 1)
    retire(pod, false)
    fill()
  }

  const pool: PodPool = {
    size,
    current() {
      if (closed) throw new PodUsageError('the pod pool was shut down')
      return current
    },
    async refresh() {
      if (closed) throw new PodUsageError('the pod pool was shut down')
      const next = promote(true)
      await next.ready()
      return next
    },
    async shutdown() {
      if (!closed) {
        closed = true
        for (const pod of [current, ...warm.splice(0)]) retire(pod, true)
      }
      while (retiring.size > 0) await Promise.all([...retiring])
    },
  }

  try {
    await current.ready()
  } catch (error) {
    await pool.shutdown()
    throw error
  }
  return pool
}
