import { readFile, realpath } from 'node:fs/promises'
import { sep } from 'node:path'
import { errorMessage } from '../errors.js'
import type { Facts } from '../model/node.js'
import type { ActionResult } from '../model/results.js'
import { localPath } from '../paths.js'
import { describeValue } from '../text/values.js'
import type { ActionDefinition, CompileContext } from './definition.js'
import { DIFF_LIMIT, fileDiff } from './diff.js'
import { compileLineRun, LineReplay, lineRuns } from './line-batch.js'
import { describeOutcome } from './messages.js'
import { type HelperName, helperCode, SETUP } from './prelude.js'
import { type ActionReport, markerOf, readScriptOutput, type ScriptReport } from './protocol.js'
import { shq } from './quote.js'
import { definitionOf } from './registry.js'
import { renderTemplate } from './template.js'
import type { Action, LineAction } from './types.js'
import { ActionError, checkAction, fieldError } from './validate.js'

/** Whether a real path lies in one of these folders, each taken by its own real path. */
async function insideAny(real: string, roots: string[]): Promise<boolean> {
  for (const root of roots) {
    const base = await realpath(root).catch(() => undefined)
    if (base && (real === base || real.startsWith(base.endsWith(sep) ? base : base + sep))) return true
  }
  return false
}

/** The definition of an action the schema accepted. */
function definitionFor(action: Action): ActionDefinition<Action> {
  return definitionOf(action.type)!
}

/**
 * Control-side work before compiling: check every action against the action schema, render
 * `remote-file` templates with `templateData` (settings, env, node) and read `localFile`s (relative
 * to baseDir, `~/` in the home folder; with `localRoots`, only files whose real path lies in one of them),
 * so that compiling is pure. Returns new actions; the input is not changed.
 */
export async function prepareActions(
  actions: Action[],
  options: { baseDir: string; templateData: Record<string, unknown>; localRoots?: string[] },
): Promise<Action[]> {
  if (!Array.isArray(actions))
    throw new ActionError(`actions must be a list, got ${describeValue(actions as unknown)}`)
  const seen = new Map<string, number>()
  const prepared: Action[] = []
  for (const [index, raw] of actions.entries()) {
    const action = checkAction(raw, index)
    if (action.id !== undefined) {
      const before = seen.get(action.id)
      if (before !== undefined)
        throw fieldError(action, index, 'id', `"${action.id}" is already the id of action ${before}`)
      seen.set(action.id, index)
    }
    if (action.type !== 'remote-file' || action.state === 'absent') {
      prepared.push(action)
      continue
    }
    const { template, localFile, ...rest } = action
    if (template !== undefined) {
      let content: string
      try {
        content = renderTemplate(template, options.templateData)
      } catch (error) {
        throw fieldError(action, index, 'template', errorMessage(error))
      }
      prepared.push({ ...rest, content })
    } else if (localFile !== undefined) {
      const path = localPath(options.baseDir, localFile)
      let content: Uint8Array
      try {
        const real = await realpath(path)
        if (options.localRoots && !(await insideAny(real, options.localRoots))) {
          throw fieldError(
            action,
            index,
            'localFile',
            `${path} is outside ${options.localRoots.join(' and ')}: a crate may upload only files of its own folder or the project's`,
          )
        }
        content = new Uint8Array(await readFile(real))
      } catch (error) {
        if (error instanceof ActionError) throw error
        const code = (error as NodeJS.ErrnoException).code
        throw fieldError(action, index, 'localFile', `cannot read ${path}${code ? ` (${code})` : ''}`)
      }
      prepared.push({ ...rest, content })
    } else {
      prepared.push(action)
    }
  }
  return prepared
}

/**
 * One POSIX sh script for all actions of one node's phase, fed to `sh -s` on stdin. Each action
 * checks the node, changes only what differs (nothing in a dry run), and reports between markers
 * made with `nonce`; after a failed action the script stops.
 */
