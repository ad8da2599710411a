// B2G routing the way Chorus Pro does it, from the outside: an admin fills the directory of public structures,
// a supplier posts invoices, and each one reaches the right structure and service — or ends A_RECYCLER with a
// reason naming the business term to fix; a corrected invoice resubmitted under the same number is linked to
// the recycled one; a second delivery of the same invoice is rejected.
import { describe, expect, test } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { api, dropFolder, fixture, hub, postDocument, randomSiret, waitForStatus, withBuyerAddress, withInvoiceNumber } from './helpers.js'

const admin = () => ({ key: hub().adminKey })
const FIXTURE_BUYER = '21750001600019'
const FINAL = ['MISE_A_DISPOSITION', 'A_RECYCLER', 'REJETEE', 'EN_ERREUR', 'ECHEC_DISTRIBUTION']

type StructureBody = { name: string; active?: boolean; commitmentRequired?: boolean; serviceRequired?: boolean; paymentStatusManaged?: boolean; endpoint?: string | null; services?: { code: string; name?: string; active?: boolean; commitmentRequired?: boolean }[] }

/** A fresh public structure in the directory, delivering to its own folder. */
async function newStructure(body: Partial<StructureBody> = {}) {
  const siret = randomSiret()
  const { dir, endpoint } = await dropFolder()
  const res = await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body: { name: `Structure ${siret}`, endpoint, ...body } })
  expect(res.status).toBe(201)
  return { siret, dir }
}

/** The UBL fixture addressed to `siret`, with BT-10 and BT-13 as given (null removes them). */
async function invoiceTo(siret: string, options: { service?: string | null; commitment?: string | null } = {}) {
  let text = withBuyerAddress(await fixture('ubl-invoice.xml'), FIXTURE_BUYER, siret).toString('utf8')
  if (options.service === null) text = text.replace(/\s*<cbc:BuyerReference>[^<]*<\/cbc:BuyerReference>/, '')
  else if (options.service !== undefined) text = text.replace(/<cbc:BuyerReference>[^<]*</, `<cbc:BuyerReference>${options.service}<`)
  if (options.commitment === null) text = text.replace(/\s*<cac:OrderReference>[\s\S]*?<\/cac:OrderReference>/, '')
  return Buffer.from(text)
}

async function send(bytes: Buffer) {
  const posted = await postDocument(bytes)
  expect(posted.status).toBe(202)
  return waitForStatus(posted.json.id, FINAL)
}

describe('the directory of public structures (admin API)', () => {
  test('PUT registers a structure with its services; GET returns it; a bad SIRET is refused', async () => {
    const siret = randomSiret()
    const body = { name: 'Commune de Saint-Exemple', commitmentRequired: true, serviceRequired: true, paymentStatusManaged: true, endpoint: null, services: [{ code: 'SERV-FIN', name: 'Finances' }, { code: 'SERV-RH', name: 'RH', active: false, commitmentRequired: true }] }
    expect((await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body })).status).toBe(201)
    expect((await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body })).status).toBe(200)
    const got = await api('GET', `/v1/directory/structures/${siret}`, admin())
    expect(got.json).toMatchObject({ siret, name: 'Commune de Saint-Exemple', active: true, commitmentRequired: true, serviceRequired: true, paymentStatusManaged: true, endpoint: null })
    expect(got.json.services).toEqual([
      { code: 'SERV-FIN', name: 'Finances', active: true, commitmentRequired: false },
      { code: 'SERV-RH', name: 'RH', active: false, commitmentRequired: true },
    ])
    const bad = await api('PUT', `/v1/directory/structures/${siret.slice(0, 13)}${(Number(siret[13]) + 1) % 10}`, { ...admin(), body })
    expect([bad.status, bad.json.detail]).toEqual([400, expect.stringMatching(/SIRET|check key/)])
    expect((await api('PUT', `/v1/directory/structures/${siret}`, { body })).status).toBe(403)
  })

  test('a bulk import (x-ndjson) answers counts and an error per bad line, importing the rest', async () => {
    const [a, b] = [randomSiret(), randomSiret()]
    const ndjson = [
      JSON.stringify({ siret: a, name: 'A', services: [{ code: 'S1' }] }),
      '{"siret": "12345678901234", "name": "bad key"}',
      '',
      'not json',
      JSON.stringify({ siret: b, name: 'B', serviceRequired: true }),
      JSON.stringify({ siret: a, name: 'A renamed' }),
    ].join('\n')
    const res = await api('POST', '/v1/directory/structures:import', { ...admin(), body: ndjson, contentType: 'application/x-ndjson' })
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ lines: 6, imported: 3, failed: 2 })
    expect(res.json.errors).toEqual([{ line: 2, message: expect.stringContaining('check key') }, { line: 4, message: expect.stringContaining('not JSON') }])
    expect((await api('GET', `/v1/directory/structures/${a}`, admin())).json).toMatchObject({ name: 'A renamed', services: [] })
    expect((await api('GET', `/v1/directory/structures/${b}`, admin())).json).toMatchObject({ serviceRequired: true })
    const wrongType = await api('POST', '/v1/directory/structures:import', { ...admin(), body: ndjson, contentType: 'application/json' })
    expect(wrongType.status).toBe(415)
  })
})

