import { spawn } from 'node:child_process'
import { forkliftBin } from '../../test/support/paths.js'
import { median, spread } from './measure.js'

/** Start-up times: `forklift --version` and `forklift lift --help` against `node -e 0`. */
export interface StartupResult {
  nodeE0Ms: number
  versionMs: number
  liftHelpMs: number
  versionRatio: number
  liftHelpRatio: number
  spreads: { nodeE0: number; version: number; liftHelp: number }
}

function timed(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, { stdio: 'ignore' })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`node ${args.join(' ')} exited ${code}`)),
    )
  })
}

/** Time each command `runs` times, alternating, after one unmeasured start of each. */
export async function benchStartup(runs: number): Promise<StartupResult> {
  const commands = {
    nodeE0: ['-e', '0'],
    version: [forkliftBin, '--version'],
    liftHelp: [forkliftBin, 'lift', '--help'],
  }
  const times = { nodeE0: [] as number[], version: [] as number[], liftHelp: [] as number[] }
  for (const args of Object.values(commands)) await timed(args)
  for (let i = 0; i < runs; i++) {
    for (const key of Object.keys(commands) as (keyof typeof commands)[])
      times[key].push(await timed(commands[key]))
  }
  const nodeE0Ms = median(times.nodeE0)
  const versionMs = median(times.version)
  const liftHelpMs = median(times.liftHelp)
  return {
    nodeE0Ms,
    versionMs,
    liftHelpMs,
    versionRatio: versionMs / nodeE0Ms,
    liftHelpRatio: liftHelpMs / nodeE0Ms,
    spreads: {
      nodeE0: spread(times.nodeE0),
      version: spread(times.version),
      liftHelp: spread(times.liftHelp),
    },
  }
}
