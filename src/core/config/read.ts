import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { ConfigError } from './errors.js'

/** Config files (forklift.yaml, --env files, inventories) larger than this are refused, not parsed. */
export const CONFIG_SIZE_LIMIT = 4 * 1024 * 1024

/**
 * Read a config file as UTF-8 text. A FIFO or device (which could block forever), a file over
 * CONFIG_SIZE_LIMIT, UTF-16 or UTF-32 text and bytes that are not UTF-8 are ConfigErrors naming
 * the file; a UTF-8 byte-order mark is dropped. Errors of the file system (ENOENT …) are thrown as
 * they are, for the caller to word. `what` names the file in messages ("the --env file").
 */
export async function readConfigText(file: string, path: string, what = 'the file'): Promise<string> {
  // O_NONBLOCK: opening a FIFO that no one writes to must not hang before it can be refused.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  let bytes: Buffer
  try {
    const info = await handle.stat()
    if (!info.isFile())
      throw new ConfigError({ file, message: `${what} is not a regular file (it is ${kindOf(info)})` })
    if (info.size > CONFIG_SIZE_LIMIT)
      throw new ConfigError({
        file,
        message: `${what} is ${mib(info.size)}; config files are limited to ${mib(CONFIG_SIZE_LIMIT)}`,
      })
    bytes = await handle.readFile()
  } finally {
    await handle.close()
  }
  if (bytes.length > CONFIG_SIZE_LIMIT)
    throw new ConfigError({ file, message: `${what} grew over ${mib(CONFIG_SIZE_LIMIT)} while read` })
  const encoding = otherEncoding(bytes)
  if (encoding)
    throw new ConfigError({
      file,
      line: 1,
      column: 1,
      message: `${what} is ${encoding} text; save it as UTF-8`,
    })
  const text = new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes)
  const bad = text.indexOf('\uFFFD')
  if (bad >= 0 && !bytes.includes(Buffer.from('\uFFFD'))) {
    const before = text.slice(0, bad)
    const line = before.split('\n').length
    const column = bad - before.lastIndexOf('\n')
    throw new ConfigError({
      file,
      line,
      column,
      message: `${what} is not valid UTF-8 (byte ${Buffer.byteLength(before) + 1}); save it as UTF-8`,
    })
  }
  return text
}

function kindOf(info: { isFIFO(): boolean; isDirectory(): boolean; isSocket(): boolean }): string {
  if (info.isFIFO()) return 'a FIFO'
  if (info.isDirectory()) return 'a directory'
  if (info.isSocket()) return 'a socket'
  return 'a device'
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/** UTF-16 or UTF-32, by their byte-order marks or by NUL bytes among the first characters. */
function otherEncoding(bytes: Buffer): string | undefined {
  const [a, b, c, d] = bytes
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return 'UTF-32LE'
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return 'UTF-32BE'
  if (a === 0xff && b === 0xfe) return 'UTF-16LE'
  if (a === 0xfe && b === 0xff) return 'UTF-16BE'
  const head = bytes.subarray(0, 64)
  const nul = head.indexOf(0)
  if (nul < 0) return undefined
  return nul % 2 === 0 ? 'UTF-16BE' : 'UTF-16LE'
}
