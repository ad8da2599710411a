// What makes a pdf-lib document a PDF/A-3b file (ISO 19005-3, conformance level B) besides its content: the XMP
// metadata stream with the PDF/A identification and a description of every non-standard schema it uses (§6.6.2),
// the document information dictionary saying the same as the XMP (§6.6.3), an output intent with an sRGB ICC
// profile for the DeviceRGB the pages use (§6.2.4.3), and file identifiers in the trailer (§6.1.3). The content
// itself must already keep the rules: every font embedded, no .notdef glyph, no transparency, no encryption,
// which render.ts and fonts.ts do. veraPDF checks the result in facturx-out.verapdf.test.ts.
import { createHash } from 'node:crypto'
import { PDFHexString, PDFName, PDFString, type PDFDocument } from '@cantoo/pdf-lib'
import { srgbDescription, srgbIccProfile } from './icc-srgb.js'

/** A property of an XMP extension schema, with its value in this document. */
export type XmpProperty = { name: string; value: string; description: string }

/** An XMP schema that ISO 19005 does not predefine, described in the packet itself (pdfaExtension, §6.6.2.3.2). */
export type XmpExtension = { schema: string; namespace: string; prefix: string; properties: XmpProperty[] }

export type PdfaInfo = {
  title: string
  author: string
  subject: string
  creator: string       // the application that made the content (Info /Creator, xmp:CreatorTool)
  producer: string      // the application that wrote the PDF (Info /Producer, pdf:Producer)
  date: Date            // creation and modification (Info /CreationDate /ModDate, xmp:CreateDate /ModifyDate)
  lang: string          // the catalog's /Lang, and the language of dc:title and dc:description
  extensions: XmpExtension[]
  /** Bytes that make this document's file identifier (§6.1.3); the same bytes give the same identifier. */
  idSeed: Uint8Array
}

/** Adds the PDF/A-3b identification, metadata, output intent and file identifier to `doc`; save it afterwards. */
export function makePdfA3b(doc: PDFDocument, info: PdfaInfo): void {
  const { context, catalog } = doc
  // The Info dictionary and the XMP must agree (§6.6.3): both are written from `info`, and the dates in UTC.
  doc.setTitle(info.title)
  doc.setAuthor(info.author)
  doc.setSubject(info.subject)
  doc.setCreator(info.creator)
  doc.setProducer(info.producer)
  doc.setCreationDate(info.date)
  doc.setModificationDate(info.date)
  doc.setLanguage(info.lang)

  // Uncompressed, so that a reader that knows no filter can still find the PDF/A identification.
  const xmp = context.stream(Buffer.from(xmpPacket(info), 'utf8'), { Type: 'Metadata', Subtype: 'XML' })
  catalog.set(PDFName.of('Metadata'), context.register(xmp))

  const icc = context.register(context.flateStream(srgbIccProfile(), { N: 3 }))
  catalog.set(PDFName.of('OutputIntents'), context.obj([context.obj({
    Type: 'OutputIntent',
    S: 'GTS_PDFA1',
    OutputConditionIdentifier: PDFString.of(srgbDescription),
    RegistryName: PDFString.of('http://www.color.org'),
    Info: PDFString.of(srgbDescription),
    DestOutputProfile: icc,
  })]))

  // ISO 32000-1 §14.4: two identifiers, equal in a file that was never updated.
  const id = createHash('md5').update(info.idSeed).update(info.date.toISOString()).digest('hex').toUpperCase()
  context.trailerInfo.ID = context.obj([PDFHexString.of(id), PDFHexString.of(id)])
}

/** An XMP date, as pdf-lib writes the Info dates: UTC, to the second. */
export const xmpDate = (date: Date) => `${date.toISOString().slice(0, 19)}Z`

/** Text for XML content: the five markup characters escaped (kit/safe-xml.ts has the same, but loads libxmljs2). */
const xml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function xmpPacket(info: PdfaInfo): string {
  const lang = 'x-default'
  const extensionSchemas = info.extensions.map((e) => `
        <rdf:li rdf:parseType="Resource">
          <pdfaSchema:schema>${xml(e.schema)}</pdfaSchema:schema>
          <pdfaSchema:namespaceURI>${xml(e.namespace)}</pdfaSchema:namespaceURI>
          <pdfaSchema:prefix>${xml(e.prefix)}</pdfaSchema:prefix>
          <pdfaSchema:property>
            <rdf:Seq>${e.properties.map((p) => `
              <rdf:li rdf:parseType="Resource">
                <pdfaProperty:name>${xml(p.name)}</pdfaProperty:name>
                <pdfaProperty:valueType>Text</pdfaProperty:valueType>
                <pdfaProperty:category>external</pdfaProperty:category>
                <pdfaProperty:description>${xml(p.description)}</pdfaProperty:description>
              </rdf:li>`).join('')}
            </rdf:Seq>
          </pdfaSchema:property>
        </rdf:li>`).join('')
  const extensionValues = info.extensions.map((e) => `
    <rdf:Description rdf:about="" xmlns:${e.prefix}="${xml(e.namespace)}">${e.properties.map((p) => `
      <${e.prefix}:${p.name}>${xml(p.value)}</${e.prefix}:${p.name}>`).join('')}
    </rdf:Description>`).join('')
  // The packet header and trailer of XMP part 1 §7.3; no "bytes" or "encoding" attribute (ISO 19005-3 §6.6.2.1).
  return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
      <pdfaid:part>3</pdfaid:part>
      <pdfaid:conformance>B</pdfaid:conformance>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <dc:format>application/pdf</dc:format>
      <dc:title><rdf:Alt><rdf:li xml:lang="${lang}">${xml(info.title)}</rdf:li></rdf:Alt></dc:title>
      <dc:creator><rdf:Seq><rdf:li>${xml(info.author)}</rdf:li></rdf:Seq></dc:creator>
      <dc:description><rdf:Alt><rdf:li xml:lang="${lang}">${xml(info.subject)}</rdf:li></rdf:Alt></dc:description>
      <dc:language><rdf:Bag><rdf:li>${xml(info.lang)}</rdf:li></rdf:Bag></dc:language>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
      <xmp:CreatorTool>${xml(info.creator)}</xmp:CreatorTool>
      <xmp:CreateDate>${xmpDate(info.date)}</xmp:CreateDate>
      <xmp:ModifyDate>${xmpDate(info.date)}</xmp:ModifyDate>
      <xmp:MetadataDate>${xmpDate(info.date)}</xmp:MetadataDate>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
      <pdf:Producer>${xml(info.producer)}</pdf:Producer>
    </rdf:Description>${info.extensions.length === 0 ? '' : `
    <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
      <pdfaExtension:schemas>
        <rdf:Bag>${extensionSchemas}
        </rdf:Bag>
      </pdfaExtension:schemas>
    </rdf:Description>`}${extensionValues}
  </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`
}
