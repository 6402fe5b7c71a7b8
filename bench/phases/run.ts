// Large phases: one node, thousands of `file` or `line` actions in one phase, against a
// hand-written sh script doing the same writes, measured in the same run.
// Run: npm run bench:phases [-- --repeats 3 --count 2000 --large 100000 --large-files 100 --only files,lines,large
// --timeout SECONDS (a run stopped after that long counts as not finished: ∞) --tools forklift,floor]
// Needs root, openssh-server and sudo. Prints a table and writes bench/results/phases-<time>.json.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { shq } from '../../src/core/actions/quote.js'
import type { TestNodes } from '../../test/support/nodes.js'
import { forkliftBin, repoRoot } from '../../test/support/paths.js'
import { measure, median, type Sample } from '../ssh/measure.js'
import { startBenchNodes } from '../ssh/nodes.js'

/** Where the node writes; wiped before each cold run. */
const SCRATCH = '/tmp/forklift-bench-phases'

/** A workload: what the crate returns, and the same writes as lines of the floor's script. */
interface Workload {
  name: string
  actions: number
  /** The crate's phase function body: `ctx` in scope, returns the actions. */
  crate: string
  floor: string[]
}

const FLOOR_SETUP = `set -e
umask 022
f() { printf '%s' "$2" | cmp -s - "$1" 2>/dev/null || printf '%s' "$2" >"$1"; chmod 644 "$1"; }
a() { grep -qxF -- "$2" "$1" 2>/dev/null || printf '%s\\n' "$2" >>"$1"; }
`

/** `count` files of one line each, mode 0644, in one folder. */
function files(count: number): Workload {
  const dir = `${SCRATCH}/files`
  const floor = [`mkdir -p ${shq(dir)}`]
  for (let i = 0; i < count; i++) floor.push(`f ${shq(`${dir}/f-${i}`)} ${shq(`file ${i}\n`)}`)
  return {
    name: `${count} file`,
    actions: count + 1,
    crate: `const out = [{ type: 'directory', path: ${JSON.stringify(dir)} }]
      for (let i = 0; i < ${count}; i++) out.push({ type: 'file', path: ${JSON.stringify(dir)} + '/f-' + i, content: 'file ' + i + '\\n', mode: '0644' })
      return out`,
    floor,
  }
}

/** `count` lines spread over `spread` files (consecutive lines go to one file). */
function lines(count: number, spread: number): Workload {
  const dir = `${SCRATCH}/lines`
  const per = Math.ceil(count / spread)
  const floor = [`mkdir -p ${shq(dir)}`]
  for (let i = 0; i < count; i++)
    floor.push(`a ${shq(`${dir}/l-${Math.floor(i / per)}.conf`)} ${shq(`key${i} = value ${i}`)}`)
  return {
    name: spread === 1 ? `${count} line, 1 file` : `${count} line, ${spread} files`,
    actions: count + 1,
    crate: `const out = [{ type: 'directory', path: ${JSON.stringify(dir)} }]
      for (let i = 0; i < ${count}; i++) out.push({ type: 'line', path: ${JSON.stringify(dir)} + '/l-' + Math.floor(i / ${per}) + '.conf', line: 'key' + i + ' = value ' + i })
      return out`,
    floor,
  }
}

