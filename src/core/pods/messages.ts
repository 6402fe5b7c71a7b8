// What a pod sends is read as an attacker's bytes: each message is checked here before Forklift acts
// on it, and anything off-shape ends the pod as crashed.
import type { RemoteErrorData } from './errors.js'
import type { HostRequest } from './protocol.js'
import { unsendableReason } from './values.js'

/** A message from a pod that passed its checks. */
export type CheckedMessage =
  | { type: 'ready' }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: RemoteErrorData }

const isRecord = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const own = (record: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(record, key) ? record[key] : undefined

const optionalString = (value: unknown) => value === undefined || typeof value === 'string'

/** An error as a pod describes it: name and message strings, stack and code strings when present. */
function checkError(value: unknown): RemoteErrorData | string {
  if (!isRecord(value)) return 'an error that is not an object'
  const name = own(value, 'name')
  const message = own(value, 'message')
  const stack = own(value, 'stack')
  const code = own(value, 'code')
  if (typeof name !== 'string' || typeof message !== 'string') return 'an error without a name and message'
  if (!optionalString(stack) || !optionalString(code)) return 'an error whose stack or code is not text'
  return {
    name,
    message,
    ...(stack !== undefined ? { stack: stack as string } : {}),
    ...(code !== undefined ? { code: code as string } : {}),
  }
}

/** The message, checked, or what is wrong with it. */
export function checkMessage(message: unknown): CheckedMessage | string {
  if (!isRecord(message)) return 'a message that is not an object'
  const type = own(message, 'type')
  if (type === 'ready') return { type: 'ready' }
  if (type !== 'reply') return 'a message of no known type'
  const id = own(message, 'id')
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return 'a reply without a call id'
  const ok = own(message, 'ok')
  if (ok === true) {
    const value = own(message, 'value')
    const reason = unsendableReason(value, 'value')
    if (reason) return `a value that is not data: ${reason}`
    return { type: 'reply', id, ok, value }
  }
  if (ok !== false) return 'a reply that is neither a value nor an error'
  const error = checkError(own(message, 'error'))
  if (typeof error === 'string') return error
  return { type: 'reply', id, ok, error }
}

/** What is wrong with the value a request got back, for requests whose answer has a fixed shape. */
export function replyProblem(request: HostRequest, value: unknown): string | undefined {
  switch (request.op) {
    case 'require':
      return value === undefined ? undefined : 'a value where none was due'
    case 'crate-phases':
      return Array.isArray(value) && value.every((name) => typeof name === 'string')
        ? undefined
        : 'phase names that are not a list of strings'
    case 'crate-run':
      return isRecord(value) &&
        Array.isArray(own(value, 'actions')) &&
        isRecord(own(value, 'published')) &&
        (own(value, 'defaults') === undefined || isRecord(own(value, 'defaults')))
        ? undefined
        : 'a phase result that is not { actions: [...], published: {...}, defaults: {...} }'
    default:
      return undefined
  }
}
