/**
 * The benchmark's workload: M = 30 steps per node that Forklift, Ansible and a hand-written shell
 * script all express. Paths live in a per-node scratch folder, since every node shares this host's
 * filesystem; the user is shared by all nodes (created once, then only checked).
 */

/** Where node `name` works. */
export const SCRATCH = '/tmp/forklift-bench'

/** The login the `user` step manages. */
export const APP_USER = 'forklift-bench-app'

/** `{node}` and `{address}` in text are the node's name and address; `template` renders them on the node's side. */
export type Step =
  | { kind: 'directory'; path: string }
  | { kind: 'file'; path: string; content: string }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'line'; path: string; line: string }
  | { kind: 'template'; path: string; lines: string[] }
  | { kind: 'exec'; script: string; creates: string }
  | { kind: 'user'; name: string }

/** The 30 steps, with paths relative to the node's scratch folder. */
export function workload(): Step[] {
  const steps: Step[] = [{ kind: 'directory', path: '.' }]
  for (let i = 1; i <= 5; i++) steps.push({ kind: 'directory', path: `dir-${i}` })
  for (let i = 1; i <= 8; i++) {
    const content = `file ${i} of {node}\n${'payload line\n'.repeat(i * 4)}`
    steps.push({ kind: 'file', path: `dir-${((i - 1) % 5) + 1}/file-${i}.txt`, content })
  }
  for (let i = 1; i <= 4; i++)
    steps.push({ kind: 'symlink', path: `link-${i}`, target: `dir-${i}/file-${i}.txt` })
  for (let i = 1; i <= 4; i++)
    steps.push({ kind: 'line', path: 'settings.conf', line: `key${i} = value ${i}` })
  for (let i = 1; i <= 4; i++) {
    steps.push({
      kind: 'template',
      path: `dir-${i}/rendered-${i}.conf`,
      lines: ['# rendered for {node}', `index = ${i}`, `listen = {address}:80${i}`],
    })
  }
  for (let i = 1; i <= 3; i++) {
    steps.push({ kind: 'exec', script: `echo ran ${i} > exec-${i}.out`, creates: `exec-${i}.out` })
  }
  steps.push({ kind: 'user', name: APP_USER })
  return steps
}

/** The node's scratch folder. */
export const scratchOf = (node: string) => `${SCRATCH}/${node}`

/** A step path made absolute in the node's scratch folder. */
export const pathOf = (node: string, path: string) =>
  path === '.' ? scratchOf(node) : `${scratchOf(node)}/${path}`

/** Fill in `{node}` and `{address}`. */
export const fill = (text: string, node: string, address: string) =>
  text.replaceAll('{node}', node).replaceAll('{address}', address)
