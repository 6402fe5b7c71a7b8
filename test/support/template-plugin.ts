import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { CliResult } from './cli.js'
import { repoRoot } from './paths.js'
import { runProcess } from './process.js'

// Building a plugin written by `forklift init --template provider-plugin`, offline: its dependencies
// are links into this repository (Forklift itself, typescript, @types/node), never registry downloads.

/** Run npm in a folder, offline, outside this test runner's own context; `extraEnv` adds to its environment. */
export function npm(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    NO_COLOR: '1',
    ...extraEnv,
    npm_config_offline: 'true',
  }
  // Inherited, it would make the plugin's `node --test` report to this runner instead of printing.
  delete env.NODE_TEST_CONTEXT
  return runProcess('npm', args, { cwd, env })
}

/** What `npm install` would give the plugin, as links into this repository. */
export async function linkDependencies(plugin: string): Promise<void> {
  const modules = join(plugin, 'node_modules')
  await mkdir(join(modules, '@types'), { recursive: true })
  await mkdir(join(modules, '.bin'), { recursive: true })
  await symlink(repoRoot, join(modules, 'forklift'), 'dir')
  await symlink(join(repoRoot, 'node_modules', 'typescript'), join(modules, 'typescript'), 'dir')
  await symlink(join(repoRoot, 'node_modules', '@types', 'node'), join(modules, '@types', 'node'), 'dir')
  await symlink('../typescript/bin/tsc', join(modules, '.bin', 'tsc'))
}
