import type { Facts } from '../model/node.js'
import { initScript, parseInit } from './init.js'
import { osScript, parseOs } from './os.js'
import { packageManagerScript, parsePackageManager } from './package-manager.js'
import { parseUser, userScript } from './user.js'
import { FactsError, type FactValues } from './values.js'

export { FactsError } from './values.js'

/** POSIX sh that prints the node's facts as key=value lines (one per line); it never exits early. */
export const FACTS_SCRIPT = [osScript, initScript, packageManagerScript, userScript].join('\n')

/** Facts from the output of FACTS_SCRIPT; other lines are ignored, a missing or odd value is an error. */
export function parseFacts(stdout: string): Facts {
  const values: FactValues = new Map()
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=')
    if (at > 0) values.set(line.slice(0, at).trim(), line.slice(at + 1).trim())
  }
  if (values.size === 0) {
    throw new FactsError(
      `facts: the node printed no facts${stdout.trim() ? `, only: ${stdout.trim().slice(0, 200)}` : ''}`,
    )
  }
  return { ...parseOs(values), ...parseInit(values), ...parsePackageManager(values), ...parseUser(values) }
}
