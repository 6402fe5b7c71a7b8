import { EXIT, ForkliftError, type ForkliftErrorOptions } from '../errors.js'
import { errorMap, explainIssues } from '../text/schema-issues.js'
import { isPlainObject } from '../text/values.js'
import { actionTypes, crateActionSchema } from './schema.js'
import type { Action } from './types.js'

/** A bad action: the message names the action's index, type and field. */
export class ActionError extends ForkliftError {
  override name = 'ActionError'
  constructor(message: string, options: ForkliftErrorOptions = {}) {
    super(message, { ...options, code: 'ACTION', exitCode: EXIT.failed })
  }
}

/** How an action is named in errors: `action 3 (file /etc/motd)`, or `action 3` when it has no known type. */
export function actionLabel(action: unknown, index: number): string {
  if (!isPlainObject(action) || typeof action.type !== 'string' || !actionTypes.includes(action.type))
    return `action ${index}`
  const target =
    typeof action.path === 'string' ? action.path : typeof action.name === 'string' ? action.name : ''
  return `action ${index} (${action.type}${target ? ` ${target}` : ''})`
}

// What checkAction returned: planning checks every action and compiling checks it again, which for
// 100,000 actions is seconds of schema work. Actions are never changed in place (confine copies).
const checked = new WeakSet<object>()

/** Check one action against the action schema; the error names the action, the field and what was expected. */
export function checkAction(action: unknown, index: number): Action {
  if (typeof action === 'object' && action !== null && checked.has(action)) return action as Action
  const result = crateActionSchema.safeParse(action, { error: errorMap })
  if (result.success) {
    checked.add(result.data)
    return result.data
  }
  const [first] = explainIssues(result.error.issues, action, { top: '' })
  throw new ActionError(`${actionLabel(action, index)}: ${first?.message ?? result.error.message}`)
}

/** A problem with one field of a valid action that only shows in context (ids, notify, templates, local files). */
export function fieldError(action: Action, index: number, field: string, problem: string): ActionError {
  return new ActionError(`${actionLabel(action, index)}: ${field}: ${problem}`)
}
