#!/usr/bin/env node
// Runs every compiled test file with Node's test runner. Optional args narrow it to paths under dist/test.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function collect(dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...collect(path))
    else if (name.endsWith('.test.js')) out.push(path)
  }
  return out
}

const roots = process.argv.slice(2)
const files = (roots.length ? roots : ['dist/test'])
  .flatMap((r) => (r.endsWith('.js') ? [r] : collect(r)))
  .sort()
const concurrency = process.env.FORKLIFT_TEST_CONCURRENCY ?? '2'
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
