// Factur-X / ZUGFeRD: a PDF/A-3 with the CII invoice embedded. readFacturX finds the invoice and what the PDF
// declares about it, or says precisely why the PDF is refused. Pure and synchronous: the ingest service runs it
// through extractFacturX (facturx-worker.ts), on a thread of its own with a heap cap and a time limit.
//
// Hostile input. The PDF is read by a linear scan of its own over @cantoo/pdf-lib's object parser, not by
// PDFDocument.load: load inflates every object stream whole (a 200 KB file holding a 200 MB object stream costs
// 200 MB, measured) and bounds neither the object count nor the nesting. Here each PdfLimits limit is checked as
// it is reached: input size, object count, nesting of arrays and dictionaries, depth of the name tree, decoded
// size of every stream we read (object streams, XMP, the invoice), which node:zlib inflates with
// maxOutputLength, so a decompression bomb is cut at the limit and never allocated.
//
// What is refused (fatal): what keeps us from reading the invoice safely (not a PDF, malformed, encrypted, no
// invoice, a limit reached), and a PDF that does not declare itself a Factur-X (no PDF/A-3 identification, no
// Factur-X XMP): French e-invoicing accepts UBL, CII or Factur-X, and such a PDF is none of them. The defects of a
// declared Factur-X whose invoice we did read (AFRelationship, /AF, DocumentFileName, profile) are warnings: the
// XML is what the hub validates and routes.
import { inflateSync, constants as zlib } from 'node:zlib'
import {
  decodePDFRawStream, PDFArray, PDFContext, PDFDict, PDFHexString, PDFName, PDFNull, PDFNumber, PDFObjectParser,
  PDFRawStream, PDFRef, PDFString, type PDFObject,
} from '@cantoo/pdf-lib'
import { ParseOption, XmlDocument } from 'libxml2-wasm'
import type { Finding } from '../../schemas/events.js'

export type PdfLimits = {
  maxBytes: number        // the PDF itself
  maxObjects: number      // indirect objects, those inside object streams included
  maxStreamBytes: number  // decoded size of any stream read (object streams, the XMP metadata)
  maxDepth: number        // nesting of arrays and dictionaries, of the embedded-files name tree, of the XMP's XML
  maxXmlBytes: number     // the embedded invoice, decoded
}

/**
 * Generous for invoices: a Factur-X is a few pages with fonts and a logo (hundreds of objects, nesting under 10,
 * a name tree of one node, XMP of a few KB); the invoice limit is the default upload limit of an XML invoice.
 */
export const defaultPdfLimits: PdfLimits = { maxBytes: 20 << 20, maxObjects: 100_000, maxStreamBytes: 32 << 20, maxDepth: 64, maxXmlBytes: 10 << 20 }

export type FacturXXmp = {
  conformanceLevel: string | null   // fx:ConformanceLevel, e.g. EN 16931
  documentType: string | null       // fx:DocumentType, INVOICE
  documentFileName: string | null   // fx:DocumentFileName, e.g. factur-x.xml
  version: string | null            // fx:Version, e.g. 1.0
  pdfaPart: string | null           // pdfaid:part, 3 for PDF/A-3
  pdfaConformance: string | null    // pdfaid:conformance, A, B or U
}

export type FacturXFacts = {
  xml: Buffer                       // the embedded invoice, decoded, byte for byte
  fileName: string                  // the embedded file's name as found (one of invoiceFileNames)
  relationship: string | null       // its /AFRelationship (Data, Alternative, Source …), null if absent
  inAF: boolean                     // its file specification is in the catalog's /AF array (PDF/A-3 requires it)
  xmp: FacturXXmp | null            // null: no readable XMP metadata
  pdfVersion: string                // from the header, e.g. 1.7
}

export type FacturXRead = { ok: true; facts: FacturXFacts; findings: Finding[] } | { ok: false; findings: Finding[] }

