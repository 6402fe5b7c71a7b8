#!/usr/bin/env node
// The safe built-in default: write the starter project into .forklift/demo (once) and converge it.
// Its nodes are folders under .forklift/demo/.forklift/nodes: no root, no SSH server needed.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const dir = join('.forklift', 'demo')
const forklift = (...args) => {
  const result = spawnSync(process.execPath, ['bin/run.js', ...args], { stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
if (!existsSync(join(dir, 'forklift.yaml'))) forklift('init', dir, '--name', 'demo')
const converge = ['converge', '-c', join(dir, 'forklift.yaml')]
const first = spawnSync(process.execPath, ['bin/run.js', ...converge], {
  stdio: ['inherit', 'inherit', 'pipe'],
  encoding: 'utf8',
})
process.stderr.write(first.stderr)
if (first.status !== 0 && /cannot sandbox pods/.test(first.stderr)) {
  // A fresh machine without bubblewrap or user namespaces: the demo's own crate is Forklift's code,
  // so the demo (and only the demo) opts down, and says so; real projects are refused as above.
  console.error(
    'demo: running the starter crate with --sandbox node-only (install bubblewrap for the real sandbox)',
  )
  forklift(...converge, '--sandbox', 'node-only')
} else if (first.status !== 0) process.exit(first.status ?? 1)
