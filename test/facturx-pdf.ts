// Factur-X test PDFs, built with @cantoo/pdf-lib: a proper one (PDF/A-3 XMP with the Factur-X extension values,
// the invoice embedded with /AFRelationship and listed in the catalog's /AF and /EmbeddedFiles), and each fault a
// supplier's tool or an attacker can produce, one option each. Not a PDF/A validator's idea of PDF/A (no fonts,
// no output intent): only what services/ingest/facturx.ts reads.
import { createDeflate } from 'node:zlib'
import { PDFDocument, PDFHexString, PDFName, PDFString, type PDFObject, type PDFRef } from '@cantoo/pdf-lib'

export type FacturXXmpOptions = {
  part?: string | null              // pdfaid:part, default 3; null leaves it out
  conformanceLevel?: string         // fx:ConformanceLevel, default EN 16931
  documentFileName?: string         // fx:DocumentFileName, default the embedded file's name
  facturX?: boolean                 // false leaves out the fx: values (and their extension schema)
  namespace?: string                // the fx: namespace, default Factur-X 1.0's
  asAttributes?: boolean            // the values as attributes of rdf:Description, as some tools write them
  doctype?: string                  // a DOCTYPE put before x:xmpmeta (XMP never has one: an attack)
}

export type FacturXPdfOptions = {
  fileName?: string                 // the embedded file's name, default factur-x.xml
  relationship?: string | null      // /AFRelationship, default Data; null leaves it out
  inAF?: boolean                    // listed in the catalog's /AF, default true
  embedded?: boolean                // false: no embedded file at all
  xmp?: FacturXXmpOptions | false   // false: no /Metadata
  encrypted?: boolean               // an /Encrypt dictionary in the trailer
  objectStreams?: boolean           // pdf-lib's default (true): dictionaries in object streams, a cross-reference stream
  bombBytes?: number                // the embedded file is this many zero bytes, deflated (a decompression bomb)
  nestingDepth?: number             // the catalog holds an array nested this deep
  nameTreeDepth?: number            // the /EmbeddedFiles name tree is a chain of /Kids this deep
  unterminatedStreams?: number      // appends this many streams without endstream: each sends a reader searching the rest of the file (quadratic time)
  extraObjects?: number             // appends this many small dictionaries (to fill a reader's heap)
  truncated?: boolean               // the first half of the file only (an interrupted upload)
  garbled?: boolean                 // everything between the header and the final %%EOF replaced with noise
}

export const facturXNamespace = 'urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#'

