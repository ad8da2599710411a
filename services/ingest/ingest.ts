// Ingest, step by step: read the bytes safely, recognise the syntax, extract the keys. A Factur-X PDF is read
// first (facturx.ts, on a thread of its own: facturx-worker.ts), then its embedded invoice goes the same way.
import { safeParse, type XmlLimits } from '../kit/safe-xml.js'
import type { DocumentKeys, Finding, Syntax } from '../../schemas/events.js'
import { detectSyntax } from './detect-syntax.js'
import { extractKeys } from './extract-keys.js'
import { MAX_KEY_CHARS, overlongKey } from '../../schemas/event-limits.js'
import { facturXProfiles, profileFindings, type FacturXRead } from './facturx.js'

export type IngestOutcome = { ok: true; syntax: Syntax; keys: DocumentKeys } | { ok: false; findings: Finding[] }

/**
 * What ingest kept of a Factur-X PDF (documents.container): the embedded file, its relationship, the profile the
 * XMP declares and the invoice's, and the PDF's findings that did not refuse it (warnings).
 */
export type FacturXContainer = {
  format: 'factur-x'; fileName: string; relationship: string | null; conformanceLevel: string | null
  profile: string | null; pdfVersion: string; pdfa: string | null; findings: Finding[]
}
export type FacturXOutcome = (IngestOutcome & { ok: false }) | { ok: true; syntax: Syntax; keys: DocumentKeys; invoice: Buffer; container: FacturXContainer }

/**
 * MINIMUM and BASIC WL carry no invoice lines (and BASIC WL no line-level VAT): they are not invoices under
 * EN 16931, and the French reform does not accept them as e-invoices (only BASIC, EN 16931 and EXTENDED-CTC-FR).
 * In such a Factur-X the PDF is the invoice and the XML a summary for bookkeeping; the hub routes and validates
 * invoices, so it refuses them and says which profile to export instead.
 */
const notInvoices = new Set<string>(facturXProfiles.filter((p) => p.profile === 'MINIMUM' || p.profile === 'BASIC WL').map((p) => p.guidelineId))

const finding = (ruleId: string, message: string, location = '/'): Finding => ({ ruleId, severity: 'fatal', location, message, pack: null, line: null })

export function ingest(bytes: Buffer, limits: XmlLimits): IngestOutcome {
  const parsed = safeParse(bytes, limits)
  if (!parsed.ok) return { ok: false, findings: [parsed.finding] }
  const detected = detectSyntax(parsed.doc)
  if (!detected.ok) return { ok: false, findings: [finding('FACTEUR-SYNTAX-UNSUPPORTED', detected.message)] }
  const extracted = extractKeys(parsed.doc, detected.syntax)
  if (!extracted.ok) return { ok: false, findings: extracted.missing.map((m) => finding(`FACTEUR-KEY-MISSING-${m.term}`, m.message)) }
  // The keys travel on every event of the document: one unbounded value would make them too large for Kafka.
  const overlong = overlongKey(extracted.keys)
  if (overlong) return { ok: false, findings: [finding('FACTEUR-FIELD-TOO-LONG', `${overlong.term} is ${overlong.length} characters long; the hub accepts at most ${MAX_KEY_CHARS} characters in a routing or business key`)] }
  return { ok: true, syntax: detected.syntax, keys: extracted.keys }
}

/**
 * A Factur-X deposit, once its PDF was read: refused on a fatal PDF finding; else its embedded invoice is ingested
 * as an XML deposit would be, and must be a CII invoice of a Factur-X profile that is an invoice, the profile the
 * PDF's XMP declares. The PDF's warnings are kept with the container.
 */
export function ingestFacturX(read: FacturXRead, limits: XmlLimits): FacturXOutcome {
  if (!read.ok) return { ok: false, findings: read.findings }
  const refused = (findings: Finding[]) => ({ ok: false as const, findings: [...findings, ...read.findings] })
  if (read.findings.some((f) => f.severity === 'fatal')) return refused([])
  const inner = ingest(read.facts.xml, limits)
  if (!inner.ok) return refused(inner.findings)
  if (inner.syntax !== 'cii') {
    return refused([finding('FACTURX-NOT-CII', `the PDF carries a ${inner.syntax} document as ${read.facts.fileName}; a Factur-X or ZUGFeRD PDF carries a UN/CEFACT CII D16B invoice (send a UBL invoice as XML on its own)`)])
  }
  const guideline = inner.keys.customizationId?.trim() ?? null
  if (guideline && notInvoices.has(guideline)) {
    const profile = facturXProfiles.find((p) => p.guidelineId === guideline)!.profile
    return refused([finding('FACTURX-PROFILE-NOT-INVOICE', `the Factur-X profile ${profile} (BT-24 ${guideline}) carries no invoice lines: it is not an invoice under EN 16931, nor an e-invoice of the French reform; export the invoice as Factur-X BASIC, EN 16931 or EXTENDED instead`)])
  }
  // The XMP must declare the profile of the XML it carries: a reader trusting either would get the other wrong.
  const profile = profileFindings(read.facts, guideline).map((f) => (f.ruleId === 'FACTURX-PROFILE-MISMATCH' ? { ...f, severity: 'fatal' as const } : f))
  if (profile.some((f) => f.severity === 'fatal')) return refused(profile)
  const xmp = read.facts.xmp
  return {
    ok: true, syntax: inner.syntax, keys: inner.keys, invoice: read.facts.xml,
    container: {
      format: 'factur-x', fileName: read.facts.fileName, relationship: read.facts.relationship, conformanceLevel: xmp?.conformanceLevel ?? null,
      profile: facturXProfiles.find((p) => p.guidelineId === guideline)?.profile ?? null, pdfVersion: read.facts.pdfVersion,
      pdfa: xmp?.pdfaPart ? `${xmp.pdfaPart}${xmp.pdfaConformance ?? ''}` : null, findings: [...read.findings, ...profile],
    },
  }
}
