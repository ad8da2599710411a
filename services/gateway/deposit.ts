// What the gateway checks before it accepts a document, as a pure function of the request parts:
// media type (415), size (413), emptiness and XML safety (400). Anything that passes is stored and gets
// DEPOSEE; business problems (unsupported document, broken rules) come later as REJETEE with findings.
// A PDF (Factur-X) is only checked to be one here: reading it (object streams, compression, the embedded
// invoice) is ingest's work, in a worker with limits, off the gateway's event loop.
import { createHash } from 'node:crypto'
import { problem, type Problem } from '../kit/problem.js'
import { safeParse, xmlFindingCodes } from '../kit/safe-xml.js'

/** Media types of an XML invoice (RFC 7303), and of a Factur-X / ZUGFeRD PDF. */
export const acceptedMediaTypes = ['application/xml', 'text/xml', 'application/pdf'] as const

export function mediaTypeOf(contentType: string | undefined): string | null {
  const type = contentType?.split(';')[0]?.trim().toLowerCase()
  return type ? type : null
}

export function checkMediaType(contentType: string | undefined): Problem | null {
  const type = mediaTypeOf(contentType)
  if (type && (acceptedMediaTypes as readonly string[]).includes(type)) return null
  return problem('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type ? `'${type}'` : '(none)'} is not accepted; send ${acceptedMediaTypes.join(', ')} (a Factur-X PDF)`)
}

export type Deposit = { ok: true; sha256: string; sizeBytes: number } | { ok: false; problem: Problem }

/** A PDF begins with `%PDF-` within its first 1024 bytes (ISO 32000-1, 7.5.2, as readers tolerate it). */
export const looksLikePdf = (body: Buffer) => body.subarray(0, 1024).includes('%PDF-')

export function checkDeposit(body: Buffer, limits: { maxBytes: number; maxDepth: number }, mediaType: string | null = 'application/xml'): Deposit {
  if (body.length > limits.maxBytes) {
    return { ok: false, problem: problem('DOCUMENT_TOO_LARGE', `the document is ${body.length} bytes; the limit is ${limits.maxBytes} bytes`) }
  }
  if (mediaType === 'application/pdf') {
    if (!looksLikePdf(body)) return { ok: false, problem: problem('MALFORMED_DOCUMENT', 'the body is sent as application/pdf but is not a PDF (no %PDF- header in its first 1024 bytes)') }
    return { ok: true, sha256: createHash('sha256').update(body).digest('hex'), sizeBytes: body.length }
  }
  const parsed = safeParse(body, limits)
  if (!parsed.ok) {
    const f = parsed.finding
    const code = f.ruleId === xmlFindingCodes.tooLarge ? 'DOCUMENT_TOO_LARGE'
      : f.ruleId === xmlFindingCodes.dtdForbidden ? 'FORBIDDEN_XML_CONSTRUCT'
        : 'MALFORMED_DOCUMENT'
    return { ok: false, problem: problem(code, f.message, { ruleId: f.ruleId, ...(f.line ? { line: f.line } : {}) }) }
  }
  return { ok: true, sha256: createHash('sha256').update(body).digest('hex'), sizeBytes: body.length }
}