/** The XMP packet of a Factur-X (ISO 19005-3 identification + the Factur-X extension schema and values). */
export function facturXXmp(fileName: string, o: FacturXXmpOptions = {}): string {
  const ns = o.namespace ?? facturXNamespace
  const values: [string, string][] = [['DocumentType', 'INVOICE'], ['DocumentFileName', o.documentFileName ?? fileName], ['Version', '1.0'], ['ConformanceLevel', o.conformanceLevel ?? 'EN 16931']]
  const property = (name: string) => `<rdf:li rdf:parseType="Resource"><pdfaProperty:name>${name}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>${name}</pdfaProperty:description></rdf:li>`
  const facturX = o.facturX === false ? '' : `
    <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
      <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
        <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema><pdfaSchema:namespaceURI>${ns}</pdfaSchema:namespaceURI><pdfaSchema:prefix>fx</pdfaSchema:prefix>
        <pdfaSchema:property><rdf:Seq>${values.map(([name]) => property(name)).join('')}</rdf:Seq></pdfaSchema:property>
      </rdf:li></rdf:Bag></pdfaExtension:schemas>
    </rdf:Description>
    ${o.asAttributes
    ? `<rdf:Description rdf:about="" xmlns:fx="${ns}" ${values.map(([k, v]) => `fx:${k}="${v}"`).join(' ')}/>`
    : `<rdf:Description rdf:about="" xmlns:fx="${ns}">${values.map(([k, v]) => `<fx:${k}>${v}</fx:${k}>`).join('')}</rdf:Description>`}`
  const part = o.part === undefined ? '3' : o.part
  return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>${o.doctype ?? ''}
<x:xmpmeta xmlns:x="adobe:ns:meta/">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">${part === null ? '' : `<pdfaid:part>${part}</pdfaid:part>`}<pdfaid:conformance>B</pdfaid:conformance></rdf:Description>${facturX}
  </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`
}

/** A Factur-X PDF embedding `xml`, with the faults `options` asks for. */
export async function buildFacturX(xml: Buffer, options: FacturXPdfOptions = {}): Promise<Buffer> {
  const fileName = options.fileName ?? 'factur-x.xml'
  const doc = await PDFDocument.create({ updateMetadata: false })
  doc.addPage()
  const { context, catalog } = doc
  const set = (key: string, value: PDFObject) => catalog.set(PDFName.of(key), value)

  if (options.embedded !== false) {
    const fileDict = { Type: 'EmbeddedFile', Subtype: 'text/xml', Params: { Size: options.bombBytes ?? xml.length } }
    const file = options.bombBytes
      ? context.register(context.stream(await deflatedZeros(options.bombBytes), { ...fileDict, Filter: 'FlateDecode' }))
      : context.register(context.flateStream(xml, fileDict))
    const spec = context.register(context.obj({
      Type: 'Filespec', F: PDFString.of(fileName), UF: PDFHexString.fromText(fileName), Desc: PDFString.of('Factur-X invoice'), EF: { F: file },
      ...(options.relationship === null ? {} : { AFRelationship: PDFName.of(options.relationship ?? 'Data') }),
    }))
    let tree: PDFRef = context.register(context.obj({ Names: [PDFHexString.fromText(fileName), spec] }))
    for (let i = 0; i < (options.nameTreeDepth ?? 0); i++) tree = context.register(context.obj({ Kids: [tree] }))
    set('Names', context.obj({ EmbeddedFiles: tree }))
    if (options.inAF !== false) set('AF', context.obj([spec]))
  }
  if (options.xmp !== false) {
    const xmp = Buffer.from(facturXXmp(fileName, options.xmp), 'utf8')
    set('Metadata', context.register(context.stream(xmp, { Type: 'Metadata', Subtype: 'XML' })))
  }
  if (options.nestingDepth) {
    let nested = context.obj([])
    for (let i = 1; i < options.nestingDepth; i++) nested = context.obj([nested])
    set('Nested', nested)
  }
  if (options.encrypted) {
    context.trailerInfo.Encrypt = context.register(context.obj({ Filter: 'Standard', V: 1, R: 2, P: -4, O: PDFString.of('owner'), U: PDFString.of('user') }))
  }
  const pdf = Buffer.from(await doc.save({ useObjectStreams: options.objectStreams ?? true }))
  return damaged(appended(pdf, options), options)
}

/** Objects after the end of the file, as an incremental update adds them (they end with %%EOF again). */
function appended(pdf: Buffer, options: FacturXPdfOptions): Buffer {
  const objects: string[] = []
  for (let i = 0; i < (options.unterminatedStreams ?? 0); i++) objects.push(`${10_000 + i} 0 obj <</Length 5 0 R>> stream\nxx\n`)
  for (let i = 0; i < (options.extraObjects ?? 0); i++) objects.push(`${10_000 + i} 0 obj <</A [1 2 3] /B (x)>> endobj\n`)
  return objects.length ? Buffer.concat([pdf, Buffer.from(`${objects.join('')}%%EOF\n`, 'latin1')]) : pdf
}

function damaged(pdf: Buffer, options: FacturXPdfOptions): Buffer {
  if (options.truncated) return pdf.subarray(0, pdf.length >> 1)
  if (!options.garbled) return pdf
  const out = Buffer.from(pdf)
  let seed = 42
  // Deterministic noise (a linear congruential generator) over all but the header line and the last %%EOF.
  for (let i = out.indexOf('\n') + 1; i < out.length - 7; i++) out[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24
  return out
}

/** `bytes` zero bytes deflated, made a megabyte at a time: a 200 MB bomb is about 200 KB and never 200 MB here. */
export async function deflatedZeros(bytes: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 })
  const out: Buffer[] = []
  deflate.on('data', (chunk: Buffer) => out.push(chunk))
  const done = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject))
  const chunk = Buffer.alloc(1 << 20)
  for (let left = bytes; left > 0; left -= chunk.length) {
    if (!deflate.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await new Promise((resolve) => deflate.once('drain', resolve))
  }
  deflate.end()
  await done
  return Buffer.concat(out)
}
