import { Listr, type ListrTask } from 'listr2'
import type { ForkliftEvent } from '../../core/events.js'
import type { ActionResult, NodePhaseResult, RunResult } from '../../core/model/results.js'
import type { RenderOptions } from './attach.js'
import {
  type ActionView,
  crateFrames,
  formatAction,
  formatCounts,
  formatDuration,
  formatFailure,
  formatLog,
  indentBlock,
  interruptNotice,
  shownDiff,
  showsAction,
} from './format.js'
import { showable } from './showable.js'
import { summary } from './summary.js'

type Waiter<T> = { promise: Promise<T>; resolve: (value: T) => void }

function waiter<T>(): Waiter<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/**
 * Live tasks on a terminal: group → phase → node, each node with its changed/ok counts and, under it,
 * the action lines the view shows (every one with --verbose, what would change in a dry run) with
 * their diffs. Logs, failures no task can hold and the Ctrl-C notice go to a bar below the tasks.
 */
export function listrRenderer(options: RenderOptions) {
  const waiters = new Map<string, Waiter<unknown>>()
  let finished: RunResult | undefined
  let closing = false
  const wait = <T>(key: string) => {
    let w = waiters.get(key)
    if (!w) {
      w = waiter<unknown>()
      waiters.set(key, w)
      if (closing) w.resolve(undefined)
    }
    return w as Waiter<T>
  }
  // Whatever never started is settled, so the task tree can close.
  const settleAll = () => {
    closing = true
    for (const w of waiters.values()) w.resolve(undefined)
  }

  const view: ActionView = { verbose: options.verbose, dryRun: false }
  // Every phase of the run, in order, as the engine plans them.
  const phaseNames = options.phases
  const nodeKey = (group: string, phase: string, node: string) => `node:${group}:${phase}:${node}`
  const actions = new Map<string, ActionResult[]>()
  const tasked = new Set<string>()
  const closed = wait<undefined>('closed').promise
  // Notices (Ctrl-C, failures no task holds) all stay; a provider's log can run long (every line of
  // `vagrant up`), so only its last lines do, unless --verbose asks for every line.
  const notices = noteBar(closed, Number.POSITIVE_INFINITY)
  const logs = noteBar(closed, options.verbose ? Number.POSITIVE_INFINITY : 5)

  // A running node task's title, for how far its phase is.
  const progress = new Map<string, (text: string) => void>()
  const nodeTask = (group: string, phase: string, node: string): ListrTask => {
    const key = nodeKey(group, phase, node)
    return {
      title: showable(node),
      // The action lines stay under their node once it is done, as a log's lines would.
      rendererOptions: { persistentOutput: true, outputBar: Number.POSITIVE_INFINITY },
      task: async (_ctx, task) => {
        progress.set(key, (text) => {
          task.title = showable(`${node} ${text}`)
        })
        const result = await wait<NodePhaseResult | undefined>(key).promise
        progress.delete(key)
        if (!result) return task.skip(`${node}: not run`)
        for (const r of actions.get(key) ?? []) {
          if (!showsAction(r, view)) continue
          const diff = shownDiff(r, view)
          task.output = showable(diff ? `${formatAction(r)}\n${indentBlock(diff, 2)}` : formatAction(r))
        }
        if (result.status === 'failed') {
          const frames = crateFrames(result, options.verbose, 2)
          throw new Error(showable(`${node}: ${formatFailure(result)}${frames ? `\n${frames}` : ''}`))
        }
        task.title = showable(
          `${node} ${result.status} (${formatCounts(result.counts)}) ${formatDuration(result.durationMs)}`,
        )
      },
    }
  }

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
    [
      ...options.groups.map<ListrTask>((group) => ({
        title: `${group.name} (${group.provider})`,
        task: async (_ctx, task) => {
          const state = await wait<{ error?: string; nodes?: string } | undefined>(`group:${group.name}`)
            .promise
          if (!state) return task.skip(`${group.name}: not run`)
          if (state.error) throw new Error(showable(`${group.name}: ${state.error}`))
          task.title = showable(`${group.name} (${group.provider}): ${state.nodes}`)
          return task.newListr(
            phaseNames.map((phase) => phaseTask(group.name, phase)),
            { concurrent: false, exitOnError: false },
          )
        },
      })),
      notices.task,
      logs.task,
    ],
    {
      concurrent: true,
      exitOnError: false,
      // Ctrl-C belongs to the run (first: finish what runs, second: abort); listr2 would exit at once.
      registerSignalListeners: false,
      // A diff's blank context lines are part of it.
      rendererOptions: { collapseSubtasks: false, removeEmptyLines: false },
    },
  )
  const running = list.run().catch(() => {})

  const listener = (event: ForkliftEvent) => {
    switch (event.type) {
      case 'run:start':
        view.dryRun = event.dryRun
        break
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
        if (phaseNames.includes(event.phase) && options.groups.some((g) => g.name === event.group)) {
          for (const node of event.nodes) tasked.add(nodeKey(event.group, event.phase, node))
        }
        wait(`phase:${event.group}:${event.phase}`).resolve(event.nodes)
        break
      }
      case 'node:action': {
        const key = nodeKey(event.group, event.phase, event.node)
        const list = actions.get(key)
        if (list) list.push(event.result)
        else actions.set(key, [event.result])
        break
      }
      case 'node:phase:progress': {
        const key = nodeKey(event.group, event.phase, event.node)
        progress.get(key)?.(`${event.done}/${event.total}`)
        break
      }
      case 'node:phase:end': {
        const r = event.result
        const key = nodeKey(r.group, r.phase, r.node)
        if (tasked.delete(key)) wait(key).resolve(r)
        // A failure outside the task tree (connecting, logging in as admin after bootstrap) is said below it.
        else if (r.status === 'failed') {
          const frames = crateFrames(r, options.verbose, 2)
          notices.add(`${r.node} failed in ${r.phase}: ${formatFailure(r)}${frames ? `\n${frames}` : ''}`)
        }
        break
      }
      case 'log': {
        const who = event.node ?? event.group
        logs.add(`${who ? `${who}: ` : ''}${formatLog(event)}`)
        break
      }
      case 'interrupt':
        notices.add(interruptNotice(event.second, event.signal))
        break
      case 'run:end':
        finished = event.result
        settleAll()
        break
      default:
        break
    }
  }

  return {
    listener,
    async done() {
      // A run that ended before its run:end (providers that failed to open) still closes the tree.
      settleAll()
      await running
      if (finished) process.stdout.write(`${showable(summary(finished).join('\n'))}\n`)
    },
  }
}

/**
 * A task without a title: listr2 shows its output in a bar below the tasks, live and at the end, so
 * lines that belong to no single node never tear the tree apart. It keeps its last `limit` lines;
 * lines given before it runs wait for it.
 */
function noteBar(closed: Promise<undefined>, limit: number) {
  let bar: { output: string } | undefined
  const pending: string[] = []
  return {
    add(raw: string) {
      const text = showable(raw)
      if (bar) bar.output = text
      else pending.push(text)
    },
    task: {
      rendererOptions: { bottomBar: limit, persistentOutput: true },
      task: async (_ctx, task) => {
        bar = task
        for (const text of pending.splice(0)) task.output = text
        await closed
      },
    } satisfies ListrTask,
  }
}
