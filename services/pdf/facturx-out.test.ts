// The Factur-X written from the CII fixture, read back two ways: by the hub's own extractor (the ingest service's
// readFacturX, as an inbound Factur-X is read), which must find the CII byte for byte and nothing to complain
// about, for every Factur-X profile; and object by object with pdf-lib, for what PDF/A-3 and Factur-X 1.07 ask
// of the file (identifiers, output intent, XMP, embedded file). veraPDF's verdict is facturx-out.verapdf.test.ts.
import { describe, expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFRawStream, PDFString, type PDFObject,
} from '@cantoo/pdf-lib'
import { XmlDocument } from 'libxml2-wasm'
import { defaultPdfLimits, facturXProfiles, profileFindings, readFacturX } from '../ingest/facturx.js'
import { facturXFromCii, facturXLevels, facturXNamespace, type FacturXOut } from './facturx-out.js'
import { srgbIccProfile } from './icc-srgb.js'

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url)))
const cii = fixture('cii-invoice.xml')
const now = new Date('2026-11-29T10:00:00Z')
const withGuideline = (id: string) => Buffer.from(cii.toString('utf8').replace('<ram:ID>urn:cen.eu:en16931:2017</ram:ID>', `<ram:ID>${id}</ram:ID>`))
const made = (out: FacturXOut) => {
  if (!out.ok) throw new Error(out.reason)
  return out
}

describe('facturXFromCii', () => {
  test('the hub’s Factur-X reader finds the CII byte for byte, declared EN 16931, /Alternative, in /AF, and no finding', async () => {
    const { pdf } = made(await facturXFromCii(cii, { now }))
    const read = readFacturX(Buffer.from(pdf), defaultPdfLimits)
    expect(read.findings).toEqual([])
    if (!read.ok) throw new Error('not read')
    expect(read.facts.xml.equals(cii)).toBe(true)
    expect(read.facts).toMatchObject({
      fileName: 'factur-x.xml', relationship: 'Alternative', inAF: true, pdfVersion: '1.7',
      xmp: { conformanceLevel: 'EN 16931', documentType: 'INVOICE', documentFileName: 'factur-x.xml', version: '1.0', pdfaPart: '3', pdfaConformance: 'B' },
    })
    expect(profileFindings(read.facts, 'urn:cen.eu:en16931:2017')).toEqual([])
  })

  test.each(facturXProfiles.map((p) => [p.profile, p] as const))('profile %s: declared with a level the reader accepts for its BT-24, and the relationship its profile asks for', async (name, profile) => {
    const xml = withGuideline(profile.guidelineId)
    const out = made(await facturXFromCii(xml, { now }))
    expect(profile.conformanceLevels as readonly string[]).toContain(out.level)
    // MINIMUM and BASIC WL are not whole invoices: the XML is data of the PDF; from BASIC on, an equivalent.
    expect(out.relationship).toBe(name === 'MINIMUM' || name === 'BASIC WL' ? 'Data' : 'Alternative')
    const read = readFacturX(Buffer.from(out.pdf), defaultPdfLimits)
    expect(read.findings).toEqual([])
    if (!read.ok) throw new Error('not read')
    expect(read.facts.xml.equals(xml)).toBe(true)
    expect(profileFindings(read.facts, profile.guidelineId)).toEqual([])
  })

  test('writes a level for exactly the profiles the hub’s reader knows', () => {
    expect(facturXLevels.map((l) => l.guidelineId).sort()).toEqual(facturXProfiles.map((p) => p.guidelineId).sort())
  })

  test('embeds the CII unchanged, whatever its bytes: a byte order mark, CRLF line ends, ISO-8859-1', async () => {
    const latin1 = Buffer.from(cii.toString('utf8').replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'), 'latin1')
    for (const xml of [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), cii]), Buffer.from(cii.toString('utf8').replace(/\n/g, '\r\n')), latin1]) {
      const read = readFacturX(Buffer.from(made(await facturXFromCii(xml, { now })).pdf), defaultPdfLimits)
      expect(read.ok && read.facts.xml.equals(xml)).toBe(true)
    }
  })

  test.each([
    ['a UBL invoice', fixture('ubl-invoice.xml'), /embeds a UN\/CEFACT CII invoice, and this is a UBL Invoice/],
    ['a CII whose BT-24 is no Factur-X profile', withGuideline('urn:example:not-a-profile'), /"urn:example:not-a-profile" is not a Factur-X profile \(MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED, XRECHNUNG\)/],
    ['a document with a DOCTYPE', Buffer.from(`<!DOCTYPE x [<!ENTITY a "b">]>${cii.toString('utf8').replace(/^<\?xml[^>]*\?>/, '')}`), /DOCTYPE/],
  ])('refuses %s, saying why', async (_, xml, reason) => {
    const out = await facturXFromCii(xml, { now })
    expect(out.ok).toBe(false)
    if (!out.ok) expect(out.reason).toMatch(reason)
  })

  test('is the same bytes for the same invoice at the same time', async () => {
    const [a, b] = [made(await facturXFromCii(cii, { now })).pdf, made(await facturXFromCii(cii, { now })).pdf]
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
  })
})