export function compilePhaseScript(
  actions: Action[],
  options: { facts: Facts; dryRun: boolean; nonce: string },
): string {
  const { facts, dryRun, nonce } = options
  if (!/^[A-Za-z0-9]{8,64}$/.test(nonce))
    throw new Error('the script nonce must be 8 to 64 letters or digits')
  const checked = actions.map((raw, index) => checkAction(raw, index))
  const ids = new Map<string, number>()
  for (const [index, action] of checked.entries()) {
    if (action.id === undefined) continue
    const at = ids.get(action.id)
    if (at !== undefined)
      throw fieldError(action, index, 'id', `"${action.id}" is already the id of action ${at}`)
    ids.set(action.id, index)
  }
  const runs = lineRuns(checked)
  const helpers = new Set<HelperName>()
  const blocks: string[] = []
  for (let index = 0; index < checked.length; index++) {
    const action = checked[index]!
    const last = runs.get(index)
    if (last !== undefined) {
      helpers.add('lb')
      const run = compileLineRun(checked.slice(index, last + 1) as LineAction[], index)
      blocks.push(`_a ${index}\n{\n${run}\n} </dev/null >"$T/o" 2>"$T/e"\n_zb`)
      index = last
      continue
    }
    const fail = (field: string, problem: string) => fieldError(action, index, field, problem)
    const context: CompileContext = {
      facts,
      earlier: (names, field) =>
        names.map((name) => {
          const at = ids.get(name)
          if (at === undefined) throw fail(field, `names "${name}", but no action in this phase has that id`)
          if (at >= index)
            throw fail(field, `names "${name}", which is action ${at}: only earlier actions can notify`)
          return at
        }),
    }
    const fragment = definitionFor(action).compile(action, context)
    for (const helper of fragment.helpers) helpers.add(helper)
    blocks.push(`_a ${index}\n{\n${fragment.body}\n} </dev/null >"$T/o" 2>"$T/e"\n_z ${index}`)
  }
  return [
    `N=${shq(markerOf(nonce))} D=${dryRun ? 1 : 0}`,
    SETUP,
    helperCode(helpers),
    `printf '%s start %s\\n' "$N" "$D"`,
    ...blocks,
    `printf '%s done\\n' "$N"`,
    '',
  ].join('\n')
}

// Whole: renderers shorten it after redaction.
const lastLine = (lines: string[]): string | undefined =>
  lines
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1)

/**
 * Turn the script's output into one result per action. Output cut short (a dropped connection)
 * makes the action in progress `failed` and the rest `skipped`; so does a failed action. With
 * `durations` (actionClock's), every result gets its durationMs: 0 for one that never began.
 */
export function parsePhaseOutput(
  stdout: string,
  stderr: string,
  exitCode: number | null,
  actions: Action[],
  nonce: string,
  durations?: ReadonlyMap<number, number>,
): ActionResult[] {
  const results = resultsOf(stdout, stderr, exitCode, actions, nonce)
  return durations ? results.map((r) => ({ ...r, durationMs: durations.get(r.index) ?? 0 })) : results
}

function resultsOf(
  stdout: string,
  stderr: string,
  exitCode: number | null,
  actions: Action[],
  nonce: string,
): ActionResult[] {
  const report = readScriptOutput(stdout, nonce)
  const scriptError = lastLine(stderr.split('\n'))
  const exitNote = exitCode === null ? 'the connection closed' : `the script exited with status ${exitCode}`
  let stopped: string | undefined
  let firstChange: ActionResult | undefined
  const results = actions.map((action, index): ActionResult => {
    const base = {
      index,
      ...(action.id !== undefined ? { id: action.id } : {}),
      type: action.type,
      summary: describeAction(action),
    }
    if (stopped) return { ...base, status: 'skipped', message: stopped }
    const seen = report.actions.get(index)
    if (!report.started) {
      stopped = 'not run: the script did not start'
      return {
        ...base,
        status: 'failed',
        message: `the script did not start (${exitNote})${scriptError ? `: ${scriptError}` : ''}`,
        ...(exitCode !== null && exitCode !== 0 ? { exitCode } : {}),
        ...(stderr.trim() ? { output: stderr.trim() } : {}),
      }
    }
    if (!seen?.ended) {
      stopped = 'not run: the node stopped answering'
      const output = [
        ...(seen?.stdout ?? []),
        ...(seen?.stderr ?? []),
        ...(stderr.trim() ? [stderr.trim()] : []),
      ].join('\n')
      return {
        ...base,
        status: 'failed',
        message: `the node stopped answering during this action (${exitNote})${scriptError ? `: ${scriptError}` : ''}`,
        ...(output ? { output } : {}),
      }
    }
    const result = finished(action, seen, report.dryRun, base, firstChange)
    if (result.status === 'failed') stopped = `not run: action ${index} (${base.summary}) failed`
    if (result.status === 'changed') firstChange ??= result
    return result
  })
  for (const [first, last] of lineRuns(actions)) runDiffs(results, actions, report, first, last)
  return results
}

