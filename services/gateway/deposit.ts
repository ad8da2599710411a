// What the gateway checks before it accepts a document, as a pure function of the request parts:
// media type (415), size (413), emptiness and XML safety (400). Anything that passes is stored and gets
// DEPOSEE; business problems (unsupported document, broken rules) come later as REJETEE with findings.
import { createHash } from 'node:crypto'
import { problem, type Problem } from '../kit/problem.js'
import { safeParse, xmlFindingCodes } from '../kit/safe-xml.js'

/** Media types of an XML invoice (RFC 7303). Factur-X (application/pdf) is not accepted yet. */
export const acceptedMediaTypes = ['application/xml', 'text/xml'] as const

export function mediaTypeOf(contentType: string | undefined): string | null {
  const type = contentType?.split(';')[0]?.trim().toLowerCase()
  return type ? type : null
}

export function checkMediaType(contentType: string | undefined): Problem | null {
  const type = mediaTypeOf(contentType)
  if (type && (acceptedMediaTypes as readonly string[]).includes(type)) return null
  const hint = type === 'application/pdf' ? ' Factur-X PDF is not supported yet: send the embedded CII XML.' : ''
  return problem('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type ? `'${type}'` : '(none)'} is not accepted; send ${acceptedMediaTypes.join(' or ')}.${hint}`)
}

export type Deposit = { ok: true; sha256: string; sizeBytes: number } | { ok: false; problem: Problem }

export function checkDeposit(body: Buffer, limits: { maxBytes: number; maxDepth: number }): Deposit {
  if (body.length > limits.maxBytes) {
    return { ok: false, problem: problem('DOCUMENT_TOO_LARGE', `the document is ${body.length} bytes; the limit is ${limits.maxBytes} bytes`) }
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
