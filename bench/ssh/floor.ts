import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { shq } from '../../src/core/actions/quote.js'
import type { TestNodes } from '../../test/support/nodes.js'
import { fill, pathOf, type Step } from './workload.js'

const SETUP = `set -e
umask 022
d() { [ -d "$1" ] || mkdir -p "$1"; chmod 755 "$1"; }
f() { printf '%s' "$2" | cmp -s - "$1" 2>/dev/null || printf '%s' "$2" >"$1"; chmod 644 "$1"; }
l() { [ "$(readlink "$1" || true)" = "$2" ] || ln -sfn "$2" "$1"; }
a() { grep -qxF -- "$2" "$1" 2>/dev/null || printf '%s\\n' "$2" >>"$1"; }
u() { id -u "$1" >/dev/null 2>&1 || useradd -s /bin/sh "$1"; }
`

/** One step as a line of the hand-written script. */
function stepLine(step: Step, node: string, address: string): string {
  const at = (p: string) => shq(pathOf(node, p))
  switch (step.kind) {
    case 'directory':
      return `d ${at(step.path)}`
    case 'file':
      return `f ${at(step.path)} ${shq(fill(step.content, node, address))}`
    case 'symlink':
      return `l ${at(step.path)} ${at(step.target)}`
    case 'line':
      return `a ${at(step.path)} ${shq(step.line)}`
    case 'template':
      return `f ${at(step.path)} ${shq(`${step.lines.map((l) => fill(l, node, address)).join('\n')}\n`)}`
    case 'exec':
      return `[ -e ${at(step.creates)} ] || (cd ${at('.')} && ${step.script})`
    case 'user':
      return `u ${shq(step.name)}`
  }
}

/** The hand-written script for one node: the same steps, each checked before it changes anything. */
function nodeScript(steps: Step[], node: string, address: string): string {
  return `${SETUP}${steps.map((step) => stepLine(step, node, address)).join('\n')}\n`
}

/**
 * The floor: one script per node, sent with one plain `ssh` per node (sudo sh -s), all nodes at once.
 * Writes the scripts and a driver; returns the driver's file.
 */
export async function writeFloor(dir: string, nodes: TestNodes, steps: Step[]): Promise<string> {
  await mkdir(join(dir, 'floor'), { recursive: true })
  const runs: string[] = []
  for (const n of nodes.nodes) {
    const script = join(dir, 'floor', `${n.name}.sh`)
    await writeFile(script, nodeScript(steps, n.name, n.address))
    const ssh = [
      'ssh -F /dev/null -T -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes',
      `-o UserKnownHostsFile=${shq(nodes.knownHosts)} -o GlobalKnownHostsFile=/dev/null`,
      `-i ${shq(nodes.clientKey)} -p ${n.port} ${n.user}@${n.address} 'sudo -n sh -s' <${shq(script)} & pids="$pids $!"`,
    ]
    runs.push(ssh.join(' '))
  }
  const driver = join(dir, 'floor.sh')
  await writeFile(
    driver,
    `#!/bin/sh\n# One ssh per node, all at once; fail if any failed.\nfail=0\n${runs.join('\n')}\nfor p in $pids; do wait "$p" || fail=1; done\nexit $fail\n`,
  )
  return driver
}