/** Our rule ids and their severity; never reused. A fatal finding means the PDF is refused. */
export const facturXRules = {
  'FACTURX-NOT-PDF': 'fatal',            // no %PDF- header
  'FACTURX-MALFORMED': 'fatal',          // truncated, no catalog, a stream that cannot be decoded
  'FACTURX-ENCRYPTED': 'fatal',          // /Encrypt in the trailer (PDF/A forbids it, and we could not read it)
  'FACTURX-TOO-COMPLEX': 'fatal',        // a PdfLimits limit, or the reader thread's time or memory
  'FACTURX-NO-INVOICE': 'fatal',         // no embedded file under one of invoiceFileNames
  'FACTURX-NOT-PDFA3': 'fatal',          // no readable XMP, or its pdfaid:part is not 3
  'FACTURX-XMP-MISSING': 'fatal',        // the Factur-X XMP extension values are missing
  'FACTURX-AFRELATIONSHIP': 'warning',   // /AFRelationship absent or not Data, Alternative or Source
  'FACTURX-AF-MISSING': 'warning',       // the invoice's file specification is not in the catalog's /AF
  'FACTURX-FILENAME': 'warning',         // fx:DocumentFileName is not the embedded file's name
  'FACTURX-PROFILE-MISMATCH': 'warning', // fx:ConformanceLevel and the XML's BT-24 name different profiles
  'FACTURX-PROFILE-UNKNOWN': 'warning',  // the XML's BT-24 is not a Factur-X / ZUGFeRD profile
} as const satisfies Record<string, Finding['severity']>
export type FacturXRule = keyof typeof facturXRules

/**
 * The names of the embedded invoice, in the order one is taken when a PDF holds several: Factur-X 1.0 and
 * ZUGFeRD 2.1+, ZUGFeRD 2.0 (both spellings are in use), XRechnung in ZUGFeRD 2.1+.
 */
export const invoiceFileNames = ['factur-x.xml', 'zugferd-invoice.xml', 'ZUGFeRD-invoice.xml', 'xrechnung.xml'] as const

/** The relationships Factur-X 1.07 allows for the invoice's file specification (PDF 2.0 §14.13 values). */
export const invoiceRelationships = ['Data', 'Alternative', 'Source'] as const

/**
 * Profiles of Factur-X 1.07 / ZUGFeRD 2.3: the XMP fx:ConformanceLevel values that declare each, and the XML's
 * specification identifier (BT-24). EXTENDED-CTC-FR (AFNOR XP Z12-012) has no XMP level of its own in Factur-X
 * 1.07: its PDFs declare EXTENDED, or EXTENDED-CTC-FR in some tools. XRECHNUNG is ZUGFeRD's (German public sector).
 */
export const facturXProfiles = [
  { profile: 'MINIMUM', conformanceLevels: ['MINIMUM'], guidelineId: 'urn:factur-x.eu:1p0:minimum' },
  { profile: 'BASIC WL', conformanceLevels: ['BASIC WL'], guidelineId: 'urn:factur-x.eu:1p0:basicwl' },
  { profile: 'BASIC', conformanceLevels: ['BASIC'], guidelineId: 'urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic' },
  { profile: 'EN 16931', conformanceLevels: ['EN 16931'], guidelineId: 'urn:cen.eu:en16931:2017' },
  { profile: 'EXTENDED', conformanceLevels: ['EXTENDED'], guidelineId: 'urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended' },
  { profile: 'EXTENDED-CTC-FR', conformanceLevels: ['EXTENDED', 'EXTENDED-CTC-FR'], guidelineId: 'urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr' },
  { profile: 'XRECHNUNG', conformanceLevels: ['XRECHNUNG'], guidelineId: 'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0' },
] as const

/** XMP namespaces of the four fx: properties: Factur-X 1.0 and ZUGFeRD 2.1+, ZUGFeRD 2.0, ZUGFeRD 1.0. */
const facturXNamespaces = [
  'urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#',
  'urn:zugferd:pdfa:CrossIndustryDocument:invoice:2p0#',
  'urn:ferd:pdfa:CrossIndustryDocument:invoice:1p0#',
]
const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#'
const PDFAID = 'http://www.aiim.org/pdfa/ns/id/'

const EXPORT_AGAIN = 'Export the invoice again as Factur-X (PDF/A-3 with the invoice XML embedded) from the invoicing software, or send the CII XML on its own'

export const facturXFinding = (ruleId: FacturXRule, message: string, location = '/'): Finding =>
  ({ ruleId, severity: facturXRules[ruleId], location, message, pack: null, line: null })

/** The outcome for a PDF past one of the hub's limits; `detail` says which. */
export const tooComplex = (detail: string): FacturXRead => ({
  ok: false,
  findings: [facturXFinding('FACTURX-TOO-COMPLEX', `The PDF is too complex for the hub to read safely: ${detail}. ${EXPORT_AGAIN}; if the PDF is an ordinary invoice, give the hub operator its document id.`)],
})

