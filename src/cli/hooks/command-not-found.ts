import { Errors, type Hook } from '@oclif/core'
import { UsageError } from '../../core/errors.js'
import { closest } from '../../core/text/closest.js'
import { asksForJson } from '../command.js'
import { failureJson, failureOf, failureText } from '../errors.js'

/**
 * A mistyped command: one line naming the closest command as the user types it (`pod eval`), exit
 * status 2. It never asks and never runs the guess: an Enter pressed on `convrge` must not converge.
 */
const hook: Hook<'command_not_found'> = async (options) => {
  const { config } = options
  const typed = (words: string[]) => words.join(config.topicSeparator)
  const visible = config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  // With spaces between topic and command, oclif's id holds the arguments too (`convrge:web`): the
  // mistake is the shortest start of it that is neither a command nor a topic.
  const words = options.id.split(':')
  let unknown: string[] | undefined
  let match: string | undefined
  for (let k = 1; k <= words.length && match === undefined; k++) {
    const start = words.slice(0, k).join(':')
    if (config.findCommand(start) || config.findTopic(start)) continue
    unknown ??= words.slice(0, k)
    match = closest(start, visible)
    if (match) unknown = words.slice(0, k)
  }
  unknown ??= words
  const topic = unknown.length > 1 && config.findTopic(unknown[0]!) ? ` ${unknown[0]}` : ''
  const guess = match ? ` (did you mean "${typed(match.split(':'))}"?)` : ''
  const failure = failureOf(
    new UsageError(
      `unknown command "${typed(unknown)}"${guess}; see ${config.bin} help${topic} for the commands`,
    ),
  )!
  // As a command's own errors are: under --json one JSON object on stdout; one line on stderr always.
  if (asksForJson(options.argv ?? []))
    process.stdout.write(`${JSON.stringify(failureJson(failure), null, 2)}\n`)
  process.stderr.write(failureText(failure))
  throw new Errors.ExitError(failure.exitCode)
}

export default hook