describe('B2G routing', () => {
  test('to the structure and the service named by BT-10; the recipient gets the bytes and sees the document', async () => {
    const { siret, dir } = await newStructure({ services: [{ code: 'SERV-FIN-01', name: 'Finances' }] })
    const bytes = await invoiceTo(siret)
    const recipient = await api('POST', '/v1/partners', { ...admin(), body: { name: `Mairie ${siret}`, addresses: [`0009:${siret}`] } })
    expect(recipient.status).toBe(201)
    const doc = await send(bytes)
    expect(doc).toMatchObject({ status: 'MISE_A_DISPOSITION', recipient: `0009:${siret}`, serviceCode: 'SERV-FIN-01' })
    const files = await readdir(dir)
    expect(await readFile(join(dir, files[0]!))).toEqual(bytes)
    const seen = await api('GET', `/v1/documents/${doc.id}`, { key: recipient.json.apiKey })
    expect(seen.json).toMatchObject({ status: 'MISE_A_DISPOSITION', direction: 'received' })
    const stranger = await api('POST', '/v1/partners', { ...admin(), body: { name: `Other ${siret}`, addresses: [] } })
    expect((await api('GET', `/v1/documents/${doc.id}`, { key: stranger.json.apiKey })).status).toBe(404)
  })

  test('a structure without endpoint keeps the document for the structure, which fetches it (mise à disposition)', async () => {
    const { siret } = await newStructure({ endpoint: null })
    const recipient = await api('POST', '/v1/partners', { ...admin(), body: { name: `Mairie ${siret}`, addresses: [`0009:${siret}`] } })
    const bytes = await invoiceTo(siret)
    const doc = await send(bytes)
    expect(doc.status).toBe('MISE_A_DISPOSITION')
    const res = await fetch(`${hub().url}/v1/documents/${doc.id}/content`, { headers: { authorization: `Bearer ${recipient.json.apiKey}` } })
    expect([res.status, res.headers.get('content-type')]).toEqual([200, expect.stringContaining('application/xml')])
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes)
  })

  test.each([
    ['the SIRET is unknown', async () => randomSiret(), {}, 'BT-49', /neither a public structure/],
    ['the structure is inactive', async () => (await newStructure({ active: false })).siret, {}, 'BT-49', /inactive/],
    ['a service is required but BT-10 is absent', async () => (await newStructure({ serviceRequired: true, services: [{ code: 'SERV-A' }] })).siret, { service: null }, 'BT-10', /requires a service code.*SERV-A/],
    ['the service is unknown', async () => (await newStructure({ services: [{ code: 'SERV-A' }] })).siret, { service: 'SERV-ZZ' }, 'BT-10', /'SERV-ZZ'.*not a service.*SERV-A/],
    ['the service is inactive', async () => (await newStructure({ services: [{ code: 'SERV-A', active: false }, { code: 'SERV-B' }] })).siret, { service: 'SERV-A' }, 'BT-10', /inactive.*SERV-B/],
    ['a commitment number is required but BT-13 is absent', async () => (await newStructure({ commitmentRequired: true })).siret, { commitment: null }, 'BT-13', /commitment number/],
  ] as const)('A_RECYCLER when %s, naming the field', async (_name, siretOf, options, field, message) => {
    const doc = await send(await invoiceTo(await siretOf(), options))
    expect(doc.status).toBe('A_RECYCLER')
    expect(doc.history.at(-1).reason).toMatch(new RegExp(`^${field}: `))
    expect(doc.history.at(-1).reason).toMatch(message)
  })

  test('corrected and resubmitted under the same invoice number: linked to the recycled one, then delivered', async () => {
    const { siret } = await newStructure({ serviceRequired: true, services: [{ code: 'SERV-FIN-01' }] })
    const number = `FCT-RECYCLE-${siret.slice(-6)}`
    const first = await send(withInvoiceNumber(await invoiceTo(siret, { service: null }), number))
    expect(first.status).toBe('A_RECYCLER')
    const second = await send(withInvoiceNumber(await invoiceTo(siret), number))
    expect(second).toMatchObject({ status: 'MISE_A_DISPOSITION', resubmissionOf: first.id })
    expect((await api('GET', `/v1/documents/${first.id}`)).json).toMatchObject({ status: 'A_RECYCLER', resubmittedAs: second.id })
  })

  test('a true duplicate (same seller, number and year, already delivered) is REJETEE', async () => {
    const { siret } = await newStructure()
    const bytes = withInvoiceNumber(await invoiceTo(siret), `FCT-DUP-${siret.slice(-6)}`)
    const first = await send(bytes)
    expect(first.status).toBe('MISE_A_DISPOSITION')
    const again = await send(bytes)
    expect(again.status).toBe('REJETEE')
    expect(again.findings).toEqual([expect.objectContaining({ ruleId: 'FACTEUR-DUPLICATE', severity: 'fatal' })])
    expect(again.history.at(-1).reason).toContain(first.id)
  })
})

describe('partners', () => {
  test('POST /v1/partners answers an id and a key that works; an address belongs to one partner only', async () => {
    const siret = randomSiret()
    const created = await api('POST', '/v1/partners', { ...admin(), body: { name: `Fournisseur ${siret}`, addresses: [`0009:${siret}`, '0088:5790000435975'.slice(0, 5) + siret.slice(0, 8)] } })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ id: expect.any(String), apiKey: expect.stringMatching(/^fct_/) })
    expect((await api('GET', '/v1/documents/00000000-0000-4000-8000-000000000000', { key: created.json.apiKey })).status).toBe(404)
    const again = await api('POST', '/v1/partners', { ...admin(), body: { name: `Autre ${siret}`, addresses: [`0009:${siret}`] } })
    expect(again.status).toBe(409)
    expect((await api('POST', '/v1/partners', { ...admin(), body: { name: 'x', addresses: ['nope'] } })).status).toBe(400)
  })
})
