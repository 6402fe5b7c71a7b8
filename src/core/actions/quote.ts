// Every value that reaches a node's shell goes through this file: nothing is spliced in unquoted.

/**
 * Quote a value as one POSIX shell word (single quotes; an inner `'` becomes `'\''`).
 * `what` names the value in the error a NUL byte raises, since no shell word can hold one.
 */
export function shq(value: string, what = 'a shell value'): string {
  if (value.includes('\0')) throw new Error(`${what} contains a NUL byte, which a shell cannot pass`)
  return `'${value.replaceAll("'", `'\\''`)}'`
}

/** A curl config file line (`curl -K`) setting `name` to a value: double-quoted, `\` and `"` escaped. */
export function curlConfigLine(name: string, value: string): string {
  if (/[\0\r\n]/.test(value))
    throw new Error(`${name} contains a line break or NUL byte, which curl's config cannot hold`)
  return `${name} = "${value.replace(/[\\"]/g, '\\$&')}"`
}

/** The bytes a file should hold: strings are UTF-8, byte arrays are taken as they are. */
export function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? new TextEncoder().encode(content) : content
}

/** Longest printf format (in characters) one command carries; longer content takes several. */
const CHUNK = 8192

/**
 * Shell commands that write exactly `bytes` to stdout, any byte value (NUL included), while the
 * script itself stays printable ASCII: printf formats where every other byte is a 3-digit octal escape.
 */
export function printfBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return ':'
  const commands: string[] = []
  let chunk = ''
  for (const byte of bytes) {
    // A format starting with `-` would be read as an option.
    if (chunk === '' && byte === 0x2d) chunk = '\\055'
    else chunk += escapeByte(byte)
    if (chunk.length >= CHUNK) {
      commands.push(`printf '${chunk}'`)
      chunk = ''
    }
  }
  if (chunk) commands.push(`printf '${chunk}'`)
  return commands.join('\n')
}

function escapeByte(byte: number): string {
  if (byte === 0x25) return '%%'
  if (byte === 0x5c) return '\\\\'
  if (byte === 0x27) return '\\047'
  if (byte === 0x0a || (byte >= 0x20 && byte <= 0x7e)) return String.fromCharCode(byte)
  return `\\${byte.toString(8).padStart(3, '0')}`
}
