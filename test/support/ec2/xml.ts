// The EC2 Query protocol's reply side: XML in the 2016-11-15 namespace, lists as `<nameSet><item>`.

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/'

/** Any value a reply element can hold: text, nested elements, or nothing (element left out). */
export type XmlValue = string | number | boolean | Date | XmlNode | XmlValue[] | undefined | null

/** Nested elements, in order: `{ instanceId: 'i-1', instanceState: { code: 16, name: 'running' } }`. */
export interface XmlNode {
  [element: string]: XmlValue
}

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`,
  )
}

function render(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return ''
  if (Array.isArray(value)) return `<${name}>${value.map((v) => render('item', v)).join('')}</${name}>`
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`
  if (typeof value === 'object') return `<${name}>${body(value)}</${name}>`
  return `<${name}>${escapeXml(String(value))}</${name}>`
}

function body(node: XmlNode): string {
  return Object.entries(node)
    .map(([name, value]) => render(name, value))
    .join('')
}

/** A successful reply document: `<ActionResponse xmlns=…><requestId/>…</ActionResponse>`. */
export function replyDocument(action: string, requestId: string, node: XmlNode): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NAMESPACE}"><requestId>${requestId}</requestId>${body(node)}</${action}Response>`
}

/** An error reply document, as EC2 sends it. */
export function errorDocument(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
}