/** Why reading stops: the finding it becomes. */
class Refusal extends Error {
  constructor(readonly ruleId: FacturXRule, message: string) { super(message) }
}
const limitReached = (detail: string) => new Refusal('FACTURX-TOO-COMPLEX', detail)

export function readFacturX(pdf: Buffer, limits: PdfLimits): FacturXRead {
  if (pdf.length > limits.maxBytes) return tooComplex(`it is ${pdf.length} bytes, more than the ${limits.maxBytes} allowed`)
  const version = /%PDF-(\d\.\d)/.exec(pdf.subarray(0, 1024).toString('latin1'))?.[1]
  if (!version) return refused('FACTURX-NOT-PDF', `The document is not a PDF (no %PDF- header). ${EXPORT_AGAIN}.`)
  // PDF/A (ISO 19005-3 §6.1.3) ends the file with %%EOF; without it the file was cut short.
  if (!pdf.subarray(-1024).toString('latin1').includes('%%EOF')) {
    return refused('FACTURX-MALFORMED', 'The PDF is truncated (it does not end with %%EOF): the upload was interrupted or the export failed. Send the complete file again.')
  }
  try {
    return readDocument(scan(pdf, limits), version, limits)
  } catch (error) {
    if (error instanceof Refusal) return error.ruleId === 'FACTURX-TOO-COMPLEX' ? tooComplex(error.message) : refused(error.ruleId, error.message)
    return refused('FACTURX-MALFORMED', `The PDF could not be read (${String((error as Error).message).slice(0, 200)}). ${EXPORT_AGAIN}.`)
  }
}

const refused = (ruleId: FacturXRule, message: string): FacturXRead => ({ ok: false, findings: [facturXFinding(ruleId, message)] })

// ---- the scan: every indirect object of the file, in file order ----

const N = {
  Type: PDFName.of('Type'), XRef: PDFName.of('XRef'), ObjStm: PDFName.of('ObjStm'), Catalog: PDFName.of('Catalog'),
  Root: PDFName.of('Root'), Encrypt: PDFName.of('Encrypt'), N: PDFName.of('N'), First: PDFName.of('First'),
  Filter: PDFName.of('Filter'), DecodeParms: PDFName.of('DecodeParms'), FlateDecode: PDFName.of('FlateDecode'),
  F: PDFName.of('F'), UF: PDFName.of('UF'),
}

type ByteStream = ConstructorParameters<typeof PDFObjectParser>[0]

/** pdf-lib's object parser, read at any offset, refusing nesting deeper than the limit. */
class ObjectReader extends PDFObjectParser {
  private depth = 0
  constructor(bytes: Uint8Array, context: PDFContext, private readonly maxDepth: number) {
    // pdf-lib does not export ByteStream: a parser of its own makes one (BaseParser's protected `bytes`).
    super((PDFObjectParser.forBytes(bytes, context) as unknown as { bytes: ByteStream }).bytes, context)
  }

  /** The object at `offset` and the offset just past it, or undefined when it does not parse. */
  readAt(offset: number): { object: PDFObject; end: number } | undefined {
    try {
      this.bytes.moveTo(offset)
      this.depth = 0
      const object = this.parseObject()
      return { object, end: this.bytes.offset() }
    } catch (error) {
      if (error instanceof Refusal) throw error
      return undefined
    }
  }

  protected override parseArray(ref?: PDFRef): PDFArray { return this.nested(() => super.parseArray(ref)) }
  protected override parseDict(ref?: PDFRef): PDFDict { return this.nested(() => super.parseDict(ref)) }

  private nested<T>(parse: () => T): T {
    if (++this.depth > this.maxDepth) throw limitReached(`arrays or dictionaries are nested deeper than ${this.maxDepth} levels`)
    try { return parse() } finally { this.depth-- }
  }
}

type Scan = { context: PDFContext; root: PDFObject | undefined; encrypt: PDFObject | undefined }

// An indirect object's header (ISO 32000-1 §7.3.10) or a trailer. Objects are read in file order, so in an
// incrementally updated file the later definition wins, as the cross-reference sections would say.
const OBJECT_OR_TRAILER = /(?<!\d)(\d{1,10})[\0\t\n\f\r ]+(\d{1,5})[\0\t\n\f\r ]+obj(?![A-Za-z0-9])|trailer(?![A-Za-z0-9])/g

