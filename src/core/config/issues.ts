import { explainIssues } from '../text/schema-issues.js'
import { formatPath, type KeyPath } from '../text/values.js'
import type { ConfigIssue } from './errors.js'
import type { ParsedYaml } from './yaml.js'

/** Turn zod issues into config issues located in the file (see explainIssues for `prefix`). */
export function toConfigIssues(
  issues: readonly object[],
  source: ParsedYaml,
  data: unknown,
  prefix: KeyPath = [],
): ConfigIssue[] {
  return explainIssues(issues, data, { prefix }).map(({ path, message, atKey }) => {
    const shown = formatPath(path)
    return {
      file: source.file,
      ...source.locate(path, atKey),
      ...(shown ? { path: shown } : {}),
      message,
    }
  })
}
