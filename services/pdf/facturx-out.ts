// A CII invoice made a Factur-X (Factur-X 1.07 / ZUGFeRD 2.3): the invoice rendered by render.ts, as a PDF/A-3b
// (pdfa.ts), with the CII embedded byte for byte as factur-x.xml, and the XMP values that declare it (fx:
// DocumentType, DocumentFileName, Version, ConformanceLevel). For the forwarder (recipients who ask for Factur-X)
// and the gateway (a rendering on request).
//
// The embedded file (Factur-X 1.07 §6.2.2; ISO 19005-3 §6.8): an /EmbeddedFile stream with /Subtype text/xml
// (written /text#2Fxml) and /Params (/ModDate, /Size); its file specification with /F, /UF, /Desc and
// /AFRelationship; the specification in the catalog's /AF array and in the /EmbeddedFiles name tree.
//
// /AFRelationship. Factur-X 1.07 (and ZUGFeRD 2.1 on) allows Data, Source or Alternative, chosen by profile:
// MINIMUM and BASIC WL carry only part of an invoice, so the XML is /Data the PDF (the invoice) holds; from BASIC
// on the XML is a whole invoice, equivalent to the PDF, so /Alternative. (/Source would say the PDF was made from
// the XML, which it is here; ZUGFeRD allows it only outside Germany, and readers know Alternative best, so this
// module writes Alternative.) The hub's own reader (services/ingest/facturx.ts) accepts all three.
import { createHash } from 'node:crypto'
import { PDFDocument, PDFHexString, PDFName, PDFString } from '@cantoo/pdf-lib'
import { readInvoiceView, type InvoiceView, type ViewLimits } from './invoice-view.js'
import type { Lang } from './labels.js'
import { makePdfA3b, type XmpExtension } from './pdfa.js'
import { documentTitle, drawInvoice } from './render.js'

export const facturXFileName = 'factur-x.xml'
export const facturXNamespace = 'urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#'

type Relationship = 'Data' | 'Alternative'

/**
 * The fx:ConformanceLevel written for each CII specification identifier (BT-24) of Factur-X 1.07, and the
 * /AFRelationship. EXTENDED-CTC-FR (AFNOR XP Z12-012) has no level of its own in Factur-X 1.07: it is declared
 * EXTENDED. The reading side's table is services/ingest/facturx.ts's facturXProfiles; the unit test holds the
 * two in step.
 */
export const facturXLevels: { guidelineId: string; level: string; relationship: Relationship }[] = [
  { guidelineId: 'urn:factur-x.eu:1p0:minimum', level: 'MINIMUM', relationship: 'Data' },
  { guidelineId: 'urn:factur-x.eu:1p0:basicwl', level: 'BASIC WL', relationship: 'Data' },
  { guidelineId: 'urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic', level: 'BASIC', relationship: 'Alternative' },
  { guidelineId: 'urn:cen.eu:en16931:2017', level: 'EN 16931', relationship: 'Alternative' },
  { guidelineId: 'urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended', level: 'EXTENDED', relationship: 'Alternative' },
  { guidelineId: 'urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr', level: 'EXTENDED', relationship: 'Alternative' },
  { guidelineId: 'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0', level: 'XRECHNUNG', relationship: 'Alternative' },
]

export type FacturXOptions = {
  lang?: Lang           // of the rendered pages; French by default
  now?: Date            // the PDF's dates and the embedded file's /ModDate; the current time by default
  limits?: ViewLimits   // for reading the CII
}

export type FacturXOut =
  | { ok: true; pdf: Uint8Array; level: string; relationship: Relationship }
  | { ok: false; reason: string }

/** The Factur-X PDF of a CII invoice, or why there can be none. */
export async function facturXFromCii(cii: Uint8Array, options: FacturXOptions = {}): Promise<FacturXOut> {
  const read = readInvoiceView(cii, options.limits)
  if (!read.ok) return read
  const view = read.view
  if (view.syntax !== 'CII') {
    return { ok: false, reason: `a Factur-X embeds a UN/CEFACT CII invoice, and this is a ${view.syntax}: convert it to CII first, or render it without Factur-X` }
  }
  const profile = facturXLevels.find((p) => p.guidelineId === view.specification?.trim())
  if (!profile) {
    return { ok: false, reason: `the invoice's specification identifier (BT-24) ${JSON.stringify(view.specification)} is not a Factur-X profile (${facturXLevels.map((p) => p.level).filter((l, i, all) => all.indexOf(l) === i).join(', ')}), so no Factur-X conformance level can be declared` }
  }
  const lang = options.lang ?? 'fr'
  const now = options.now ?? new Date()
  const doc = await PDFDocument.create({ updateMetadata: false })
  await drawInvoice(doc, view, lang)
  embedInvoice(doc, cii, profile.relationship, now)
  makePdfA3b(doc, {
    title: documentTitle(view, lang),
    author: view.seller.name,
    subject: subject(view, lang),
    creator: 'Facteur',
    producer: 'Facteur (@cantoo/pdf-lib)',
    date: now,
    lang,
    extensions: [facturXExtension(profile.level)],
    idSeed: cii,
  })
  return { ok: true, pdf: await doc.save(), level: profile.level, relationship: profile.relationship }
}

const subject = (view: InvoiceView, lang: Lang) => lang === 'fr'
  ? `Facture électronique Factur-X ${view.number} de ${view.seller.name} à ${view.buyer.name}`
  : `Factur-X electronic invoice ${view.number} from ${view.seller.name} to ${view.buyer.name}`

/** The CII as factur-x.xml: embedded file stream, file specification, /AF and /EmbeddedFiles. */
function embedInvoice(doc: PDFDocument, cii: Uint8Array, relationship: Relationship, now: Date): void {
  const { context, catalog } = doc
  const file = context.register(context.flateStream(cii, {
    Type: 'EmbeddedFile',
    Subtype: 'text/xml',
    Params: { Size: cii.length, ModDate: PDFString.fromDate(now), CheckSum: PDFHexString.of(createHash('md5').update(cii).digest('hex')) },
  }))
  const spec = context.register(context.obj({
    Type: 'Filespec',
    F: PDFString.of(facturXFileName),
    UF: PDFHexString.fromText(facturXFileName),
    Desc: PDFString.of('Factur-X invoice (UN/CEFACT CII)'),
    AFRelationship: PDFName.of(relationship),
    EF: { F: file, UF: file },
  }))
  catalog.set(PDFName.of('Names'), context.obj({ EmbeddedFiles: context.obj({ Names: [PDFString.of(facturXFileName), spec] }) }))
  catalog.set(PDFName.of('AF'), context.obj([spec]))
}

/** The Factur-X XMP extension schema (Factur-X 1.07 §6.2.3) and its four values for this invoice. */
function facturXExtension(level: string): XmpExtension {
  return {
    schema: 'Factur-X PDFA Extension Schema',
    namespace: facturXNamespace,
    prefix: 'fx',
    properties: [
      { name: 'DocumentFileName', value: facturXFileName, description: 'The name of the embedded XML invoice file' },
      { name: 'DocumentType', value: 'INVOICE', description: 'The type of the hybrid document: INVOICE' },
      { name: 'Version', value: '1.0', description: 'The version of the Factur-X XML schema' },
      { name: 'ConformanceLevel', value: level, description: 'The Factur-X profile of the embedded XML invoice' },
    ],
  }
}