/** Every object of the file, those in object streams included, and the trailer's /Root and /Encrypt. */
function scan(pdf: Buffer, limits: PdfLimits): Scan {
  const context = PDFContext.create()
  const reader = new ObjectReader(pdf, context, limits.maxDepth)
  const found: Scan = { context, root: undefined, encrypt: undefined }
  let objects = 0
  const count = (n: number) => {
    objects += n
    if (objects > limits.maxObjects) throw limitReached(`it has more than ${limits.maxObjects} objects`)
  }
  const trailer = (dict: PDFDict) => {
    found.root = present(dict.get(N.Root)) ?? found.root
    found.encrypt = present(dict.get(N.Encrypt)) ?? found.encrypt
  }
  const text = pdf.toString('latin1')
  const pattern = new RegExp(OBJECT_OR_TRAILER)
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const read = reader.readAt(match.index + match[0].length)
    // Skip what was read (stream data could otherwise be taken for headers).
    if (read) pattern.lastIndex = read.end
    const [, number, generation] = match
    if (number === undefined || generation === undefined) {
      if (read?.object instanceof PDFDict) trailer(read.object)
      continue
    }
    count(1)
    if (!read) continue
    context.assign(PDFRef.of(Number(number), Number(generation)), read.object)
    if (!(read.object instanceof PDFRawStream)) continue
    const type = read.object.dict.get(N.Type)
    // A cross-reference stream's dictionary is the trailer (§7.5.8.2); its offsets are not needed by a scan.
    if (type === N.XRef) trailer(read.object.dict)
    else if (type === N.ObjStm) readObjectStream(read.object, context, limits, count)
  }
  if (!found.root) found.root = lastCatalog(context)
  return found
}

/** The objects of an object stream (§7.5.7): N pairs "number offset", then the objects from /First. */
function readObjectStream(stream: PDFRawStream, context: PDFContext, limits: PdfLimits, count: (n: number) => void) {
  const n = stream.dict.get(N.N)
  const first = stream.dict.get(N.First)
  const [size, start] = [n instanceof PDFNumber ? n.asNumber() : undefined, first instanceof PDFNumber ? first.asNumber() : undefined]
  if (!isIndex(size) || !isIndex(start)) return
  count(size)
  const data = decode(stream, context, limits.maxStreamBytes, 'an object stream')
  const header = data.subarray(0, start).toString('latin1').trim().split(/\s+/).map(Number)
  const reader = new ObjectReader(data, context, limits.maxDepth)
  for (let i = 0; i < size; i++) {
    const [number, offset] = [header[2 * i], header[2 * i + 1]]
    if (!isIndex(number) || !isIndex(offset)) return
    const read = reader.readAt(start + offset)
    if (read) context.assign(PDFRef.of(number, 0), read.object)
  }
}

const isIndex = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n >= 0

/** A file whose trailer was lost still has its catalog (pdf-lib recovers the same way). */
function lastCatalog(context: PDFContext): PDFRef | undefined {
  const catalogs = context.enumerateIndirectObjects().filter(([, o]) => o instanceof PDFDict && o.get(N.Type) === N.Catalog)
  return catalogs.at(-1)?.[0]
}

const present = (o: PDFObject | undefined) => (o === undefined || o === PDFNull ? undefined : o)

// ---- streams, decoded within a limit ----

/**
 * The decoded bytes of a stream, refused past `limit` bytes. FlateDecode goes through node:zlib with
 * maxOutputLength (cut at the limit, not allocated); the other standard filters through pdf-lib's decoders,
 * asked for at most limit + 1 bytes. Each filter of a chain is held to the limit.
 */
function decode(stream: PDFRawStream, context: PDFContext, limit: number, what: string): Buffer {
  const filters = asList(context.lookup(stream.dict.get(N.Filter)), context)
  const parms = asList(context.lookup(stream.dict.get(N.DecodeParms)), context)
  let data = Buffer.from(stream.contents.buffer, stream.contents.byteOffset, stream.contents.byteLength)
  filters.forEach((filter, i) => { data = decodeOne(data, filter, parms[i], context, limit, what) })
  if (data.length > limit) throw limitReached(`${what} is ${data.length} bytes, more than the ${limit} allowed`)
  return data
}

