/** Values Forklift writes into a Vagrantfile. */
export type RubyValue = string | number | boolean | RubyValue[] | { [key: string]: RubyValue }

const LONE_SURROGATE = /\p{Cs}/u

/**
 * Quote any string as a Ruby double-quoted string literal that evaluates to exactly that string.
 * The literal is plain printable ASCII: `"`, `\` and `#` (interpolation) are escaped, every other
 * character outside printable ASCII becomes `\u{…}`, so nothing a user writes can end the literal.
 */
export function rubyString(value: string): string {
  if (LONE_SURROGATE.test(value))
    throw new Error(`not valid Unicode (lone surrogate): ${JSON.stringify(value)}`)
  let out = '"'
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (char === '"' || char === '\\' || char === '#') out += `\\${char}`
    else if (code >= 0x20 && code < 0x7f) out += char
    else out += `\\u{${code.toString(16)}}`
  }
  return `${out}"`
}

/** A Ruby literal for a string, finite number, boolean, array or string-keyed hash. */
export function rubyValue(value: RubyValue): string {
  if (typeof value === 'string') return rubyString(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`)
    return String(value)
  }
  if (Array.isArray(value)) return `[${value.map(rubyValue).join(', ')}]`
  const entries = Object.entries(value).map(([k, v]) => `${rubyString(k)} => ${rubyValue(v)}`)
  return `{${entries.join(', ')}}`
}

/** Whether a name can follow `provider.` as a Ruby attribute writer (`v.linked_clone = …`). */
export function isRubyAttribute(name: string): boolean {
  return /^[a-z_][a-z0-9_]*$/.test(name)
}
