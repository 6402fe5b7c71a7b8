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
forklift('converge', '-c', join(dir, 'forklift.yaml'))