function decodeOne(data: Buffer, filter: PDFObject | undefined, parms: PDFObject | undefined, context: PDFContext, limit: number, what: string): Buffer {
  const predictor = parms instanceof PDFDict ? context.lookup(parms.get(PDFName.of('Predictor'))) : undefined
  if (!(filter instanceof PDFName) || (predictor instanceof PDFNumber && predictor.asNumber() > 1)) {
    throw new Refusal('FACTURX-MALFORMED', `${what} uses an encoding the hub does not read (${String(filter)}${predictor ? ' with a predictor' : ''}). ${EXPORT_AGAIN}.`)
  }
  const over = () => limitReached(`${what} decodes to more than the ${limit} bytes allowed`)
  if (filter === N.FlateDecode) {
    try {
      // Z_SYNC_FLUSH: a stream missing its last block gives what it has, as PDF readers do.
      return inflateSync(data, { maxOutputLength: limit, finishFlush: zlib.Z_SYNC_FLUSH })
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw over()
      throw new Refusal('FACTURX-MALFORMED', `${what} is damaged (FlateDecode: ${(error as Error).message}). ${EXPORT_AGAIN}.`)
    }
  }
  let out: Uint8Array | Uint8ClampedArray
  try {
    out = decodePDFRawStream(PDFRawStream.of(context.obj({ Filter: filter, DecodeParms: parms ?? null }), data)).getBytes(limit + 1)
  } catch (error) {
    throw new Refusal('FACTURX-MALFORMED', `${what} cannot be decoded (${filter.decodeText()}: ${(error as Error).message}). ${EXPORT_AGAIN}.`)
  }
  if (out.length > limit) throw over()
  return Buffer.from(out)
}

const asList = (o: PDFObject | undefined, context: PDFContext): (PDFObject | undefined)[] =>
  o instanceof PDFArray ? o.asArray().map((e) => context.lookup(e)) : present(o) ? [o] : []

// ---- the document: catalog, embedded files, XMP ----

function readDocument({ context, root, encrypt }: Scan, pdfVersion: string, limits: PdfLimits): FacturXRead {
  if (encrypt) {
    return refused('FACTURX-ENCRYPTED', 'The PDF is encrypted (/Encrypt in its trailer): PDF/A-3 forbids encryption and the hub cannot read the invoice inside. Export the invoice again without a password or protection.')
  }
  const catalog = context.lookup(root)
  if (!(catalog instanceof PDFDict)) return refused('FACTURX-MALFORMED', `The PDF has no readable document catalog (/Root): it is damaged. ${EXPORT_AGAIN}.`)
  const files = embeddedFiles(catalog, context, limits.maxDepth)
  const invoice = invoiceFileNames.map((name) => ({ name, file: files.find((f) => f.names.includes(name)) })).find((c) => c.file)
  if (!invoice?.file) {
    const names = [...new Set(files.flatMap((f) => f.names))].slice(0, 10).map((n) => JSON.stringify(n.slice(0, 100)))
    const found = names.length ? `it embeds ${names.join(', ')}, none of them` : 'it embeds no file, so no file'
    return refused('FACTURX-NO-INVOICE', `The PDF holds no Factur-X invoice: ${found} named ${invoiceFileNames.join(', ')}. ${EXPORT_AGAIN}.`)
  }
  const { name: fileName, file } = invoice
  const ef = context.lookup(file.spec.get(PDFName.of('EF')))
  const stream = ef instanceof PDFDict ? context.lookup(ef.get(N.F) ?? ef.get(N.UF)) : undefined
  if (!(stream instanceof PDFRawStream)) {
    return refused('FACTURX-NO-INVOICE', `The PDF names ${fileName} but does not embed its content (no /EF stream in its file specification). ${EXPORT_AGAIN}.`)
  }
  const xml = decode(stream, context, Math.min(limits.maxXmlBytes, limits.maxStreamBytes), `the embedded ${fileName}`)
  const metadata = readXmp(catalog, context, limits)
  const facts: FacturXFacts = {
    xml, fileName, relationship: nameOf(context.lookup(file.spec.get(PDFName.of('AFRelationship')))), inAF: file.inAF, xmp: metadata.xmp, pdfVersion,
  }
  const findings = envelopeChecks.flatMap(([ruleId, check]) => {
    const problem = check(facts, metadata.problem)
    return problem ? [facturXFinding(ruleId, problem)] : []
  })
  return findings.some((f) => f.severity === 'fatal') ? { ok: false, findings } : { ok: true, facts, findings }
}

