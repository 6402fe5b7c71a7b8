import { EXIT, ForkliftError } from '../errors.js'

/** One problem found in a config file, located as precisely as the file allows. */
export interface ConfigIssue {
  /** The file, or the command-line argument (`--set a.b`), the problem is in. */
  file: string
  line?: number
  column?: number
  /** Key path in the file, e.g. `groups.web.count`. */
  path?: string
  /** What is wrong, without the location prefix. */
  message: string
  /** The message names its file itself (a missing file): shown without the prefix. */
  standalone?: boolean
}

/** `FILE:LINE:COL: message`, or `FILE: message` when there is no position. */
export function formatIssue(issue: ConfigIssue): string {
  if (issue.standalone) return issue.message
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`
  return `${where}: ${issue.message}`
}

/**
 * A mistake in forklift.yaml, an --env file or a --set argument. The message is for the user
 * (one line per problem, each starting with FILE:LINE:COL); there is no useful stack.
 */
export class ConfigError extends ForkliftError {
  override name = 'ConfigError'
  readonly file: string
  readonly line?: number
  readonly column?: number
  readonly path?: string
  /** Every problem found, sorted by position; `file`, `line`, `column`, `path` repeat the first. */
  readonly issues: ConfigIssue[]

  constructor(issues: ConfigIssue[] | ConfigIssue) {
    const list = Array.isArray(issues) ? issues : [issues]
    if (list.length === 0) throw new TypeError('ConfigError needs at least one issue')
    super(list.map(formatIssue).join('\n'), { code: 'CONFIG', exitCode: EXIT.usage })
    const first = list[0]!
    this.file = first.file
    if (first.line !== undefined) this.line = first.line
    if (first.column !== undefined) this.column = first.column
    if (first.path !== undefined) this.path = first.path
    this.issues = list
    // A user mistake: the message says everything, a stack would only add noise.
    this.stack = `${this.name}: ${this.message}`
  }
}

/** Sort issues by file order of appearance, then line, then column (issues without a line last). */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const files = [...new Set(issues.map((i) => i.file))]
  return [...issues].sort(
    (a, b) =>
      files.indexOf(a.file) - files.indexOf(b.file) ||
      (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
      (a.column ?? 0) - (b.column ?? 0),
  )
}
