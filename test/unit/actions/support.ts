import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { compilePhaseScript, parsePhaseOutput, prepareActions } from '../../../src/core/actions/script.js'
import type { Action } from '../../../src/core/actions/types.js'
import { FACTS_SCRIPT, parseFacts } from '../../../src/core/facts/index.js'
import type { Facts } from '../../../src/core/model/node.js'
import type { ActionResult } from '../../../src/core/model/results.js'
import { type ProcessResult, runProcess } from '../../support/process.js'
import { requireTools } from '../../support/require.js'

// Phase scripts run here exactly as a transport runs them: `sh -s` with the script on stdin.

/** A shell to run phase scripts with: dash (/bin/sh here), or busybox ash with only busybox's applets on PATH. */
export interface Shell {
  name: string
  argv: string[]
  env: NodeJS.ProcessEnv
}

export const dash: Shell = { name: 'dash', argv: ['dash', '-s'], env: process.env }

let busybox: Promise<Shell> | undefined

/** busybox ash whose PATH holds busybox applets only (no GNU tools); its folder goes when the process exits. */
function busyboxShell(): Promise<Shell> {
  busybox ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-busybox-'))
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    const applets = spawnSync('busybox', ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
    await Promise.all(applets.map((applet) => symlink('/usr/bin/busybox', join(dir, applet))))
    return { name: 'busybox', argv: ['/usr/bin/busybox', 'sh', '-s'], env: { ...process.env, PATH: dir } }
  })()
  return busybox
}

/** The shells every scenario runs under. */
export const SHELLS = ['dash', 'busybox'] as const

/** The named shell, or undefined when the test was skipped for want of it (a failure under CI). */
export async function shellFor(t: TestContext, name: (typeof SHELLS)[number]): Promise<Shell | undefined> {
  if (name === 'dash') return requireTools(t, 'dash') ? dash : undefined
  return requireTools(t, 'busybox') ? busyboxShell() : undefined
}

let facts: Facts | undefined

/** This machine's facts, read with FACTS_SCRIPT. */
export function localFacts(): Facts {
  facts ??= parseFacts(spawnSync('/bin/sh', ['-s'], { input: FACTS_SCRIPT, encoding: 'utf8' }).stdout)
  return facts
}

export type ShellRun = ProcessResult

/** Run a script on stdin of the shell, as the transport does. */
export function runScript(script: string, shell: Shell = dash): Promise<ShellRun> {
  return runProcess(shell.argv[0]!, shell.argv.slice(1), { env: shell.env, input: script })
}

export interface PhaseRun extends ShellRun {
  results: ActionResult[]
  script: string
  nonce: string
}

let counter = 0

/** Prepare, compile, run and parse one phase of actions on this machine. */
export async function runPhase(
  actions: Action[],
  options: {
    dryRun?: boolean
    shell?: Shell
    facts?: Facts
    baseDir?: string
    templateData?: Record<string, unknown>
  } = {},
): Promise<PhaseRun> {
  const prepared = await prepareActions(actions, {
    baseDir: options.baseDir ?? process.cwd(),
    templateData: options.templateData ?? {},
  })
  const nonce = `n${process.pid}x${++counter}x${Date.now().toString(36)}`
  const script = compilePhaseScript(prepared, {
    facts: options.facts ?? localFacts(),
    dryRun: options.dryRun ?? false,
    nonce,
  })
  const run = await runScript(script, options.shell)
  return {
    ...run,
    script,
    nonce,
    results: parsePhaseOutput(run.stdout, run.stderr, run.code, prepared, nonce),
  }
}

/** The statuses of a run, for compact assertions. */
export const statuses = (run: PhaseRun): string[] => run.results.map((r) => r.status)

/** A temp folder removed after the test. */
export async function tempDir(
  t: { after(fn: () => unknown): void },
  prefix = 'forklift-actions-',
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}