type EmbeddedFile = { spec: PDFDict; names: string[]; inAF: boolean }

/** The file specifications of the /EmbeddedFiles name tree and of the catalog's /AF, with their names. */
function embeddedFiles(catalog: PDFDict, context: PDFContext, maxDepth: number): EmbeddedFile[] {
  const files = new Map<PDFDict, EmbeddedFile>()
  const add = (spec: PDFObject | undefined, key: string | null, inAF: boolean) => {
    if (!(spec instanceof PDFDict)) return
    const file = files.get(spec) ?? { spec, names: [N.UF, N.F].map((k) => textOf(context.lookup(spec.get(k)))).filter((n) => n !== null), inAF: false }
    if (key !== null && !file.names.includes(key)) file.names.push(key)
    file.inAF ||= inAF
    files.set(spec, file)
  }
  const names = context.lookup(catalog.get(PDFName.of('Names')))
  if (names instanceof PDFDict) walkNameTree(context.lookup(names.get(PDFName.of('EmbeddedFiles'))), context, 1, maxDepth, new Set(), add)
  const af = context.lookup(catalog.get(PDFName.of('AF')))
  if (af instanceof PDFArray) for (const spec of af.asArray()) add(context.lookup(spec), null, true)
  return [...files.values()]
}

/** A name tree (§7.9.6): /Names pairs at the leaves, /Kids below the root; each node visited once. */
function walkNameTree(node: PDFObject | undefined, context: PDFContext, depth: number, maxDepth: number, seen: Set<PDFDict>,
  add: (spec: PDFObject | undefined, key: string | null, inAF: boolean) => void) {
  if (!(node instanceof PDFDict) || seen.has(node)) return
  if (depth > maxDepth) throw limitReached(`its embedded-files name tree is nested deeper than ${maxDepth} levels`)
  seen.add(node)
  const pairs = context.lookup(node.get(PDFName.of('Names')))
  if (pairs instanceof PDFArray) {
    for (let i = 0; i + 1 < pairs.size(); i += 2) add(context.lookup(pairs.get(i + 1)), textOf(context.lookup(pairs.get(i))), false)
  }
  const kids = context.lookup(node.get(PDFName.of('Kids')))
  if (kids instanceof PDFArray) for (const kid of kids.asArray()) walkNameTree(context.lookup(kid), context, depth + 1, maxDepth, seen, add)
}

const textOf = (o: PDFObject | undefined) => (o instanceof PDFString || o instanceof PDFHexString ? o.decodeText() : null)
const nameOf = (o: PDFObject | undefined) => (o instanceof PDFName ? o.decodeText() : null)

/** The XMP of the catalog's /Metadata (ISO 19005-3 §6.6), or why there is none. */
function readXmp(catalog: PDFDict, context: PDFContext, limits: PdfLimits): { xmp: FacturXXmp | null; problem: string } {
  const stream = context.lookup(catalog.get(PDFName.of('Metadata')))
  if (!(stream instanceof PDFRawStream)) return { xmp: null, problem: 'it has no XMP metadata (/Metadata in its catalog)' }
  const bytes = decode(stream, context, limits.maxStreamBytes, 'the XMP metadata')
  let doc: XmlDocument
  try {
    // libxml2-wasm, not kit/safe-xml's libxmljs2, whose addon cannot load on a worker thread. No entity
    // substitution, no external entity, no network; a DTD is refused before anything is read.
    doc = XmlDocument.fromBuffer(bytes, { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE })
  } catch (error) {
    return { xmp: null, problem: `its XMP metadata is not well-formed XML (${(error as Error).message.trim()})` }
  }
  try {
    if (doc.dtd !== null) return { xmp: null, problem: 'its XMP metadata has a DOCTYPE, which XMP never has' }
    if (doc.eval(`boolean(/${'*/'.repeat(limits.maxDepth)}*)`) === true) throw limitReached(`its XMP metadata is nested deeper than ${limits.maxDepth} levels`)
    // A property is an element or an attribute of an rdf:Description (XMP part 1 §7.5).
    const value = (ns: string, name: string) => {
      const text = doc.eval(`string((//rdf:Description/p:${name} | //rdf:Description/@p:${name})[1])`, { rdf: RDF, p: ns })
      return typeof text === 'string' && text.trim() !== '' ? text.trim() : null
    }
    const fx = (name: string) => facturXNamespaces.map((ns) => value(ns, name)).find((v) => v !== null) ?? null
    return {
      xmp: {
        conformanceLevel: fx('ConformanceLevel'), documentType: fx('DocumentType'), documentFileName: fx('DocumentFileName'), version: fx('Version'),
        pdfaPart: value(PDFAID, 'part'), pdfaConformance: value(PDFAID, 'conformance'),
      },
      problem: '',
    }
  } finally {
    doc.dispose()
  }
}

