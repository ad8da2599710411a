// Factur-X deposits on the real services (issue 13): a PDF carrying our own CII fixture goes through the pipeline
// validated on its embedded invoice and is delivered as it came, byte for byte; each PDF-level fault, a hostile PDF
// and a broken total inside a good PDF end REJETEE with the findings that say why.
import { describe, expect, test } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { api, dropFolder, fixture, hub, postDocument, randomSiret, registerParticipant, waitForStatus, withBuyerAddress, withInvoiceNumber } from './helpers.js'
import { defaultPdfLimits, readFacturX } from '../services/ingest/facturx.js'
import { PDFDocument } from '@cantoo/pdf-lib'

/** A PDF's title and page count, as a reader shows them. */
const pdfFacts = async (pdf: Buffer) => { const doc = await PDFDocument.load(pdf, { updateMetadata: false }); return { title: doc.getTitle(), pages: doc.getPageCount() } }
import { buildFacturX, type FacturXPdfOptions } from './facturx-pdf.js'

const FIXTURE_BUYER = '21690123100011'
const finalStatuses = ['MISE_A_DISPOSITION', 'REJETEE', 'A_RECYCLER', 'EN_ERREUR', 'ECHEC_DISTRIBUTION']

/** Our CII fixture for a fresh buyer with a drop folder, wrapped in a Factur-X PDF. */
async function facturX(options: FacturXPdfOptions = {}, edit: (xml: string) => string = (x) => x) {
  const siret = randomSiret()
  const xml = Buffer.from(edit(withBuyerAddress(await fixture('cii-invoice.xml'), FIXTURE_BUYER, siret).toString('utf8')))
  const inbox = await dropFolder()
  expect((await registerParticipant(`0009:${siret}`, inbox.endpoint)).status).toBe(201)
  return { xml, pdf: await buildFacturX(xml, options), inbox }
}

const deposit = async (pdf: Buffer) => {
  const posted = await postDocument(pdf, { contentType: 'application/pdf' })
  expect(posted.status).toBe(202)
  return waitForStatus(posted.json.id, finalStatuses)
}
const ruleIds = (doc: { findings: { ruleId: string; severity: string }[] }) => doc.findings.filter((f) => f.severity === 'fatal').map((f) => f.ruleId)

