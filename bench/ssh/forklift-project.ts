import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TestNodes } from '../../test/support/nodes.js'
import { SCRATCH, type Step } from './workload.js'

/**
 * The crate's source: the workload's steps as Forklift actions, paths from the node's name. A crate
 * (not per-node groups) is what a Forklift user would write, so the run pays for its pod as theirs would.
 */
function crateSource(steps: Step[]): string {
  return `const STEPS = ${JSON.stringify(steps)}
const SCRATCH = ${JSON.stringify(SCRATCH)}

function action(step, root, node) {
  const at = (p) => (p === '.' ? root : root + '/' + p)
  const fill = (t) => t.replaceAll('{node}', node.name).replaceAll('{address}', node.address)
  switch (step.kind) {
    case 'directory': return { type: 'directory', path: at(step.path), mode: '0755' }
    case 'file': return { type: 'file', path: at(step.path), content: fill(step.content), mode: '0644' }
    case 'symlink': return { type: 'symlink', path: at(step.path), target: at(step.target) }
    case 'line': return { type: 'line', path: at(step.path), line: step.line }
    case 'template':
      return {
        type: 'remote-file', path: at(step.path), mode: '0644',
        template: step.lines.map((l) => l.replaceAll('{node}', '{{node.name}}').replaceAll('{address}', '{{node.address}}')).join('\\n') + '\\n',
      }
    case 'exec': return { type: 'exec', script: step.script, creates: step.creates, cwd: root }
    case 'user': return { type: 'user', name: step.name, shell: '/bin/sh' }
  }
}

export default {
  phases: {
    configure(ctx) {
      const root = SCRATCH + '/' + ctx.node.name
      return STEPS.map((step) => action(step, root, ctx.node))
    },
  },
}
`
}

/** Write forklift.yaml and its crate into `dir`; returns the config file. */
export async function writeForkliftProject(dir: string, nodes: TestNodes, steps: Step[]): Promise<string> {
  await mkdir(join(dir, 'crates', 'workload'), { recursive: true })
  await writeFile(join(dir, 'crates', 'workload', 'index.js'), crateSource(steps))
  await writeFile(
    join(dir, 'crates', 'workload', 'package.json'),
    `${JSON.stringify({ name: 'workload', version: '1.0.0', type: 'module', main: 'index.js' })}\n`,
  )
  const config = {
    name: 'bench',
    providers: {
      loopback: {
        type: 'node-list',
        settings: {
          nodes: nodes.nodes.map((n) => ({
            name: n.name,
            address: n.address,
            port: n.port,
            user: n.user,
            group: 'bench',
          })),
        },
      },
    },
    groups: {
      bench: {
        provider: 'loopback',
        login: { user: nodes.nodes[0]!.user, 'identity-file': nodes.clientKey },
        crates: [{ name: 'workload' }],
      },
    },
    crates: { path: ['crates'] },
  }
  // JSON is YAML: no serializer needed.
  const file = join(dir, 'forklift.yaml')
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`)
  // Forklift trusts its own known_hosts file (under XDG_CONFIG_HOME) besides the user's.
  await mkdir(join(dir, 'config', 'forklift'), { recursive: true })
  await writeFile(join(dir, 'config', 'forklift', 'known_hosts'), await readFile(nodes.knownHosts))
  return file
}
