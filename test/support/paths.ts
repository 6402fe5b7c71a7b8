import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (tests run from dist/test/…, fixtures stay in test/fixtures). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

/** Absolute path of a file under test/fixtures. */
export function fixture(...parts: string[]): string {
  return join(repoRoot, 'test', 'fixtures', ...parts)
}

/** The CLI entry, for tests that run `forklift` as a user would. */
export const forkliftBin = join(repoRoot, 'bin', 'run.js')
