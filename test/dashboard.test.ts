// The partners' dashboard: a supplier lists what it sent, a public structure what it received, filtered by
// status, counterpart and dates, page by page; and the counts per status.
import { describe, expect, test } from 'vitest'
import { api, fixture, FIXTURE_SELLER, hub, postDocument, randomSiret, waitForStatus, withBuyerAddress } from './helpers.js'

const admin = () => ({ key: hub().adminKey })

describe('dashboard', () => {
  test('lists, filters, pages and counts a partner\'s documents, sent and received', async () => {
    const siret = randomSiret()
    expect((await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body: { name: 'Commune', endpoint: null } })).status).toBe(201)
    const recipient = await api('POST', '/v1/partners', { ...admin(), body: { name: `Commune ${siret}`, addresses: [`0009:${siret}`] } })
    const sender = await api('POST', '/v1/partners', { ...admin(), body: { name: `Fournisseur ${siret}`, addresses: [] } })
    // An operator-style partner without addresses of its own: it sends for the fixture's seller once bound to it.
    expect((await api('PUT', `/v1/partners/${sender.json.id}/sellers`, { ...admin(), body: { sellers: [`0009:${FIXTURE_SELLER}`] } })).status).toBe(200)
    const s = sender.json.apiKey as string
    const r = recipient.json.apiKey as string
    const ids: string[] = []
    for (const buyer of [siret, siret, randomSiret()]) {
      const posted = await postDocument(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', buyer), { key: s })
      ids.push(posted.json.id)
      await waitForStatus(posted.json.id, ['MISE_A_DISPOSITION', 'A_RECYCLER'], 60_000, s)
    }

    const list = (key: string, query: string) => api('GET', `/v1/documents?${query}`, { key })
    const sent = await list(s, 'direction=sent')
    expect(sent.status).toBe(200)
    expect(sent.json.items.map((i: { id: string }) => i.id)).toEqual([...ids].reverse())
    expect(sent.json.items[0]).toMatchObject({ direction: 'sent', status: 'A_RECYCLER', invoiceNumber: expect.stringMatching(/^FCT-2026-0001-/), currency: 'EUR' })
    expect((await list(s, 'status=A_RECYCLER')).json.items.map((i: { id: string }) => i.id)).toEqual([ids[2]])
    expect((await list(s, `counterpart=0009:${siret}`)).json.items).toHaveLength(2)
    expect((await list(s, 'from=2999-01-01')).json.items).toEqual([])

    const page1 = await list(s, 'limit=2')
    expect(page1.json.items).toHaveLength(2)
    const page2 = await list(s, `limit=2&cursor=${page1.json.nextCursor}`)
    expect(page2.json).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null })

    const received = await list(r, 'direction=received')
    expect(received.json.items.map((i: { id: string }) => i.id)).toEqual([ids[1], ids[0]])
    expect(received.json.items[0]).toMatchObject({ direction: 'received', status: 'MISE_A_DISPOSITION', code: '203' })
    expect((await list(r, 'direction=sent')).json.items).toEqual([])

    expect((await api('GET', '/v1/documents/summary', { key: s })).json).toEqual({ total: 3, byStatus: { A_RECYCLER: 1, MISE_A_DISPOSITION: 2 } })
    expect((await api('GET', '/v1/documents/summary?direction=received', { key: r })).json).toEqual({ total: 2, byStatus: { MISE_A_DISPOSITION: 2 } })
    expect((await list(s, 'direction=both')).status).toBe(400)
  }, 90_000)
})
