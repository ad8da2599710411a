// Which of the EN 16931 syntaxes a document is, from its root element (namespace + local name).
import type { Document } from '../kit/safe-xml.js'
import type { Syntax } from '../../schemas/events.js'
import { syntaxOfRoot } from '../../schemas/syntaxes.js'

export type Detection = { ok: true; syntax: Syntax } | { ok: false; message: string }

export function detectSyntax(doc: Document): Detection {
  const root = doc.root()
  if (!root) return { ok: false, message: 'the document has no root element' }
  const ns = root.namespace()?.href() ?? ''
  const syntax = syntaxOfRoot(ns, root.name())
  if (syntax) return { ok: true, syntax }
  const found = ns ? `{${ns}}${root.name()}` : `${root.name()} (no namespace)`
  const hint = ns.startsWith('urn:oasis:names:specification:ubl:schema:xsd:')
    ? ` — a UBL ${root.name()}, not an invoice or a credit note`
    : ns.startsWith('urn:un:unece:uncefact:data:standard:CrossIndustryInvoice') ? ' — a CII namespace other than D16B (:100)' : ''
  return { ok: false, message: `unsupported document ${found}${hint}; accepted: UBL 2.1 Invoice, UBL 2.1 CreditNote, UN/CEFACT CII D16B CrossIndustryInvoice` }
}