describe('Factur-X deposits', () => {
  test('a Factur-X (PDF/A-3, CII EN 16931 embedded) is validated on its invoice and delivered as it came, byte for byte', async () => {
    const { pdf, inbox } = await facturX()
    const posted = await postDocument(pdf, { contentType: 'application/pdf' })
    expect(posted.status).toBe(202)
    const doc = await waitForStatus(posted.json.id, finalStatuses)
    expect({ status: doc.status, findings: doc.findings }).toEqual({ status: 'MISE_A_DISPOSITION', findings: [] })
    expect(doc).toMatchObject({ syntax: 'cii', contentType: 'application/pdf', container: { format: 'factur-x', fileName: 'factur-x.xml', relationship: 'Data', conformanceLevel: 'EN 16931', profile: 'EN 16931', pdfa: '3B', findings: [] } })
    expect(await readFile(join(inbox.dir, `${posted.json.id}.pdf`))).toEqual(pdf)
    const content = await fetch(`${hub().url}/v1/documents/${posted.json.id}/content`, { headers: { authorization: `Bearer ${hub().demoKey}` } })
    expect(content.headers.get('content-type')).toBe('application/pdf')
    expect(Buffer.from(await content.arrayBuffer())).toEqual(pdf)
  })

  test('a ZUGFeRD-named invoice, without /AFRelationship: delivered, the PDF\'s warning kept with the document', async () => {
    const { pdf } = await facturX({ fileName: 'zugferd-invoice.xml', relationship: null })
    const doc = await deposit(pdf)
    expect(doc.status).toBe('MISE_A_DISPOSITION')
    expect(doc.container).toMatchObject({ fileName: 'zugferd-invoice.xml', relationship: null, findings: [expect.objectContaining({ ruleId: 'FACTURX-AFRELATIONSHIP', severity: 'warning' })] })
  })

  test.each([
    ['no embedded invoice', 'FACTURX-NO-INVOICE', { embedded: false }],
    ['an encrypted PDF', 'FACTURX-ENCRYPTED', { encrypted: true }],
    ['no PDF/A-3 metadata', 'FACTURX-NOT-PDFA3', { xmp: false }],
    ['PDF/A-1 metadata', 'FACTURX-NOT-PDFA3', { xmp: { part: '1' }, objectStreams: false }],
    ['the XMP declares BASIC, the invoice is EN 16931', 'FACTURX-PROFILE-MISMATCH', { xmp: { conformanceLevel: 'BASIC' } }],
    ['a truncated upload', 'FACTURX-MALFORMED', { truncated: true }],
    ['a decompression bomb (200 MB of zeros as the invoice)', 'FACTURX-TOO-COMPLEX', { bombBytes: 200 << 20 }],
    ['an array nested 1,000 deep', 'FACTURX-TOO-COMPLEX', { nestingDepth: 1_000 }],
  ] as [string, string, FacturXPdfOptions][])('%s: REJETEE with %s, nothing delivered', async (_name, ruleId, options) => {
    const { pdf, inbox } = await facturX(options)
    const doc = await deposit(pdf)
    expect(doc.status).toBe('REJETEE')
    expect(ruleIds(doc)).toContain(ruleId)
    expect(doc.findings.find((f: { ruleId: string }) => f.ruleId === ruleId).message.length).toBeGreaterThan(40)
    expect(await readFile(join(inbox.dir, `${doc.id}.pdf`)).catch(() => null)).toBeNull()
  })

  test('a broken total inside a good PDF/A-3: REJETEE with the EN 16931 rule, as the same CII sent as XML would be', async () => {
    // BT-112 no longer BT-109 + BT-110.
    const { pdf } = await facturX({}, (xml) => xml.replace(/<ram:GrandTotalAmount>[^<]*<\/ram:GrandTotalAmount>/, '<ram:GrandTotalAmount>1.00</ram:GrandTotalAmount>'))
    const doc = await deposit(pdf)
    expect(doc.status).toBe('REJETEE')
    expect(ruleIds(doc)).toContain('BR-CO-15')
  })

  test('a Factur-X MINIMUM is refused: no invoice lines, not an invoice under EN 16931', async () => {
    const { pdf } = await facturX({ xmp: { conformanceLevel: 'MINIMUM' } }, (xml) => xml.replace('<ram:ID>urn:cen.eu:en16931:2017</ram:ID>', '<ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID>'))
    const doc = await deposit(pdf)
    expect(doc.status).toBe('REJETEE')
    expect(ruleIds(doc)).toEqual(['FACTURX-PROFILE-NOT-INVOICE'])
    expect(doc.findings[0].message).toMatch(/BASIC, EN 16931 or EXTENDED/)
  })

  test('a PDF holding a UBL invoice is refused: Factur-X carries CII', async () => {
    const siret = randomSiret()
    const ubl = withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret)
    const doc = await deposit(await buildFacturX(ubl))
    expect(doc.status).toBe('REJETEE')
    expect(ruleIds(doc)).toContain('FACTURX-NOT-CII')
  })
  test('a recipient that asks for Factur-X gets a CII invoice as a Factur-X PDF/A-3 carrying the deposited CII byte for byte; a UBL invoice as deposited', async () => {
    const inbox = await dropFolder()
    const siret = randomSiret()
    expect((await api('PUT', `/v1/directory/participants/0009:${siret}`, { key: hub().adminKey, body: { name: 'Wants Factur-X', endpoint: inbox.endpoint, format: 'factur-x' } })).json)
      .toMatchObject({ format: 'factur-x' })
    expect((await api('GET', `/v1/directory/participants/0009:${siret}`, { key: hub().adminKey })).json).toMatchObject({ format: 'factur-x' })
    const cii = withInvoiceNumber(withBuyerAddress(await fixture('cii-invoice.xml'), FIXTURE_BUYER, siret))
    const posted = await postDocument(cii)
    expect((await waitForStatus(posted.json.id, finalStatuses)).status).toBe('MISE_A_DISPOSITION')
    const pdf = await readFile(join(inbox.dir, `${posted.json.id}.pdf`))
    const read = readFacturX(pdf, defaultPdfLimits)
    expect(read.ok && { xml: read.facts.xml, fatal: read.findings.filter((f) => f.severity === 'fatal') }).toEqual({ xml: cii, fatal: [] })

    const ubl = withInvoiceNumber(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
    const asIs = await postDocument(ubl)
    expect((await waitForStatus(asIs.json.id, finalStatuses)).status).toBe('MISE_A_DISPOSITION')
    expect(await readFile(join(inbox.dir, `${asIs.json.id}.xml`))).toEqual(ubl)
  })
  test('any invoice as a readable PDF (GET /v1/documents/{id}/pdf), French or English, for its sender and its recipient only', async () => {
    const inbox = await dropFolder()
    const siret = randomSiret()
    expect((await registerParticipant(`0009:${siret}`, inbox.endpoint)).status).toBe(201)
    const ubl = withInvoiceNumber(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
    const number = /<cbc:ID>([^<]+)<\/cbc:ID>/.exec(ubl.toString('utf8'))![1]!
    const posted = await postDocument(ubl)
    expect((await waitForStatus(posted.json.id, finalStatuses)).status).toBe('MISE_A_DISPOSITION')
    const get = (lang: string, key = hub().demoKey) => fetch(`${hub().url}/v1/documents/${posted.json.id}/pdf?lang=${lang}`, { headers: { authorization: `Bearer ${key}` } })
    const fr = await get('fr')
    expect({ status: fr.status, type: fr.headers.get('content-type') }).toEqual({ status: 200, type: 'application/pdf' })
    expect(await pdfFacts(Buffer.from(await fr.arrayBuffer()))).toEqual({ title: `Facture ${number}`, pages: 1 })
    expect(await pdfFacts(Buffer.from(await (await get('en')).arrayBuffer()))).toEqual({ title: `Invoice ${number}`, pages: 1 })
    expect((await get('de')).status).toBe(400)
    const stranger = await api('POST', '/v1/partners', { key: hub().adminKey, body: { name: `Stranger ${randomSiret()}`, addresses: [] } })
    expect((await get('fr', stranger.json.apiKey)).status).toBe(404)
  })
  test('a Factur-X EXTENDED-CTC-FR (the French reform\'s extended profile) gets its own official rules: valid, and a broken total refused by BR-FREXT-CO-15', async () => {
    const extended = (xml: string) => xml.replace('<ram:ID>urn:cen.eu:en16931:2017</ram:ID>', '<ram:ID>urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr</ram:ID>')
    const good = await facturX({ xmp: { conformanceLevel: 'EXTENDED' } }, extended)
    const doc = await deposit(good.pdf)
    expect({ status: doc.status, findings: doc.findings.filter((f: { severity: string }) => f.severity === 'fatal') }).toEqual({ status: 'MISE_A_DISPOSITION', findings: [] })
    expect(doc.container).toMatchObject({ profile: 'EXTENDED-CTC-FR', conformanceLevel: 'EXTENDED' })
    const broken = await facturX({ xmp: { conformanceLevel: 'EXTENDED' } }, (xml) => extended(xml).replace(/<ram:GrandTotalAmount>[^<]*<\/ram:GrandTotalAmount>/, '<ram:GrandTotalAmount>1.00</ram:GrandTotalAmount>'))
    const refused = await deposit(broken.pdf)
    expect(refused.status).toBe('REJETEE')
    expect(ruleIds(refused)).toContain('BR-FREXT-CO-15')
  })
})
