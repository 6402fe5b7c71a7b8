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

/** The note that stands for a diff of a file too large to send back. */
export function tooLargeForDiff(path: string): string {
  return `(no diff: ${path} is larger than 1 MiB)`
}

const binary = (before: number, after: number) =>
  `Binary content differs (${before} bytes → ${after} bytes)\n`

const patch = (path: string, a: string, b: string) =>
  createTwoFilesPatch(`a${path}`, `b${path}`, a, b, undefined, undefined, { context: 3 })

/** A unified diff from the node's content to the desired one, or a one-line note when none can be shown. */
export function fileDiff(path: string, before: Uint8Array, after: Uint8Array): string {
  if (before.length > DIFF_LIMIT || after.length > DIFF_LIMIT) return tooLargeForDiff(path)
  const a = asText(before)
  const b = asText(after)
  if (a === undefined || b === undefined) return binary(before.length, after.length)
  return patch(path, a, b)
}

/**
 * fileDiff's answer for two files that differ only inside a window of lines: `before` and `after`
 * are that window of each (latin1 text, one char per byte, starting at line `offset + 1`, each
 * with a few unchanged lines around the change), the sizes and `opaque` (NUL or invalid UTF-8
 * somewhere) are the whole files'. The hunks are the whole files' hunks, at their own line numbers.
 */
export function fileDiffOfText(
  path: string,
  window: {
    before: string
    after: string
    offset: number
    beforeBytes: number
    afterBytes: number
    opaque: boolean
  },
): string {
  const { before, after, offset, beforeBytes, afterBytes, opaque } = window
  if (beforeBytes > DIFF_LIMIT || afterBytes > DIFF_LIMIT) return tooLargeForDiff(path)
  if (opaque) return binary(beforeBytes, afterBytes)
  const a = text.decode(Buffer.from(before, 'latin1'))
  const b = text.decode(Buffer.from(after, 'latin1'))
  const out = patch(path, a, b)
  if (offset === 0) return out
  // Only hunk headers start with @@: every other line of a hunk starts with ' ', '+', '-' or '\'.
  return out.replace(
    /^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@/gm,
    (_all, s1: string, c1: string | undefined, s2: string, c2: string | undefined) =>
      `@@ -${Number(s1) + offset}${c1 ?? ''} +${Number(s2) + offset}${c2 ?? ''} @@`,
  )
}
