import type { Sample } from './measure.js'
import { median, spread } from './measure.js'
import type { SshdCounts } from './sshd-log.js'
import type { StartupResult } from './startup.js'

/** One contender's figures for one phase (cold or warm) at one node count. */
export interface RunReport {
  tool: 'forklift' | 'ansible' | 'floor'
  phase: 'cold' | 'warm'
  nodes: number
  samples: number
  wallMs: number
  wallSpread: number
  cpuMs: number
  maxRssKb: number
  /** Per node and run: the most any node saw. */
  connectionsPerNode: number
  channelsPerNode: number
  wallSamplesMs: number[]
}

/** Medians and spread of a contender's samples. */
export function summarize(
  tool: RunReport['tool'],
  phase: RunReport['phase'],
  nodes: number,
  samples: (Sample & { counts: SshdCounts[] })[],
): RunReport {
  const wall = samples.map((s) => s.wallMs)
  return {
    tool,
    phase,
    nodes,
    samples: samples.length,
    wallMs: median(wall),
    wallSpread: spread(wall),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    maxRssKb: median(samples.map((s) => s.maxRssKb)),
    connectionsPerNode: Math.max(...samples.flatMap((s) => s.counts.map((c) => c.connections))),
    channelsPerNode: Math.max(...samples.flatMap((s) => s.counts.map((c) => c.channels))),
    wallSamplesMs: wall,
  }
}

const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`)
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`

/** The report as a Markdown table, with ratios of forklift to ansible and to the floor (wall time). */
export function formatReport(runs: RunReport[], startup: StartupResult): string {
  const rows = [
    '| N | phase | tool | wall (median ± spread) | CPU | peak RSS | conn/node | chan/node | forklift/ansible | forklift/floor |',
    '| --: | --- | --- | --: | --: | --: | --: | --: | --: | --: |',
  ]
  for (const run of runs) {
    const of = (tool: RunReport['tool']) =>
      runs.find((r) => r.nodes === run.nodes && r.phase === run.phase && r.tool === tool)
    const against = (tool: RunReport['tool']) => {
      const other = of(tool)
      return run.tool === 'forklift' && other ? ratio(run.wallMs, other.wallMs) : ''
    }
    rows.push(
      `| ${run.nodes} | ${run.phase} | ${run.tool} | ${ms(run.wallMs)} ± ${(run.wallSpread * 50).toFixed(0)}% | ${ms(run.cpuMs)} | ${(run.maxRssKb / 1024).toFixed(0)} MB | ${run.connectionsPerNode} | ${run.channelsPerNode} | ${against('ansible')} | ${against('floor')} |`,
    )
  }
  rows.push(
    '',
    '| start-up | median | against `node -e 0` |',
    '| --- | --: | --: |',
    `| \`node -e 0\` | ${ms(startup.nodeE0Ms)} | 1.00× |`,
    `| \`forklift --version\` | ${ms(startup.versionMs)} | ${ratio(startup.versionMs, startup.nodeE0Ms)} |`,
    `| \`forklift lift --help\` | ${ms(startup.liftHelpMs)} | ${ratio(startup.liftHelpMs, startup.nodeE0Ms)} |`,
  )
  return rows.join('\n')
}

/** Print the report to stdout. */
export function printReport(runs: RunReport[], startup: StartupResult): void {
  process.stdout.write(`${formatReport(runs, startup)}\n`)
}
