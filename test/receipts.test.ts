// Receipts as the supplier gets them: for each status of its invoice, a UBL 2.1 ApplicationResponse —
// a Peppol Message Level Response when the hub accepts, recycles or rejects it, an Invoice Response for each
// business status the buyer sets — readable through the API and delivered to the supplier's own endpoint.
import { beforeAll, describe, expect, test } from 'vitest'
import { readdir, readFile, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { XmlDocument, XsdValidator, XmlValidateError } from 'libxml2-wasm'
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs'
import { ensureArtefacts } from '../services/validation/artefacts.js'
import { api, dropFolder, fixture, hub, postDocument, randomSiret, registerParticipant, waitForStatus, withBuyerAddress, withInvoiceNumber, withSellerSiret } from './helpers.js'

const admin = () => ({ key: hub().adminKey })
type Receipt = { sequence: number; status: string; kind: string; responseCode: string; issuedAt: string; deliveredAt?: string; xml: string }

let applicationResponse: XsdValidator
beforeAll(async () => {
  // The official UBL 2.1 ApplicationResponse schema, from the schema cache the install prepared.
  const { schemas } = await ensureArtefacts()
  const dir = schemas[0]!.dir
  xmlRegisterFsInputProviders()
  const wrapper = join(await mkdtemp(join(tmpdir(), 'facteur-ar-')), 'ar.xsd')
  const imports = [
    ['http://www.w3.org/2000/09/xmldsig#', 'xsds/xmldsig-core-schema.xsd'], ['http://uri.etsi.org/01903/v1.3.2#', 'xsds/XAdES01903v132-201601.xsd'],
    ['http://uri.etsi.org/01903/v1.4.1#', 'xsds/XAdES01903v141-201601.xsd'], ['urn:un:unece:uncefact:data:specification:CoreComponentTypeSchemaModule:2', 'xsds/CCTS_CCT_SchemaModule.xsd'],
    ['urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2', 'ubl21/maindoc/UBL-ApplicationResponse-2.1.xsd'],
  ].map(([ns, loc]) => `<xsd:import namespace="${ns}" schemaLocation="${join(dir, loc!)}"/>`)
  await writeFile(wrapper, `<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:facteur:test">${imports.join('')}</xsd:schema>`)
  applicationResponse = XsdValidator.fromDoc(XmlDocument.fromBuffer(await readFile(wrapper), { url: wrapper }))
})

function schemaErrors(xml: string): string[] {
  const doc = XmlDocument.fromString(xml)
  try { applicationResponse.validate(doc); return [] } catch (e) { return e instanceof XmlValidateError ? e.details.map((d) => `${d.line}: ${d.message}`) : [String(e)] } finally { doc.dispose() }
}

/** A supplier partner sending from its own SIRET, with an endpoint in the directory (receipts go there). */
async function supplier() {
  const siret = randomSiret()
  const address = `0009:${siret}`
  const inbox = await dropFolder()
  expect((await registerParticipant(address, inbox.endpoint, 'Fournisseur')).status).toBeLessThan(300)
  const partner = await api('POST', '/v1/partners', { ...admin(), body: { name: `Fournisseur ${siret}`, addresses: [address] } })
  expect(partner.status).toBe(201)
  return { key: partner.json.apiKey as string, inbox: inbox.dir, own: (xml: Buffer) => withSellerSiret(xml, siret) }
}

async function receiptsOf(id: string, key: string, count: number): Promise<Receipt[]> {
  for (let i = 0; i < 80; i++) {
    const res = await api('GET', `/v1/documents/${id}/receipts`, { key })
    if (res.status === 200 && res.json.receipts.length >= count) return res.json.receipts
    await new Promise((r) => setTimeout(r, 150))
  }
  throw new Error(`fewer than ${count} receipts for ${id}`)
}

describe('receipts', () => {
  test('accepted, then approved by the buyer: an MLR AP and an Invoice Response AP, schema-valid, delivered to the supplier', async () => {
    const { key, inbox, own } = await supplier()
    const siret = randomSiret()
    await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body: { name: 'Commune', endpoint: null } })
    const buyer = await api('POST', '/v1/partners', { ...admin(), body: { name: `Commune ${siret}`, addresses: [`0009:${siret}`] } })
    const posted = await postDocument(own(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret)), { key })
    const id = posted.json.id as string
    expect((await waitForStatus(id, ['MISE_A_DISPOSITION', 'A_RECYCLER', 'REJETEE'], 60_000, key)).status).toBe('MISE_A_DISPOSITION')
    expect((await api('POST', `/v1/documents/${id}/status`, { key: buyer.json.apiKey, body: { status: 'APPROUVEE' } })).status).toBe(200)

    const receipts = await receiptsOf(id, key, 2)
    expect(receipts.map((r) => [r.sequence, r.status, r.kind, r.responseCode])).toEqual([[2, 'MISE_A_DISPOSITION', 'mlr', 'AP'], [3, 'APPROUVEE', 'invoice-response', 'AP']])
    for (const r of receipts) expect(schemaErrors(r.xml)).toEqual([])
    expect(receipts[1]!.xml).toContain('urn:fdc:peppol.eu:poacc:trns:invoice_response:3')
    expect((await api('GET', `/v1/documents/${id}/receipts`, { key: buyer.json.apiKey })).json.receipts).toHaveLength(2)

    // The forwarder drops each receipt in the supplier's folder next to nothing else.
    let files: string[] = []
    for (let i = 0; i < 80 && files.length < 2; i++) { files = (await readdir(inbox)).filter((f) => f.endsWith('.xml')).sort(); await new Promise((r) => setTimeout(r, 150)) }
    expect(files).toEqual([`${id}.receipt-2.xml`, `${id}.receipt-3.xml`])
    expect(await readFile(join(inbox, files[1]!), 'utf8')).toBe(receipts[1]!.xml)
  })

  test('rejected: an MLR RE with one line response per fatal finding', async () => {
    const { key, own } = await supplier()
    const posted = await postDocument(own(withInvoiceNumber(await fixture('ubl-invoice-invalid-totals.xml'))), { key })
    const id = posted.json.id as string
    await waitForStatus(id, ['REJETEE'], 60_000, key)
    const [receipt] = await receiptsOf(id, key, 1)
    expect(receipt).toMatchObject({ status: 'REJETEE', kind: 'mlr', responseCode: 'RE' })
    expect(schemaErrors(receipt!.xml)).toEqual([])
    for (const rule of ['BR-CO-15', 'BR-CO-16']) expect(receipt!.xml).toContain(rule)
    expect(receipt!.xml.match(/<cac:LineResponse>/g)?.length).toBeGreaterThanOrEqual(2)
  })

  test('recycled: an MLR RE naming the business term to correct', async () => {
    const { key, own } = await supplier()
    const siret = randomSiret()
    await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body: { name: 'Commune', endpoint: null, commitmentRequired: true } })
    const text = own(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret)).toString('utf8').replace(/\s*<cac:OrderReference>[\s\S]*?<\/cac:OrderReference>/, '')
    const posted = await postDocument(Buffer.from(text), { key })
    const id = posted.json.id as string
    await waitForStatus(id, ['A_RECYCLER'], 60_000, key)
    const [receipt] = await receiptsOf(id, key, 1)
    expect(receipt).toMatchObject({ status: 'A_RECYCLER', kind: 'mlr', responseCode: 'RE' })
    expect(schemaErrors(receipt!.xml)).toEqual([])
    expect(receipt!.xml).toContain('BT-13')
  })

  test('a partner sending for a seller that is not one of its addresses: REJETEE, naming BT-34', async () => {
    const { key } = await supplier()
    const posted = await postDocument(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', randomSiret()), { key })
    const doc = await waitForStatus(posted.json.id, ['REJETEE', 'A_RECYCLER', 'MISE_A_DISPOSITION'], 60_000, key)
    expect(doc.status).toBe('REJETEE')
    expect(doc.findings).toEqual([expect.objectContaining({ ruleId: 'FACTEUR-SENDER-NOT-AUTHORISED', location: 'BT-34' })])
    expect(doc.history.at(-1).reason).toContain('0009:73282932000074')
  })
})
