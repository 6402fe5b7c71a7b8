// Forklift against Ansible and a hand-written floor over SSH, on loopback openssh-server nodes.
// Run: npm run bench:ssh [-- --quick] [-- --nodes 1,10,50 --repeats 5 --tools forklift,ansible,floor --actions 30]
// Needs root, openssh-server, sudo and ansible (apt-get install ansible). Prints a table and writes
// bench/results/ssh-<time>.json.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '../../test/support/paths.js'
import { writeAnsibleProject } from './ansible-project.js'
import { ansibleContender, type Contender, floorContender, forkliftContender } from './contenders.js'
import { digestDiff, digestTree } from './digest.js'
import { writeFloor } from './floor.js'
import { writeForkliftProject } from './forklift-project.js'
import { measure, type Sample } from './measure.js'
import { startBenchNodes } from './nodes.js'
import { stopMasters } from './processes.js'
import { countSince, logMarks } from './sshd-log.js'
import { benchStartup, type StartupResult } from './startup.js'
import { printReport, type RunReport, summarize } from './table.js'
import { SCRATCH, scratchOf, workload } from './workload.js'

interface Options {
  nodes: number[]
  repeats: number
  quick: boolean
  /** Contenders to run (default all three). */
  tools: string[]
  /** Steps per node: the first M of the workload (default all 30). */
  actions: number
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick')
  const value = (flag: string) => {
    const i = argv.indexOf(flag)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const nodes = value('--nodes')?.split(',').map(Number) ?? (quick ? [1, 10] : [1, 10, 50])
  const repeats = Number(value('--repeats') ?? (quick ? 3 : 5))
  const tools = value('--tools')?.split(',') ?? ['forklift', 'ansible', 'floor']
  const actions = Number(value('--actions') ?? workload().length)
  return { nodes, repeats, quick, tools, actions }
}

const wipe = () => rm(SCRATCH, { recursive: true, force: true })

/** One sample of a contender, with the connections and channels its nodes' sshd logged. */
async function sampleOnce(contender: Contender, work: string, logs: string[]) {
  const runDir = await mkdtemp(join(work, `${contender.name}-run-`))
  const { argv, env } = contender.command(runDir)
  const marks = await logMarks(logs)
  let sample: Sample
  try {
    sample = await measure(argv, { env, cwd: work, timeFile: join(work, 'time.out') })
  } finally {
    if (contender.name === 'ansible') await stopMasters(runDir)
  }
  const counts = await countSince(logs, marks)
  await rm(runDir, { recursive: true, force: true })
  if (sample.code !== 0) {
    throw new Error(`${contender.name} failed (exit ${sample.code}):\n${sample.output.slice(-3000)}`)
  }
  return { ...sample, counts }
}

type Measured = Awaited<ReturnType<typeof sampleOnce>>

/** Bench N nodes: a checked warm-up of each contender, then `repeats` rounds, contenders alternating. */
async function benchNodes(
  count: number,
  repeats: number,
  tools: string[],
  actions: number,
): Promise<RunReport[]> {
  const nodes = await startBenchNodes(count)
  const work = await mkdtemp(join(tmpdir(), 'forklift-bench-work-'))
  try {
    const steps = workload().slice(0, actions)
    const contenders = [
      forkliftContender(work, await writeForkliftProject(work, nodes, steps), count),
      ansibleContender(work, await writeAnsibleProject(work, nodes, steps)),
      floorContender(await writeFloor(work, nodes, steps)),
    ].filter((c) => tools.includes(c.name))
    const logs = nodes.nodes.map((n) => join(n.dir, 'sshd.log'))

    // Warm-up (not measured): creates the shared user, fills caches, and checks that all three leave
    // the same files behind and that a second run changes nothing.
    let reference: string[][] | undefined
    for (const contender of contenders) {
      await wipe()
      await sampleOnce(contender, work, logs)
      const trees = await Promise.all(nodes.nodes.map((n) => digestTree(scratchOf(n.name))))
      if (!reference) reference = trees
      for (const [i, tree] of trees.entries()) {
        const diff = digestDiff(reference[i]!, tree)
        if (diff.length)
          throw new Error(
            `${contender.name} left different files than forklift on ${nodes.nodes[i]!.name}:\n${diff.join('\n')}`,
          )
      }
      const again = await sampleOnce(contender, work, logs)
      if (contender.unchanged(again.output) === false) {
        throw new Error(
          `${contender.name}: a second run still changed something:\n${again.output.slice(-3000)}`,
        )
      }
    }

    const samples = new Map<string, { cold: Measured[]; warm: Measured[] }>()
    for (const c of contenders) samples.set(c.name, { cold: [], warm: [] })
    for (let round = 0; round < repeats; round++) {
      // Rotate who goes first, so no contender always follows the same one.
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!)
      for (const contender of order) {
        await wipe()
        const cold = await sampleOnce(contender, work, logs)
        const warm = await sampleOnce(contender, work, logs)
        samples.get(contender.name)!.cold.push(cold)
        samples.get(contender.name)!.warm.push(warm)
        process.stderr.write(
          `N=${count} round ${round + 1}/${repeats} ${contender.name}: cold ${cold.wallMs.toFixed(0)} ms, warm ${warm.wallMs.toFixed(0)} ms\n`,
        )
      }
    }
    return contenders.flatMap((c) =>
      (['cold', 'warm'] as const).map((phase) =>
        summarize(c.name, phase, count, samples.get(c.name)![phase]),
      ),
    )
  } finally {
    await wipe()
    await nodes.stop()
    await rm(work, { recursive: true, force: true })
  }
}

const options = parseArgs(process.argv.slice(2))
const startedAt = new Date()
const startup: StartupResult = await benchStartup(options.quick ? 10 : 20)
const runs: RunReport[] = []
for (const count of options.nodes)
  runs.push(...(await benchNodes(count, options.repeats, options.tools, options.actions)))
printReport(runs, startup)
const resultsDir = join(repoRoot, 'bench', 'results')
await mkdir(resultsDir, { recursive: true })
const file = join(resultsDir, `ssh-${startedAt.toISOString().replaceAll(':', '-')}.json`)
const document = {
  startedAt: startedAt.toISOString(),
  node: process.version,
  options,
  actionsPerNode: Math.min(options.actions, workload().length),
  startup,
  runs,
}
await writeFile(file, `${JSON.stringify(document, null, 2)}\n`)
process.stdout.write(`\nwritten to ${file}\n`)
