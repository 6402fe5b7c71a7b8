import { Listr, type ListrTask } from 'listr2'
import type { ForkliftEvent } from '../../core/events.js'
import type { NodePhaseResult, RunResult } from '../../core/model/results.js'
import type { RenderOptions } from './attach.js'
import { formatCounts, formatDuration, formatFailure } from './format.js'
import { summary } from './summary.js'

type Waiter<T> = { promise: Promise<T>; resolve: (value: T) => void }

function waiter<T>(): Waiter<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Live tasks on a terminal: group → phase → node, each node with its changed/ok counts. */
export function listrRenderer(options: RenderOptions) {
  const waiters = new Map<string, Waiter<unknown>>()
  let finished: RunResult | undefined
  const wait = <T>(key: string) => {
    let w = waiters.get(key)
    if (!w) {
      w = waiter<unknown>()
      waiters.set(key, w)
      if (finished) w.resolve(undefined)
    }
    return w as Waiter<T>
  }
  const phaseNames = [...(options.command === 'converge' ? ['bootstrap'] : []), 'settings', ...options.phases]

  const nodeTask = (group: string, phase: string, node: string): ListrTask => ({
    title: node,
    task: async (_ctx, task) => {
      const result = await wait<NodePhaseResult | undefined>(`node:${group}:${phase}:${node}`).promise
      if (!result) return task.skip(`${node}: not run`)
      if (result.status === 'failed') throw new Error(`${node}: ${formatFailure(result)}`)
      task.title = `${node} ${result.status} (${formatCounts(result.counts)}) ${formatDuration(result.durationMs)}`
    },
  })

  const phaseTask = (group: string, phase: string): ListrTask => ({
    title: phase,
    task: async (_ctx, task) => {
      const nodes = await wait<string[] | undefined>(`phase:${group}:${phase}`).promise
      if (!nodes) return task.skip(`${phase}: nothing to do`)
      return task.newListr(
        nodes.map((node) => nodeTask(group, phase, node)),
        { concurrent: true, exitOnError: false },
      )
    },
  })

  const list = new Listr(
    options.groups.map<ListrTask>((group) => ({
      title: `${group.name} (${group.provider})`,
      task: async (_ctx, task) => {
        const state = await wait<{ error?: string; nodes?: string }>(`group:${group.name}`).promise
        if (state.error) throw new Error(`${group.name}: ${state.error}`)
        task.title = `${group.name} (${group.provider}): ${state.nodes}`
        return task.newListr(
          phaseNames.map((phase) => phaseTask(group.name, phase)),
          { concurrent: false, exitOnError: false },
        )
      },
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: false } },
  )
  const running = list.run().catch(() => {})

  const listener = (event: ForkliftEvent) => {
    switch (event.type) {
      case 'group:nodes':
        wait(`group:${event.group}`).resolve({
          nodes:
            event.desired === undefined
              ? `${event.existing} node(s)`
              : `${event.existing} → ${event.desired} node(s)`,
        })
        break
      case 'group:error':
        wait(`group:${event.group}`).resolve({ error: event.message })
        break
      case 'phase:start': {
        // Phases before this one that never started had nothing to do.
        for (const earlier of phaseNames.slice(0, phaseNames.indexOf(event.phase))) {
          wait(`phase:${event.group}:${earlier}`).resolve(undefined)
        }
        wait(`phase:${event.group}:${event.phase}`).resolve(event.nodes)
        break
      }
      case 'node:phase:end': {
        const r = event.result
        wait(`node:${r.group}:${r.phase}:${r.node}`).resolve(r)
        break
      }
      case 'run:end':
        finished = event.result
        // Whatever never started is settled now, so the task tree can close.
        for (const group of options.groups) wait(`group:${group.name}`).resolve({ nodes: '' })
        for (const w of waiters.values()) w.resolve(undefined)
        break
      default:
        break
    }
  }

  return {
    listener,
    async done() {
      await running
      if (finished) process.stdout.write(`${summary(finished).join('\n')}\n`)
    },
  }
}
