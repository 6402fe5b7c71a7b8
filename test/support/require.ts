import { spawnSync } from 'node:child_process'
import type { TestContext } from 'node:test'

/** Under CI every real part must be present: a missing one fails the test instead of skipping it. */
export const inCI = process.env.CI === 'true' || process.env.CI === '1'

/** Whether an executable can be found (absolute path or on PATH). */
export function hasTool(name: string): boolean {
  if (name.startsWith('/')) return spawnSync('test', ['-x', name]).status === 0
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0
}

/**
 * Returns true when every tool is there. Otherwise skips the test with a visible reason,
 * or throws under CI, where a missing tool is a failure.
 */
export function requireTools(t: TestContext, ...tools: string[]): boolean {
  const missing = tools.filter((tool) => !hasTool(tool))
  if (missing.length === 0) return true
  const reason = `needs ${missing.join(', ')} (not installed)`
  if (inCI) throw new Error(`${reason}: CI must install it`)
  t.skip(reason)
  return false
}

/** Same as requireTools for a condition that is not a tool (root, a kernel feature). */
export function requireThat(t: TestContext, ok: boolean, reason: string): boolean {
  if (ok) return true
  if (inCI) throw new Error(`${reason}: required under CI`)
  t.skip(reason)
  return false
}