describe('the Factur-X file, object by object', async () => {
  const { pdf } = made(await facturXFromCii(cii, { now, lang: 'en' }))
  const doc = await PDFDocument.load(pdf, { updateMetadata: false })
  const { context, catalog } = doc
  const get = <T extends PDFObject>(dict: PDFDict, key: string, type: { prototype: T }): T => {
    const value = context.lookup(dict.get(PDFName.of(key)))
    expect(value, key).toBeInstanceOf(type as unknown as abstract new () => T)
    return value as T
  }
  const text = (o: PDFObject | undefined) => (o instanceof PDFString || o instanceof PDFHexString ? o.decodeText() : undefined)

  test('has two equal file identifiers in its trailer (ISO 19005-3 §6.1.3)', () => {
    const id = context.trailerInfo.ID
    expect(id).toBeInstanceOf(PDFArray)
    const [first, second] = (id as PDFArray).asArray().map((o) => (o as PDFHexString).asString())
    expect(first).toMatch(/^[0-9A-F]{32}$/)
    expect(second).toBe(first)
  })

  test('has an sRGB output intent whose profile is the computed one, 3 components (§6.2.4.3)', () => {
    const intent = get(catalog, 'OutputIntents', PDFArray).lookup(0, PDFDict)
    expect(intent.get(PDFName.of('S'))).toBe(PDFName.of('GTS_PDFA1'))
    expect(text(intent.get(PDFName.of('OutputConditionIdentifier')))).toBe('sRGB IEC61966-2.1')
    const profile = get(intent, 'DestOutputProfile', PDFRawStream)
    expect(profile.dict.get(PDFName.of('N'))).toEqual(PDFNumber.of(3))
    expect(Buffer.from(decodePDFRawStream(profile).decode()).equals(srgbIccProfile())).toBe(true)
  })

  test('embeds factur-x.xml as text/xml with its size and date, in /AF and the /EmbeddedFiles name tree', () => {
    const spec = get(catalog, 'AF', PDFArray).lookup(0, PDFDict)
    expect(text(spec.get(PDFName.of('F')))).toBe('factur-x.xml')
    expect(text(spec.get(PDFName.of('UF')))).toBe('factur-x.xml')
    expect(text(spec.get(PDFName.of('Desc')))).toBe('Factur-X invoice (UN/CEFACT CII)')
    expect(spec.get(PDFName.of('AFRelationship'))).toBe(PDFName.of('Alternative'))
    const file = get(get(spec, 'EF', PDFDict), 'F', PDFRawStream)
    expect(file.dict.get(PDFName.of('Type'))).toBe(PDFName.of('EmbeddedFile'))
    expect(file.dict.get(PDFName.of('Subtype'))?.toString()).toBe('/text#2Fxml')
    const params = get(file.dict, 'Params', PDFDict)
    expect(params.get(PDFName.of('Size'))).toEqual(PDFNumber.of(cii.length))
    expect(text(params.get(PDFName.of('ModDate')))).toBe('D:20261129100000Z')
    const names = get(get(get(catalog, 'Names', PDFDict), 'EmbeddedFiles', PDFDict), 'Names', PDFArray)
    expect(text(names.get(0))).toBe('factur-x.xml')
    expect(names.lookup(1)).toBe(spec)
  })

  test('has XMP metadata declaring PDF/A-3B and the Factur-X values, with the extension schema, saying what the Info dictionary says (§6.6)', () => {
    const stream = get(catalog, 'Metadata', PDFRawStream)
    expect(stream.dict.get(PDFName.of('Filter'))).toBeUndefined()
    const xmp = XmlDocument.fromBuffer(stream.contents)
    const ns = {
      rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#', pdfaid: 'http://www.aiim.org/pdfa/ns/id/', fx: facturXNamespace,
      dc: 'http://purl.org/dc/elements/1.1/', xmp: 'http://ns.adobe.com/xap/1.0/', pdf: 'http://ns.adobe.com/pdf/1.3/',
      pdfaSchema: 'http://www.aiim.org/pdfa/ns/schema#', pdfaProperty: 'http://www.aiim.org/pdfa/ns/property#',
    }
    const value = (path: string) => xmp.eval(`string(${path})`, ns)
    try {
      expect([value('//pdfaid:part'), value('//pdfaid:conformance')]).toEqual(['3', 'B'])
      expect(['DocumentType', 'DocumentFileName', 'Version', 'ConformanceLevel'].map((p) => value(`//fx:${p}`))).toEqual(['INVOICE', 'factur-x.xml', '1.0', 'EN 16931'])
      expect(value(`//pdfaSchema:namespaceURI`)).toBe(facturXNamespace)
      expect(value('//pdfaSchema:prefix')).toBe('fx')
      expect(xmp.find('//pdfaProperty:name', ns).map((n) => n.content).sort()).toEqual(['ConformanceLevel', 'DocumentFileName', 'DocumentType', 'Version'])
      expect(value('//dc:title/rdf:Alt/rdf:li')).toBe(doc.getTitle())
      expect(doc.getTitle()).toBe('Invoice FCT-CII-2026-0007')
      expect(value('//dc:creator/rdf:Seq/rdf:li')).toBe(doc.getAuthor())
      expect(value('//dc:description/rdf:Alt/rdf:li')).toBe(doc.getSubject())
      expect(value('//xmp:CreatorTool')).toBe(doc.getCreator())
      expect(value('//pdf:Producer')).toBe(doc.getProducer())
      expect([value('//xmp:CreateDate'), value('//xmp:ModifyDate')]).toEqual(['2026-11-29T10:00:00Z', '2026-11-29T10:00:00Z'])
      expect([doc.getCreationDate()?.toISOString(), doc.getModificationDate()?.toISOString()]).toEqual(['2026-11-29T10:00:00.000Z', '2026-11-29T10:00:00.000Z'])
    } finally {
      xmp.dispose()
    }
  })

  test('draws the invoice on its page', () => {
    expect(doc.getPageCount()).toBe(1)
  })
})
