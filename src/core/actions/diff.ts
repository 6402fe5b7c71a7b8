import { createTwoFilesPatch } from 'diff'

/** Content the node sends back is cut after this many bytes (the script's `od -N`). */
export const DIFF_LIMIT = 1024 * 1024

const text = new TextDecoder('utf-8', { fatal: true })

function asText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined
  try {
    return text.decode(bytes)
  } catch {
    return undefined
  }
}

/** A unified diff from the node's content to the desired one, or a one-line note when none can be shown. */
export function fileDiff(path: string, before: Uint8Array, after: Uint8Array): string {
  if (before.length > DIFF_LIMIT || after.length > DIFF_LIMIT)
    return `(no diff: ${path} is larger than 1 MiB)`
  const a = asText(before)
  const b = asText(after)
  if (a === undefined || b === undefined)
    return `Binary content differs (${before.length} bytes → ${after.length} bytes)\n`
  return createTwoFilesPatch(`a${path}`, `b${path}`, a, b, undefined, undefined, { context: 3 })
}
