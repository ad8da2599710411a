// MIME multipart/related (RFC 2387, RFC 2046 §5.1) as AS4 uses it: a SOAP envelope as the root part and the
// (encrypted, compressed) business document as an attachment, referenced by Content-ID (`cid:`). busboy refuses
// multipart/related and dicer is unmaintained, so this small reader and writer do just that, with limits.
import { randomBytes } from 'node:crypto'

export type Part = { headers: Record<string, string>; body: Buffer }
export type Multipart = { contentType: string; body: Buffer }

const CRLF = '\r\n'

/** Builds a multipart/related body; the first part is the root (its Content-ID becomes `start`). */
export function buildMultipart(parts: Part[], rootType = 'application/soap+xml'): Multipart {
  const boundary = `----=_Part_${randomBytes(12).toString('hex')}`
  const chunks: Buffer[] = []
  for (const part of parts) {
    const head = Object.entries(part.headers).map(([k, v]) => `${k}: ${v}`).join(CRLF)
    chunks.push(Buffer.from(`--${boundary}${CRLF}${head}${CRLF}${CRLF}`), part.body, Buffer.from(CRLF))
  }
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`))
  const start = parts[0]?.headers['Content-ID']
  return {
    contentType: `multipart/related; boundary="${boundary}"; type="${rootType}"${start ? `; start="${start}"` : ''}`,
    body: Buffer.concat(chunks),
  }
}

/** A header value's parameters (`type/sub; a=b; c="d"`), names lower-cased. */
export function headerParams(value: string): { value: string; params: Record<string, string> } {
  const params: Record<string, string> = {}
  const re = /;\s*([^=\s;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g
  const first = value.split(';')[0]!.trim().toLowerCase()
  for (const m of value.matchAll(re)) params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!
  return { value: first, params }
}

export type ParsedMultipart = { ok: true; root: Part; attachments: Part[] } | { ok: false; reason: string }

/**
 * Splits a multipart/related body into its parts: the root (the part named by `start`, else the first) and
 * the others. Part headers are lower-cased; base64 and quoted-printable are not used by AS4 (binary is), so
 * only binary, 8bit, 7bit and base64 bodies are accepted.
 */
export function parseMultipart(contentType: string, body: Buffer, limits = { maxParts: 10, maxHeaderBytes: 8192 }): ParsedMultipart {
  const type = headerParams(contentType)
  if (type.value !== 'multipart/related') return { ok: false, reason: `Content-Type ${type.value || '(none)'} is not multipart/related` }
  const boundary = type.params.boundary
  if (!boundary || boundary.length > 200) return { ok: false, reason: 'multipart/related without a usable boundary' }
  const delimiter = Buffer.from(`--${boundary}`)
  const parts: Part[] = []
  let at = body.indexOf(delimiter)
  if (at < 0) return { ok: false, reason: 'the boundary does not occur in the body' }
  for (;;) {
    let cursor = at + delimiter.length
    if (body.subarray(cursor, cursor + 2).toString() === '--') break // the close delimiter
    // The rest of the delimiter line (transport padding) up to CRLF.
    const lineEnd = body.indexOf(CRLF, cursor)
    if (lineEnd < 0) return { ok: false, reason: 'a part is cut off after its boundary' }
    cursor = lineEnd + 2
    const next = body.indexOf(Buffer.concat([Buffer.from(CRLF), delimiter]), cursor)
    if (next < 0) return { ok: false, reason: 'the multipart body has no closing boundary' }
    // Headers up to an empty line (a part without headers starts with the empty line itself).
    let headerBlock = ''
    let start = cursor + 2
    if (body.subarray(cursor, cursor + 2).toString() !== CRLF) {
      const headEnd = body.indexOf(CRLF + CRLF, cursor)
      if (headEnd < 0 || headEnd > next) return { ok: false, reason: 'a part has no empty line after its headers' }
      if (headEnd - cursor > limits.maxHeaderBytes) return { ok: false, reason: 'a part\'s headers are too long' }
      headerBlock = body.subarray(cursor, headEnd).toString('latin1')
      start = headEnd + 4
    }
    const headers: Record<string, string> = {}
    for (const line of headerBlock.replace(/\r\n[ \t]+/g, ' ').split(CRLF)) {
      const colon = line.indexOf(':')
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    let content = body.subarray(start, next)
    const encoding = (headers['content-transfer-encoding'] ?? 'binary').toLowerCase()
    if (encoding === 'base64') content = Buffer.from(content.toString('latin1'), 'base64')
    else if (!['binary', '8bit', '7bit'].includes(encoding)) return { ok: false, reason: `Content-Transfer-Encoding ${encoding} is not supported` }
    parts.push({ headers, body: content })
    if (parts.length > limits.maxParts) return { ok: false, reason: `more than ${limits.maxParts} MIME parts` }
    at = next + 2
  }
  if (parts.length === 0) return { ok: false, reason: 'the multipart body has no part' }
  const startId = type.params.start
  const rootIndex = startId ? parts.findIndex((p) => p.headers['content-id'] === startId) : 0
  if (rootIndex < 0) return { ok: false, reason: `no part has the Content-ID ${startId} named as the start` }
  return { ok: true, root: parts[rootIndex]!, attachments: parts.filter((_, i) => i !== rootIndex) }
}

/** `cid:abc@x` → the part whose Content-ID is `<abc@x>` (RFC 2392: the cid URL is the Content-ID without brackets, URL-encoded). */
export function partByCid(parts: Part[], cid: string): Part | null {
  if (!cid.startsWith('cid:')) return null
  const id = decodeURIComponent(cid.slice(4))
  return parts.find((p) => (p.headers['content-id'] ?? '').replace(/^<|>$/g, '') === id) ?? null
}
