// Wall time of `forklift converge` creating 3 EC2 instances against the local EC2 endpoint (real SDK,
// real rootfs SSH nodes), and how much of it is waiting: until `running` and SSH readiness. Each
// round converges twice on fresh endpoints: as EC2 at its most prompt (the reference), and with
// eventual consistency and late console keys switched on (each new thing unknown to the first
// --consistency-calls calls naming it, the console without keys for --console-late-calls reads).
// Run: npx tsc -p . && node dist/bench/ec2-converge.js [--pending-ms 300] [--rounds 3]
//      [--consistency-calls 3] [--console-late-calls 10]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runCli } from '../test/support/cli.js'
import { startRootfsEc2Endpoint } from '../test/support/ec2/rootfs-launcher.js'
import { generateKey } from '../test/support/keys.js'

const { values } = parseArgs({
  options: {
    'pending-ms': { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
    'consistency-calls': { type: 'string', default: '3' },
    'console-late-calls': { type: 'string', default: '10' },
  },
})
const pendingMs = Number(values['pending-ms'])
const rounds = Number(values.rounds)

const crate = `export default { phases: { configure: (ctx) => [
  { type: 'file', path: '/etc/motd', content: 'node ' + ctx.node.name + '\\n', mode: '0644' },
] } }
`

interface Round {
  convergeMs: number
  /** RunInstances until every instance is running (the waiter). */
  waiterMs: number
  /** Running until SSH answered on all of them. */
  sshMs: number
  secondConvergeMs: number
}

async function round(index: number, strict: boolean): Promise<Round> {
  const endpoint = await startRootfsEc2Endpoint({
    pendingMs,
    ...(strict
      ? {
          consistencyCalls: Number(values['consistency-calls']),
          consoleLateCalls: Number(values['console-late-calls']),
        }
      : {}),
  })
  const dir = await mkdtemp(join(tmpdir(), 'forklift-bench-ec2-'))
  try {
    await generateKey(join(dir, 'id_ed25519'))
    await mkdir(join(dir, 'crates', 'motd'), { recursive: true })
    await writeFile(join(dir, 'crates', 'motd', 'index.js'), crate)
    await writeFile(
      join(dir, 'forklift.yaml'),
      `name: bench
providers:
  aws: { type: ec2, settings: { region: us-east-1, waiter-delay: 0.1 } }
groups:
  web:
    provider: aws
    count: 3
    image: { os: debian, version: "12" }
    login: { user: forklift, identity-file: id_ed25519 }
    crates: [motd]
`,
    )
    const env = { ...endpoint.env, XDG_CONFIG_HOME: join(dir, 'xdg'), HOME: dir, SSH_AUTH_SOCK: '' }
    const timed = async (args: string[]) => {
      const start = process.hrtime.bigint()
      const result = await runCli(['converge', '-c', join(dir, 'forklift.yaml'), ...args], { cwd: dir, env })
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      if (result.code !== 0)
        throw new Error(`round ${index}: converge failed:\n${result.stdout}${result.stderr}`)
      return { ms, output: result.stdout + result.stderr }
    }
    const first = await timed(['--verbose'])
    const match = /running after ([\d.]+) s, SSH answered ([\d.]+) s later/.exec(first.output)
    if (!match) throw new Error(`round ${index}: no timing line in the output:\n${first.output}`)
    const second = await timed([])
    return {
      convergeMs: first.ms,
      waiterMs: Number(match[1]) * 1000,
      sshMs: Number(match[2]) * 1000,
      secondConvergeMs: second.ms,
    }
  } finally {
    await endpoint.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.getuid?.() !== 0) {
  console.error('ec2-converge: needs root (rootfs SSH nodes)')
  process.exit(0)
}
const prompt: Round[] = []
const strict: Round[] = []
// Alternated, so that a machine busier at one moment weighs on both alike.
for (let i = 0; i < rounds; i++) {
  prompt.push(await round(i, false))
  strict.push(await round(i, true))
}
const median = (results: Round[], pick: (r: Round) => number) => {
  const sorted = results.map(pick).sort((a, b) => a - b)
  return Math.round(sorted[Math.floor(sorted.length / 2)]!)
}
const medians = (results: Round[]) => ({
  converge: median(results, (r) => r.convergeMs),
  waiter: median(results, (r) => r.waiterMs),
  sshReadiness: median(results, (r) => r.sshMs),
  secondConverge: median(results, (r) => r.secondConvergeMs),
})
const rows = (results: Round[]) =>
  results.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)])))
const summary = {
  bench: 'ec2-converge',
  instances: 3,
  pendingMs,
  rounds,
  consistencyCalls: Number(values['consistency-calls']),
  consoleLateCalls: Number(values['console-late-calls']),
  medianMs: { reference: medians(prompt), consistencyAndLateKeys: medians(strict) },
  convergeRatio: Number((medians(strict).converge / medians(prompt).converge).toFixed(2)),
  rounds_ms: { reference: rows(prompt), consistencyAndLateKeys: rows(strict) },
}
console.log(JSON.stringify(summary, null, 2))
