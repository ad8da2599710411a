// Hardened XML parsing, shared by the gateway (to refuse hostile input with a 4xx before storing it) and by
// ingest. EN 16931 documents never carry a DTD, so any DOCTYPE is refused outright: that closes XXE, entity
// expansion bombs and external DTD fetches in one rule (OWASP XXE Prevention Cheat Sheet). libxml2 is also
// told never to substitute entities, load a DTD or touch the network, as a second wall.
import libxml from 'libxmljs2'
import type { Document } from 'libxmljs2'
import type { Finding } from '../../schemas/events.js'

export type { Document }

/** Finding ids of the XML layer; never reused (see README, error catalogue). */
export const xmlFindingCodes = {
  empty: 'FACTEUR-XML-EMPTY',
  tooLarge: 'FACTEUR-XML-TOO-LARGE',
  tooDeep: 'FACTEUR-XML-TOO-DEEP',
  dtdForbidden: 'FACTEUR-XML-DTD-FORBIDDEN',
  malformed: 'FACTEUR-XML-MALFORMED',
} as const

export type XmlLimits = { maxBytes: number; maxDepth: number }
export type SafeParse = { ok: true; doc: Document } | { ok: false; finding: Finding }

const parserOptions = { noent: false, dtdload: false, dtdvalid: false, dtdattr: false, nonet: true, huge: false, recover: false, xinclude: false } as const

// A DOCTYPE may only stand in the prolog: after the XML declaration, comments and processing instructions.
const DOCTYPE_IN_PROLOG = /^\uFEFF?\s*(?:<\?[\s\S]*?\?>\s*|<!--[\s\S]*?-->\s*)*<!DOCTYPE/i

const fail = (ruleId: string, message: string, line: number | null = null): SafeParse =>
  ({ ok: false, finding: { ruleId, severity: 'fatal', location: line ? `line ${line}` : '/', message, pack: null, line } })

/** Reads the start of the document as text whatever its encoding family, for the prolog check. */
function prologText(bytes: Buffer): string {
  const head = bytes.subarray(0, 4096)
  if (head[0] === 0xff && head[1] === 0xfe) return head.toString('utf16le')
  if (head[0] === 0xfe && head[1] === 0xff) return Buffer.from(head).swap16().toString('utf16le')
  return head.toString('latin1')
}

export function safeParse(bytes: Buffer, limits: XmlLimits): SafeParse {
  if (bytes.length === 0 || (bytes.length <= 1024 && bytes.toString('utf8').replace(/[\s\uFEFF]/g, '') === '')) {
    return fail(xmlFindingCodes.empty, 'the document is empty')
  }
  if (bytes.length > limits.maxBytes) {
    return fail(xmlFindingCodes.tooLarge, `the document is ${bytes.length} bytes; the limit is ${limits.maxBytes} bytes`)
  }
  if (DOCTYPE_IN_PROLOG.test(prologText(bytes))) {
    return fail(xmlFindingCodes.dtdForbidden, 'a DOCTYPE declaration is not allowed: e-invoices carry no DTD, and DTDs enable XXE and entity-expansion attacks')
  }
  let doc: Document
  try {
    doc = libxml.parseXml(bytes as unknown as string, parserOptions)
  } catch (error) {
    const e = error as { message?: string; line?: number | null; column?: number | null }
    const where = e.line ? ` (line ${e.line}${e.column ? `, column ${e.column}` : ''})` : ''
    return fail(xmlFindingCodes.malformed, `not well-formed XML: ${String(e.message ?? error).trim()}${where}`, e.line ?? null)
  }
  if (doc.getDtd() !== null) {
    return fail(xmlFindingCodes.dtdForbidden, 'a DOCTYPE declaration is not allowed: e-invoices carry no DTD, and DTDs enable XXE and entity-expansion attacks')
  }
  if (!doc.root()) return fail(xmlFindingCodes.empty, 'the document has no root element')
  // One XPath in libxml's C code: is there an element deeper than the limit?
  if ((doc.get(`boolean(/${'*/'.repeat(limits.maxDepth)}*)`) as unknown) === true) {
    return fail(xmlFindingCodes.tooDeep, `elements are nested deeper than ${limits.maxDepth} levels`)
  }
  return { ok: true, doc }
}

const DECLARED_ENCODING = /^\uFEFF?<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/

/**
 * The document as a JavaScript string (for XSLT engines, which parse text). UTF-8 bytes are decoded as they
 * are, so line numbers stay those of the original; other encodings are decoded by libxml and re-serialised.
 */
export function documentText(bytes: Buffer, doc: Document): string {
  return utf8Text(bytes) ?? doc.toString(false).replace(/^<\?xml[^>]*\?>/, '<?xml version="1.0"?>')
}

/** The text of a document in UTF-8 (declared so, or declaring nothing, and no UTF-16 byte order mark); else null. */
export function utf8Text(bytes: Buffer): string | null {
  const declared = DECLARED_ENCODING.exec(prologText(bytes))?.[1]?.toLowerCase()
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)
  if (utf16 || (declared !== undefined && declared !== 'utf-8' && declared !== 'utf8')) return null
  return bytes.toString('utf8').replace(/^\uFEFF/, '')
}

// ---- XML writing (receipts, the Peppol envelope, SMP answers, AS4 messages) ----

// Characters XML 1.0 forbids (production [2] Char): C0 controls but tab, LF, CR; lone surrogates; U+FFFE/U+FFFF.
const ILLEGAL_XML_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/** Text with the characters XML 1.0 cannot carry removed. */
export function xmlSafe(value: string): string {
  return value.replace(ILLEGAL_XML_CHARS, '')
}

/** Escapes text or an attribute value (both quotes, so the same helper serves both; CR/tab/LF kept as references). */
export function escapeXml(value: string): string {
  return xmlSafe(value).replace(/[&<>"'\r\t\n]/g, (c) => ESCAPES[c]!)
}
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;', '\t': '&#9;', '\n': '&#10;' }