async function writeProject(work: string, nodes: TestNodes, workload: Workload): Promise<string> {
  const crateDir = join(work, 'crates', 'big')
  await mkdir(crateDir, { recursive: true })
  await writeFile(
    join(crateDir, 'index.js'),
    `export default { phases: { configure(ctx) {\n${workload.crate}\n} } }\n`,
  )
  await writeFile(
    join(crateDir, 'package.json'),
    `${JSON.stringify({ name: 'big', version: '1.0.0', type: 'module', main: 'index.js' })}\n`,
  )
  const n = nodes.nodes[0]!
  const config = {
    name: 'bench',
    providers: {
      loopback: {
        type: 'node-list',
        settings: { nodes: [{ name: n.name, address: n.address, port: n.port, user: n.user, group: 'big' }] },
      },
    },
    groups: {
      big: {
        provider: 'loopback',
        login: { user: n.user, 'identity-file': nodes.clientKey },
        crates: [{ name: 'big' }],
      },
    },
    crates: { path: ['crates'] },
  }
  const file = join(work, 'forklift.yaml')
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`)
  await mkdir(join(work, 'config', 'forklift'), { recursive: true })
  await writeFile(join(work, 'config', 'forklift', 'known_hosts'), await readFile(nodes.knownHosts))
  return file
}

async function writeFloor(work: string, nodes: TestNodes, workload: Workload): Promise<string[]> {
  const n = nodes.nodes[0]!
  const script = join(work, 'floor.sh')
  await writeFile(script, `${FLOOR_SETUP}${workload.floor.join('\n')}\n`)
  const ssh = [
    'ssh -F /dev/null -T -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes',
    `-o UserKnownHostsFile=${shq(nodes.knownHosts)} -o GlobalKnownHostsFile=/dev/null`,
    `-i ${shq(nodes.clientKey)} -p ${n.port} ${n.user}@${n.address} 'sudo -n sh -s' <${shq(script)}`,
  ].join(' ')
  return ['/bin/sh', '-c', ssh]
}

interface Row {
  workload: string
  tool: 'forklift' | 'floor'
  phase: 'cold' | 'warm'
  wallMs: number[]
  maxRssKb: number[]
}

/** Runs longer than `limit` seconds are stopped (exit 124: `timeout`) and counted as not finished. */
let limit = 0

async function once(argv: string[], env: NodeJS.ProcessEnv, work: string, label: string): Promise<Sample> {
  const command = limit > 0 ? ['timeout', '-s', 'KILL', String(limit), ...argv] : argv
  const sample = await measure(command, { env, cwd: work, timeFile: join(work, 'time.out') })
  if (limit > 0 && (sample.code === 137 || sample.code === 124))
    return { ...sample, wallMs: Number.POSITIVE_INFINITY }
  if (sample.code !== 0)
    throw new Error(`${label} failed (exit ${sample.code}):\n${sample.output.slice(-3000)}`)
  return sample
}

async function benchWorkload(
  nodes: TestNodes,
  workload: Workload,
  repeats: number,
  tools: string[],
): Promise<Row[]> {
  const work = await mkdtemp(join(tmpdir(), 'forklift-bench-phases-'))
  try {
    const config = await writeProject(work, nodes, workload)
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      XDG_CONFIG_HOME: join(work, 'config'),
      XDG_CACHE_HOME: join(work, 'cache'),
    }
    delete env.SSH_AUTH_SOCK
    const contenders = {
      forklift: [process.execPath, forkliftBin, 'lift', '--config', config],
      floor: await writeFloor(work, nodes, workload),
    }
    const rows: Row[] = []
    const row = (tool: Row['tool'], phase: Row['phase']) => {
      const found = rows.find((x) => x.tool === tool && x.phase === phase)
      if (found) return found
      const r: Row = { workload: workload.name, tool, phase, wallMs: [], maxRssKb: [] }
      rows.push(r)
      return r
    }
    for (let round = 0; round < repeats; round++) {
      const order = ((round % 2 ? ['floor', 'forklift'] : ['forklift', 'floor']) as Row['tool'][]).filter(
        (t) => tools.includes(t),
      )
      for (const tool of order) {
        await rm(SCRATCH, { recursive: true, force: true })
        for (const phase of ['cold', 'warm'] as const) {
          const s = await once(contenders[tool], env, work, `${tool} ${workload.name} ${phase}`)
          row(tool, phase).wallMs.push(s.wallMs)
          row(tool, phase).maxRssKb.push(s.maxRssKb)
          process.stderr.write(
            `${workload.name} round ${round + 1}/${repeats} ${tool} ${phase}: ${s.wallMs.toFixed(0)} ms, ${Math.round(s.maxRssKb / 1024)} MB\n`,
          )
        }
      }
    }
    return rows
  } finally {
    await rm(SCRATCH, { recursive: true, force: true })
    await rm(work, { recursive: true, force: true })
  }
}

function parseArgs(argv: string[]) {
  const value = (flag: string) => {
    const i = argv.indexOf(flag)
    return i >= 0 ? argv[i + 1] : undefined
  }
  return {
    repeats: Number(value('--repeats') ?? 3),
    count: Number(value('--count') ?? 2000),
    large: Number(value('--large') ?? 100000),
    largeFiles: Number(value('--large-files') ?? 100),
    only: value('--only')?.split(',') ?? ['files', 'lines', 'large'],
    timeout: Number(value('--timeout') ?? 0),
    tools: value('--tools')?.split(',') ?? ['forklift', 'floor'],
  }
}

const options = parseArgs(process.argv.slice(2))
limit = options.timeout
const workloads: [Workload, number][] = []
if (options.only.includes('files')) workloads.push([files(options.count), options.repeats])
if (options.only.includes('lines')) workloads.push([lines(options.count, 1), options.repeats])
if (options.only.includes('large')) workloads.push([lines(options.large, options.largeFiles), 1])

const startedAt = new Date()
const nodes = await startBenchNodes(1)
const rows: Row[] = []
try {
  for (const [workload, repeats] of workloads)
    rows.push(...(await benchWorkload(nodes, workload, repeats, options.tools)))
} finally {
  await nodes.stop()
}

const lines_: string[] = [
  '| workload | phase | forklift | floor | forklift/floor | forklift peak RSS |',
  '| --- | --- | --: | --: | --: | --: |',
]
for (const workload of [...new Set(rows.map((r) => r.workload))]) {
  for (const phase of ['cold', 'warm'] as const) {
    const f = rows.find((r) => r.workload === workload && r.tool === 'forklift' && r.phase === phase)
    const s = rows.find((r) => r.workload === workload && r.tool === 'floor' && r.phase === phase)
    const fw = f ? median(f.wallMs) : Number.NaN
    const sw = s ? median(s.wallMs) : Number.NaN
    const rss = f ? `${Math.round(median(f.maxRssKb) / 1024)} MB` : ''
    lines_.push(
      `| ${workload} | ${phase} | ${(fw / 1000).toFixed(2)} s | ${(sw / 1000).toFixed(2)} s | ${(fw / sw).toFixed(2)}× | ${rss} |`,
    )
  }
}
process.stdout.write(`${lines_.join('\n')}\n`)
const resultsDir = join(repoRoot, 'bench', 'results')
await mkdir(resultsDir, { recursive: true })
const file = join(resultsDir, `phases-${startedAt.toISOString().replaceAll(':', '-')}.json`)
await writeFile(
  file,
  `${JSON.stringify({ startedAt: startedAt.toISOString(), node: process.version, options, rows }, null, 2)}\n`,
)
process.stdout.write(`written to ${file}\n`)
