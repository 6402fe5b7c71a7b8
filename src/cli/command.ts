import { Command, Errors } from '@oclif/core'
import { failureJson, failureOf, failureText } from './errors.js'

/** Whether `--json` is among the arguments (before a `--`), read from argv so a parse error still sees it. */
export function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  const json = argv.indexOf('--json')
  return json !== -1 && (end === -1 || json < end)
}

/**
 * The base of every Forklift command: its one `catch` turns any error into the output and exit status
 * of the command (0 ok, 1 a node failed or the run stopped, 2 a usage or config mistake). Under
 * `--json` the error is one JSON object on stdout, `{"error": {"message", "code", "exitCode"}}`, unless
 * the command had printed its own JSON document (stdout holds one document). Either way it is also one
 * `Error: …` line on stderr, for whoever watches the terminal, with a stack only for an unexpected
 * error under DEBUG.
 */
export abstract class ForkliftCommand extends Command {
  /**
   * Whether the command's `--json` flag makes its output JSON (then so are its errors). False for a
   * command whose `--json` means something else.
   */
  static jsonOutput = true
  /** Whether its JSON output is a stream of one-line records (hail's logs) rather than one document. */
  static jsonLines = false

  /** Set once the command printed its JSON document (printJson). */
  private jsonPrinted = false

  /** Print the command's JSON document on stdout. */
  protected printJson(value: unknown): void {
    this.log(JSON.stringify(value, null, 2))
    this.jsonPrinted = true
  }

  /** Whether this run prints JSON: the command has a JSON output and `--json` was given. */
  protected jsonWanted(): boolean {
    const ctor = this.constructor as typeof ForkliftCommand
    return ctor.jsonOutput && ctor.flags?.json !== undefined && asksForJson(this.argv)
  }

  override async catch(error: Error & { exitCode?: number }): Promise<never> {
    const failure = failureOf(error)
    if (!failure) throw error
    if (this.jsonWanted() && !this.jsonPrinted) {
      const lines = (this.constructor as typeof ForkliftCommand).jsonLines
      process.stdout.write(`${JSON.stringify(failureJson(failure), null, lines ? undefined : 2)}\n`)
    }
    process.stderr.write(failureText(failure))
    if (failure.code === 'UNEXPECTED' && process.env.DEBUG && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`)
    throw new Errors.ExitError(failure.exitCode)
  }
}
