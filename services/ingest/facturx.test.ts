// Factur-X reading on PDFs built by test/facturx-pdf.ts around our CII fixture: a proper one gives the XML byte
// for byte, each fault its own finding, and hostile PDFs (a decompression bomb, deep nesting, one that takes
// forever, one that fills the heap) are refused with FACTURX-TOO-COMPLEX without the process paying for them.
import { beforeAll, describe, expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { XmlDocument } from 'libxml2-wasm'
import { buildFacturX, type FacturXPdfOptions } from '../../test/facturx-pdf.js'
import { defaultPdfLimits, facturXProfiles, profileFindings, readFacturX, type FacturXFacts, type FacturXRead, type PdfLimits } from './facturx.js'
import { extractFacturX } from './facturx-worker.js'

const xml = readFileSync(fileURLToPath(new URL('../../test/fixtures/cii-invoice.xml', import.meta.url)))
const limits = defaultPdfLimits
const ruleIds = (read: FacturXRead) => read.findings.map((f) => f.ruleId)
const read = async (options: FacturXPdfOptions = {}, l: PdfLimits = limits) => readFacturX(await buildFacturX(xml, options), l)

/** Time taken and growth of the process's peak RSS (getrusage ru_maxrss, in KB): an allocation never escapes it. */
async function measured<T>(run: () => Promise<T>) {
  const peak = process.resourceUsage().maxRSS
  const started = performance.now()
  const out = await run()
  return { out, ms: performance.now() - started, peakMb: (process.resourceUsage().maxRSS - peak) / 1024 }
}
const billionLaughs = `<!DOCTYPE x:xmpmeta [<!ENTITY a0 "lol">${Array.from({ length: 12 }, (_, i) => `<!ENTITY a${i + 1} "${`&a${i};`.repeat(10)}">`).join('')}]>`

/** BT-24 of a CII invoice, as the ingest service reads it after the extraction. */
function guidelineId(bytes: Buffer): string {
  const doc = XmlDocument.fromBuffer(bytes)
  try {
    return doc.eval('string(/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID)', {
      rsm: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
      ram: 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
    }) as string
  } finally {
    doc.dispose()
  }
}

describe('a proper Factur-X', () => {
  test('gives the embedded invoice byte for byte and what the PDF declares about it', async () => {
    const out = await read()
    expect(out).toEqual({
      ok: true,
      findings: [],
      facts: {
        xml, fileName: 'factur-x.xml', relationship: 'Data', inAF: true, pdfVersion: '1.7',
        xmp: { conformanceLevel: 'EN 16931', documentType: 'INVOICE', documentFileName: 'factur-x.xml', version: '1.0', pdfaPart: '3', pdfaConformance: 'B' },
      } satisfies FacturXFacts,
    })
    expect(out.ok && out.facts.xml.equals(xml)).toBe(true)
  })

  test.each<[string, FacturXPdfOptions]>([
    ['classic cross-reference table, no object streams', { objectStreams: false }],
    ['ZUGFeRD 2.x file name zugferd-invoice.xml', { fileName: 'zugferd-invoice.xml' }],
    ['ZUGFeRD 2.0 file name ZUGFeRD-invoice.xml and its XMP namespace', { fileName: 'ZUGFeRD-invoice.xml', xmp: { namespace: 'urn:zugferd:pdfa:CrossIndustryDocument:invoice:2p0#' } }],
    ['XRechnung file name xrechnung.xml', { fileName: 'xrechnung.xml' }],
    ['XMP values written as attributes', { xmp: { asAttributes: true } }],
    ['AFRelationship Alternative', { relationship: 'Alternative' }],
    ['a name tree with intermediate /Kids nodes', { nameTreeDepth: 3 }],
  ])('is read the same way with %s', async (_, options) => {
    const out = await read(options)
    expect(ruleIds(out)).toEqual([])
    expect(out.ok && [out.facts.fileName, out.facts.xml.equals(xml), out.facts.xmp?.conformanceLevel]).toEqual([options.fileName ?? 'factur-x.xml', true, 'EN 16931'])
  })
})

describe('faults of the envelope', () => {
  test.each<[string, FacturXPdfOptions, boolean, string[]]>([
    ['an embedded file with another name', { fileName: 'invoice.xml' }, false, ['FACTURX-NO-INVOICE']],
    ['no embedded file', { embedded: false }, false, ['FACTURX-NO-INVOICE']],
    ['an /Encrypt entry in the trailer', { encrypted: true }, false, ['FACTURX-ENCRYPTED']],
    ['no XMP metadata', { xmp: false }, false, ['FACTURX-NOT-PDFA3', 'FACTURX-XMP-MISSING']],
    // pdf-lib refuses object streams in what its XMP calls PDF/A-1, as PDF/A-1 does.
    ['XMP declaring PDF/A-1', { xmp: { part: '1' }, objectStreams: false }, false, ['FACTURX-NOT-PDFA3']],
    ['XMP without pdfaid:part', { xmp: { part: null } }, false, ['FACTURX-NOT-PDFA3']],
    ['XMP without the Factur-X values', { xmp: { facturX: false } }, false, ['FACTURX-XMP-MISSING']],
    ['XMP with a DOCTYPE declaring nested entities', { xmp: { doctype: billionLaughs } }, false, ['FACTURX-NOT-PDFA3', 'FACTURX-XMP-MISSING']],
    ['XMP with a harmless DOCTYPE', { xmp: { doctype: '<!DOCTYPE x:xmpmeta>' } }, false, ['FACTURX-NOT-PDFA3', 'FACTURX-XMP-MISSING']],
    ['no /AFRelationship', { relationship: null }, true, ['FACTURX-AFRELATIONSHIP']],
    ['/AFRelationship /Supplement', { relationship: 'Supplement' }, true, ['FACTURX-AFRELATIONSHIP']],
    ['the file specification missing from /AF', { inAF: false }, true, ['FACTURX-AF-MISSING']],
    ['fx:DocumentFileName naming another file', { xmp: { documentFileName: 'invoice.xml' } }, true, ['FACTURX-FILENAME']],
  ])('%s: ok %s, %j', async (_, options, ok, expected) => {
    const out = await read(options)
    expect(ruleIds(out)).toEqual(expected)
    expect(out.ok).toBe(ok)
    expect(out.findings.every((f) => f.pack === null && f.line === null && f.location === '/')).toBe(true)
  })

  test('the findings say what was found and what to do', async () => {
    const [noInvoice] = (await read({ fileName: 'invoice.xml' })).findings
    expect(noInvoice?.message).toContain('"invoice.xml"')
    expect(noInvoice?.message).toContain('factur-x.xml, zugferd-invoice.xml, ZUGFeRD-invoice.xml, xrechnung.xml')
    expect(noInvoice?.message).toContain('Export the invoice again')
    const [filename] = (await read({ xmp: { documentFileName: 'invoice.xml' } })).findings
    expect(filename).toMatchObject({ severity: 'warning', message: expect.stringContaining('"invoice.xml" (fx:DocumentFileName) but the embedded file is factur-x.xml') })
    const [pdfa] = (await read({ xmp: { part: '1' }, objectStreams: false })).findings
    expect(pdfa).toMatchObject({ severity: 'fatal', message: expect.stringContaining('pdfaid:part is 1') })
  })
})

describe('what is not a readable PDF', () => {
  test.each<[string, Buffer, string]>([
    ['an XML invoice', xml, 'FACTURX-NOT-PDF'],
    ['an empty file', Buffer.alloc(0), 'FACTURX-NOT-PDF'],
    ['text that only mentions PDF', Buffer.from('this is not a %PDF file'), 'FACTURX-NOT-PDF'],
  ])('%s is refused with %s', (_, bytes, ruleId) => {
    expect(readFacturX(bytes, limits)).toMatchObject({ ok: false, findings: [{ ruleId, severity: 'fatal' }] })
  })

  test.each<[string, FacturXPdfOptions]>([
    ['truncated', { truncated: true }],
    ['truncated, without object streams', { truncated: true, objectStreams: false }],
    ['garbled', { garbled: true }],
  ])('a %s PDF is FACTURX-MALFORMED', async (_, options) => {
    expect(ruleIds(await read(options))).toEqual(['FACTURX-MALFORMED'])
  })
})

describe('limits', () => {
  test.each<[string, FacturXPdfOptions, Partial<PdfLimits>, string]>([
    ['a PDF larger than maxBytes', {}, { maxBytes: 1000 }, 'bytes, more than the 1000 allowed'],
    ['more objects than maxObjects', {}, { maxObjects: 5 }, 'more than 5 objects'],
    ['an object stream larger than maxStreamBytes', {}, { maxStreamBytes: 200 }, 'an object stream decodes to more than the 200 bytes allowed'],
    ['an invoice larger than maxXmlBytes', {}, { maxXmlBytes: 1000 }, 'the embedded factur-x.xml decodes to more than the 1000 bytes allowed'],
    ['arrays nested deeper than maxDepth', { nestingDepth: 100 }, {}, 'nested deeper than 64 levels'],
    ['a name tree deeper than maxDepth', { nameTreeDepth: 100 }, {}, 'name tree is nested deeper than 64 levels'],
  ])('%s is FACTURX-TOO-COMPLEX, saying which limit', async (_, options, over, detail) => {
    const out = await read(options, { ...limits, ...over })
    expect(out).toMatchObject({ ok: false, findings: [{ ruleId: 'FACTURX-TOO-COMPLEX', severity: 'fatal', message: expect.stringContaining(detail) }] })
  })
})

describe('profileFindings: the XMP profile against the XML (BT-24)', () => {
  const facts = async (conformanceLevel: string) => {
    const out = await read({ xmp: { conformanceLevel } })
    if (!out.ok) throw new Error(`not read: ${ruleIds(out).join(', ')}`)
    return out.facts
  }

  test('XMP BASIC on an EN 16931 invoice is FACTURX-PROFILE-MISMATCH', async () => {
    const f = await facts('BASIC')
    expect(guidelineId(f.xml)).toBe('urn:cen.eu:en16931:2017')
    expect(profileFindings(f, guidelineId(f.xml))).toMatchObject([{
      ruleId: 'FACTURX-PROFILE-MISMATCH', severity: 'warning',
      message: expect.stringContaining('declares the Factur-X profile BASIC (fx:ConformanceLevel) but the invoice is EN 16931 (BT-24 urn:cen.eu:en16931:2017)'),
    }])
  })

  test.each(facturXProfiles.flatMap((p) => p.conformanceLevels.map((level) => [level, p.guidelineId] as const)))('XMP %s with BT-24 %s agree', async (level, id) => {
    expect(profileFindings(await facts(level), id)).toEqual([])
  })

  test('levels compare without case or spaces', async () => {
    expect(profileFindings(await facts('en16931'), 'urn:cen.eu:en16931:2017')).toEqual([])
    expect(profileFindings(await facts('Basic wl'), 'urn:factur-x.eu:1p0:basicwl')).toEqual([])
  })

  test('a BT-24 that is no Factur-X profile is FACTURX-PROFILE-UNKNOWN; nothing to compare is no finding', async () => {
    const f = await facts('EN 16931')
    expect(profileFindings(f, 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0').map((x) => x.ruleId)).toEqual(['FACTURX-PROFILE-UNKNOWN'])
    expect(profileFindings(f, null)).toEqual([])
    expect(profileFindings({ ...f, xmp: null }, 'urn:cen.eu:en16931:2017')).toEqual([])
  })
})

describe('extractFacturX: on a thread of its own, with a time and a heap limit', () => {
  const reader = { timeoutMs: 10_000, maxHeapMb: 128 }
  let bomb: Buffer
  beforeAll(async () => { bomb = await buildFacturX(xml, { bombBytes: 200 << 20 }) })

  test('gives what readFacturX gives, the invoice a Buffer byte for byte', async () => {
    const pdf = await buildFacturX(xml)
    const out = await extractFacturX(pdf, limits, reader)
    expect(out).toEqual(readFacturX(pdf, limits))
    expect(out.ok && Buffer.isBuffer(out.facts.xml) && out.facts.xml.equals(xml)).toBe(true)
  })

  test('a 200 MB decompression bomb as the invoice is cut at the limit: FACTURX-TOO-COMPLEX, fast, and the process does not grow', async () => {
    expect(bomb.length).toBeLessThan(300_000)
    // On this thread, to measure the decoder itself: it stops at maxXmlBytes (10 MB) instead of inflating 200 MB.
    const direct = await measured(async () => readFacturX(bomb, limits))
    expect(ruleIds(direct.out)).toEqual(['FACTURX-TOO-COMPLEX'])
    expect(direct.ms).toBeLessThan(2_000)
    expect(direct.peakMb).toBeLessThan(64)
    // Through a thread; a warm-up with an ordinary PDF first, so that the thread's own cost is in the baseline.
    await extractFacturX(await buildFacturX(xml), limits, reader)
    const threaded = await measured(() => extractFacturX(bomb, limits, reader))
    expect(threaded.out).toMatchObject({ ok: false, findings: [{ ruleId: 'FACTURX-TOO-COMPLEX', message: expect.stringContaining('decodes to more than the 10485760 bytes allowed') }] })
    expect(threaded.ms).toBeLessThan(reader.timeoutMs)
    expect(threaded.peakMb).toBeLessThan(100)
    console.info(`200 MB bomb: read on this thread in ${direct.ms.toFixed(0)} ms (peak RSS +${direct.peakMb.toFixed(1)} MB), through a thread in ${threaded.ms.toFixed(0)} ms (peak RSS +${threaded.peakMb.toFixed(1)} MB)`)
  })

  test('a PDF that would take minutes to scan is stopped at the time limit, the thread terminated', async () => {
    const slow = await buildFacturX(xml, { unterminatedStreams: 20_000 })
    const started = performance.now()
    const out = await extractFacturX(slow, limits, { ...reader, timeoutMs: 1_500 })
    expect(out).toMatchObject({ ok: false, findings: [{ ruleId: 'FACTURX-TOO-COMPLEX', message: expect.stringContaining('took longer than the 1500 ms allowed') }] })
    expect(performance.now() - started).toBeLessThan(1_500 + 10_000)
  })

  test('a PDF whose objects fill the heap kills only its thread: FACTURX-TOO-COMPLEX', async () => {
    const many = await buildFacturX(xml, { extraObjects: 400_000 })
    const out = await extractFacturX(many, { ...limits, maxObjects: 10_000_000 }, { ...reader, maxHeapMb: 48 })
    expect(out).toMatchObject({ ok: false, findings: [{ ruleId: 'FACTURX-TOO-COMPLEX', message: expect.stringContaining('more than the 48 MB of memory allowed') }] })
  })

  test('a PDF over maxBytes is refused without starting a thread', async () => {
    const started = performance.now()
    expect(ruleIds(await extractFacturX(bomb, { ...limits, maxBytes: 1000 }, reader))).toEqual(['FACTURX-TOO-COMPLEX'])
    expect(performance.now() - started).toBeLessThan(200)
  })
})
