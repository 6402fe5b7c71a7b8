// What nodes print, crates return and providers answer is shown as text: a control character
// would move the cursor, erase Forklift's own lines or hide text. So every character that acts on
// a terminal is made visible, as `cat -v` does (ESC as ^[, CR as ^M, DEL as ^?, C1 controls as
// M-^X); Unicode's bidirectional controls, which reorder what is shown, become <U+202E>. Newlines
// and tabs stay. --json output keeps the exact text and is never passed through here.

const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

function visible(c: string): string {
  const code = c.charCodeAt(0)
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`
  if (code === 0x7f) return '^?'
  if (code < 0xa0) return `M-^${String.fromCharCode(code - 0x80 + 0x40)}`
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`
}

/** Text for a terminal: control characters (but newline and tab) made visible, as `cat -v` shows them. */
export function showable(text: string): string {
  return text.replace(CONTROLS, visible)
}