const fxProperties = ['DocumentType', 'DocumentFileName', 'Version', 'ConformanceLevel'] as const
const fxValue = (xmp: FacturXXmp, property: (typeof fxProperties)[number]) =>
  ({ DocumentType: xmp.documentType, DocumentFileName: xmp.documentFileName, Version: xmp.version, ConformanceLevel: xmp.conformanceLevel })[property]

/** The checks of a PDF whose invoice was read, in the order a supplier would fix them: what is wrong, or null. */
const envelopeChecks: [FacturXRule, (facts: FacturXFacts, xmpProblem: string) => string | null][] = [
  ['FACTURX-NOT-PDFA3', ({ xmp }, problem) => xmp && xmp.pdfaPart === '3' ? null
    : `The PDF does not declare PDF/A-3: ${xmp ? `its XMP pdfaid:part is ${xmp.pdfaPart ?? 'absent'}` : problem}. A Factur-X invoice is a PDF/A-3 file. ${EXPORT_AGAIN}.`],
  ['FACTURX-XMP-MISSING', ({ xmp }) => {
    const missing = xmp ? fxProperties.filter((p) => fxValue(xmp, p) === null) : fxProperties
    return missing.length === 0 ? null
      : `The PDF's XMP metadata ${xmp ? 'lacks' : 'is missing, and with it'} the Factur-X extension values ${missing.map((p) => `fx:${p}`).join(', ')}, which declare the embedded invoice and its profile. ${EXPORT_AGAIN}.`
  }],
  ['FACTURX-FILENAME', ({ xmp, fileName }) => !xmp?.documentFileName || xmp.documentFileName === fileName ? null
    : `The XMP metadata names the invoice ${JSON.stringify(xmp.documentFileName)} (fx:DocumentFileName) but the embedded file is ${fileName}; the invoicing software should write the same name in both.`],
  ['FACTURX-AFRELATIONSHIP', ({ relationship, fileName }) => relationship !== null && (invoiceRelationships as readonly string[]).includes(relationship) ? null
    : `The file specification of ${fileName} ${relationship === null ? 'has no /AFRelationship' : `has /AFRelationship /${relationship}`}; PDF/A-3 requires one and Factur-X allows ${invoiceRelationships.join(', ')} (Alternative when the XML is the invoice itself). The invoicing software should set it.`],
  ['FACTURX-AF-MISSING', ({ inAF, fileName }) => inAF ? null
    : `The file specification of ${fileName} is not in the document catalog's /AF array, which PDF/A-3 requires for an embedded file. The invoicing software should associate it.`],
]

const normalLevel = (level: string) => level.replace(/\s+/g, '').toUpperCase()

/**
 * Whether the XMP's fx:ConformanceLevel and the embedded XML's specification identifier (BT-24,
 * rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID) name the same profile.
 * Levels compare without case or spaces (EN16931 is EN 16931). A missing level is readFacturX's finding, a
 * missing BT-24 the validation's.
 */
export function profileFindings(facts: FacturXFacts, guidelineId: string | null): Finding[] {
  const level = facts.xmp?.conformanceLevel
  if (!level || !guidelineId) return []
  const id = guidelineId.trim()
  const profile = facturXProfiles.find((p) => p.guidelineId === id)
  if (!profile) {
    return [facturXFinding('FACTURX-PROFILE-UNKNOWN', `The invoice's specification identifier (BT-24) ${JSON.stringify(id)} is not one of the Factur-X / ZUGFeRD profiles, while the XMP metadata declares ${level}; the invoicing software should write the profile's identifier.`)]
  }
  if (profile.conformanceLevels.some((l) => normalLevel(l) === normalLevel(level))) return []
  return [facturXFinding('FACTURX-PROFILE-MISMATCH', `The XMP metadata declares the Factur-X profile ${level} (fx:ConformanceLevel) but the invoice is ${profile.profile} (BT-24 ${id}); the invoicing software should declare the profile of the XML it embeds.`)]
}