/**
 * The diffs of a run of `line` actions: the node sent the file once (data `b`, before the run) and
 * each changed action's edit; replaying them gives each step's before and after.
 */
function runDiffs(
  results: ActionResult[],
  actions: Action[],
  report: ScriptReport,
  first: number,
  last: number,
): void {
  let replay: LineReplay | undefined
  for (let index = first; index <= last; index++) {
    const result = results[index]!
    const seen = report.actions.get(index)
    if (result.status !== 'changed' || !seen?.edit) continue
    if (!replay) {
      const base = report.actions.get(first)?.data.get('b')
      // A file there before the run that did not come back cannot be replayed.
      if (base === undefined && !seen.words.includes('create')) return
      replay = new LineReplay((actions[first] as LineAction).path, base, (base?.length ?? 0) > DIFF_LIMIT)
    }
    const diff = replay.apply(seen.edit.split(' '), (actions[index] as LineAction).line ?? '')
    if (diff === undefined) return
    results[index] = { ...result, diff }
  }
}

function finished(
  action: Action,
  seen: ActionReport,
  dryRun: boolean,
  base: Pick<ActionResult, 'index' | 'id' | 'type' | 'summary'>,
  firstChange: ActionResult | undefined,
): ActionResult {
  // `after` only where a would-change action came first; anything else claiming it failed.
  const status = seen.status === 'after' && !(dryRun && firstChange) ? 'failed' : seen.status!
  const failing = status === 'failed' || status === 'after'
  const detail = lastLine(seen.stderr) ?? (failing ? lastLine(seen.stdout) : undefined)
  const outcome = describeOutcome(action, {
    status: status === 'after' ? 'failed' : status,
    ...(seen.reason ? { reason: seen.reason } : {}),
    words: seen.words,
    exit: seen.exit,
    ...(detail ? { detail } : {}),
    dryRun,
  })
  const message =
    status === 'after'
      ? `would change (after ${firstChange!.summary}): on the node as it is, ${outcome}`
      : outcome
  const output = [...seen.stdout, ...seen.stderr].join('\n')
  const diff = status === 'changed' ? diffOf(action, seen) : undefined
  return {
    ...base,
    status,
    message,
    ...(status === 'after' ? { after: firstChange!.index } : {}),
    ...(status === 'failed' && seen.exit !== 0 ? { exitCode: seen.exit } : {}),
    ...(output ? { output } : {}),
    ...(diff ? { diff } : {}),
  }
}

/** A diff for a changed file's content: from what the node sent back to what it should hold. */
function diffOf(action: Action, seen: ActionReport): string | undefined {
  const changedContent =
    seen.words.includes('content') || seen.words.includes('create') || seen.words.includes('line')
  if (!changedContent) return undefined
  if (action.type === 'line') {
    const after = seen.data.get('n')
    return after ? fileDiff(action.path, seen.data.get('o') ?? new Uint8Array(), after) : undefined
  }
  const desired = definitionOf(action.type)?.desired?.(action)
  if (!desired) return undefined
  return fileDiff(desired.path, seen.data.get('o') ?? new Uint8Array(), desired.content)
}

/** A short summary of an action, e.g. `file /etc/motd` or `package nginx`. */
export function describeAction(action: Action): string {
  const definition = definitionOf((action as { type?: unknown })?.type)
  return definition
    ? definition.describe(action)
    : `unknown action ${describeValue((action as { type?: unknown })?.type)}`
}
