// The wire between Forklift and a pod: frames of a 4-byte big-endian length and a V8-serialized value,
// over the pod's file descriptor 3 (a socket pair). Not Node's IPC channel: that one throws inside
// Forklift on bytes it cannot parse and buffers a frame of any size before anyone can look at it.
// Import-free of Forklift at run time: pods load this same file inside their sandbox.
import { deserialize, serialize } from 'node:v8'

/** The descriptor the pod reads requests from and writes replies to. */
export const CHANNEL_FD = 3

/** One value as a frame. Throws (DataCloneError) for what V8 cannot serialize. */
export function encodeFrame(value: unknown): Buffer {
  const body = serialize(value)
  const head = Buffer.alloc(4)
  head.writeUInt32BE(body.length)
  return Buffer.concat([head, body])
}

/** The size of a value's frame body, without the header. */
export const frameSize = (value: unknown): number => serialize(value).length

/**
 * Cuts a byte stream into values. A frame longer than `maxBytes` or one that does not deserialize is
 * reported to `onError` before it is buffered or parsed further; the reader then stops for good.
 */
export class FrameReader {
  #chunks: Buffer[] = []
  #buffered = 0
  #need = -1
  #failed = false
  readonly #maxBytes: number
  readonly #onFrame: (value: unknown) => void
  readonly #onError: (problem: string, size?: number) => void

  constructor(
    maxBytes: number,
    onFrame: (value: unknown) => void,
    onError: (problem: string, size?: number) => void,
  ) {
    this.#maxBytes = maxBytes
    this.#onFrame = onFrame
    this.#onError = onError
  }

  push(chunk: Buffer): void {
    if (this.#failed) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    while (!this.#failed) {
      if (this.#need < 0) {
        if (this.#buffered < 4) return
        this.#need = this.#take(4).readUInt32BE(0)
        if (this.#need > this.#maxBytes) {
          this.#fail(`a frame of ${this.#need} bytes, over the limit of ${this.#maxBytes}`, this.#need)
          return
        }
      }
      if (this.#buffered < this.#need) return
      const body = this.#take(this.#need)
      this.#need = -1
      let value: unknown
      try {
        value = deserialize(body)
      } catch (error) {
        this.#fail(`bytes that are no value (${(error as Error).message})`)
        return
      }
      this.#onFrame(value)
    }
  }

  #fail(problem: string, size?: number): void {
    this.#failed = true
    this.#chunks = []
    this.#buffered = 0
    this.#onError(problem, size)
  }

  #take(size: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks)
    const out = all.subarray(0, size)
    const rest = all.subarray(size)
    this.#chunks = rest.length ? [rest] : []
    this.#buffered = rest.length
    return out
  }
}
