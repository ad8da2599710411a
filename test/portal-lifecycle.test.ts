// The portal's structure settings and the supplier's side of the lifecycle, in Chromium: a public buyer's principal
// manager sets what invoices must carry and adds a service, and makes a technical account for the Chorus Pro API;
// a supplier's invoice without the required service code ends A_RECYCLER, is corrected in the portal and deposited
// again under the same number (linked to the first); the buyer suspends it with a reason and the supplier completes
// it with a comment. axe-core on every page.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHash } from 'node:crypto'
import type { Browser, Page } from 'playwright-core'
import { api, fixture, hub, randomSiret, withBuyerAddress, withDb, withInvoiceNumber, withSellerSiret } from './helpers.js'
import { expectAccessible, launchBrowser, newPage, screenshot } from './browser.js'
import { newMember, person, setUp, submit } from './portal-people.js'

const admin = () => ({ key: hub().adminKey })
const url = (path: string) => hub().url + path

/** Reloads the document's page until its status is one of `wanted` (or fails with the last one seen). */
async function statusOn(page: Page, id: string, wanted: string[]): Promise<string> {
  const deadline = Date.now() + 60_000
  let status = ''
  while (Date.now() < deadline) {
    await page.goto(url(`/portal/documents/${id}`))
    status = (await page.locator('[data-status]').getAttribute('data-status')) ?? ''
    if (wanted.includes(status)) return status
    await page.waitForTimeout(400)
  }
  return status
}

describe('the portal: a structure\'s settings, and recycling and completing as the supplier', () => {
  let browser: Browser
  let samPage: Page
  let beaPage: Page
  const supplierSiret = randomSiret()
  const buyerSiret = randomSiret()
  let supplierKey = ''
  let recycled = ''
  let resubmitted = ''

  beforeAll(async () => {
    browser = await launchBrowser()
    // A public buyer that requires a service code, with one service; and its partner.
    expect((await api('PUT', `/v1/directory/structures/${buyerSiret}`, { ...admin(), body: {
      name: 'Mairie de Recyclage', endpoint: null, serviceRequired: true, services: [{ code: 'SERV-A', name: 'Services techniques' }],
    } })).status).toBe(201)
    const buyer = await api('POST', '/v1/partners', { ...admin(), body: { name: `Mairie ${buyerSiret}`, addresses: [`0009:${buyerSiret}`] } })
    const supplier = await api('POST', '/v1/partners', { ...admin(), body: { name: `Fournisseur ${supplierSiret}`, addresses: [] } })
    expect((await api('PUT', `/v1/partners/${supplier.json.id}/sellers`, { ...admin(), body: { sellers: [`0009:${supplierSiret}`] } })).status).toBe(200)
    supplierKey = supplier.json.apiKey
    const sam = person('Sam')
    const bea = person('Bea')
    samPage = await newPage(browser)
    await setUp(samPage, await newMember(sam, { partnerId: supplier.json.id, siret: supplierSiret, role: 'principal' }), sam)
    beaPage = await newPage(browser, { lang: 'en' })
    await setUp(beaPage, await newMember(bea, { partnerId: buyer.json.id, siret: buyerSiret, role: 'principal' }), bea)
  })
  afterAll(async () => { await browser?.close() })

  test('the buyer\'s principal manager changes what invoices must carry, adds a service and makes a technical account', async () => {
    await beaPage.goto(url(`/portal/structures/${buyerSiret}/settings`))
    await expectAccessible(beaPage, 'settings')
    expect(await beaPage.locator('#flag-serviceRequired').isChecked()).toBe(true)
    await beaPage.check('#flag-paymentStatusManaged')
    await submit(beaPage, `form[action$="/settings"]`)
    expect(await beaPage.locator('.notice.ok').count()).toBe(1)
    await beaPage.fill('#s-code', 'SERV-B')
    await beaPage.fill('#s-name', 'Cantine')
    await beaPage.check('#s-commitment')
    await submit(beaPage, `form[action$="/services"]`)
    expect(await beaPage.locator('tr[data-service="SERV-B"]').count()).toBe(1)
    // The directory the router reads has them.
    const structure = (await api('GET', `/v1/directory/structures/${buyerSiret}`, admin())).json
    expect(structure).toMatchObject({ serviceRequired: true, paymentStatusManaged: true })
    expect(structure.services).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'SERV-A' }), expect.objectContaining({ code: 'SERV-B', name: 'Cantine', commitmentRequired: true })]))
    // A technical account bound to this structure: its password shown once, a new one on request.
    await submit(beaPage, `form[action$="/accounts"]`)
    const login = await beaPage.locator('[data-account-login]').innerText()
    const password = await beaPage.locator('[data-account-password]').innerText()
    expect(password.length).toBeGreaterThanOrEqual(18)
    const bound = await withDb(async (c) => (await c.query('SELECT structures FROM cpro_accounts WHERE login = $1', [login])).rows[0])
    expect(bound.structures).toEqual([buyerSiret])
    await submit(beaPage, `form[action$="/accounts/${encodeURIComponent(login)}/password"]`)
    expect(await beaPage.locator('[data-account-password]').innerText()).not.toBe(password)
    await expectAccessible(beaPage, 'settings with an account')
    for (const size of ['desktop', 'phone'] as const) await screenshot(beaPage, 'portal-settings', size)
    const events = await withDb(async (c) => (await c.query(`SELECT kind FROM portal_events WHERE detail->>'siret' = $1 ORDER BY id`, [buyerSiret])).rows.map((r) => r.kind))
    expect(events).toEqual(expect.arrayContaining(['structure.settings', 'structure.service', 'cpro.account.created', 'cpro.account.password']))
  })

  test('an invoice without the required service code ends A_RECYCLER; corrected in the portal, it goes through, linked to the first', async () => {
    const noService = withInvoiceNumber(Buffer.from(withSellerSiret(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', buyerSiret), supplierSiret)
      .toString('utf8').replace(/<cbc:BuyerReference>[^<]*<\/cbc:BuyerReference>\s*/, '')))
    await samPage.goto(url('/portal/deposit'))
    const token = await samPage.locator('input[name=_csrf]').first().inputValue()
    const posted = await samPage.request.post(url(`/portal/deposit?structure=${supplierSiret}`), { data: noService, headers: { 'content-type': 'application/xml', 'x-csrf-token': token, 'x-file-name': 'sans-service.xml', origin: hub().url } })
    expect(posted.status()).toBe(202)
    recycled = (await posted.json()).id
    expect(await statusOn(samPage, recycled, ['A_RECYCLER', 'MISE_A_DISPOSITION', 'REJETEE'])).toBe('A_RECYCLER')
    // The reason names the business term to correct; the form offers the routing data.
    expect(await samPage.locator('section[aria-labelledby="recycle-h"] .notice.error').innerText()).toMatch(/BT-10/)
    await expectAccessible(samPage, 'recycle')
    for (const size of ['desktop', 'phone'] as const) await screenshot(samPage, 'portal-recycle', size)
    expect(await samPage.inputValue('#r-buyer')).toBe(buyerSiret)
    // A wrong SIRET is refused and what was typed stays.
    await samPage.fill('#r-buyer', '12345678901234')
    await samPage.fill('#r-service', 'SERV-A')
    await submit(samPage, 'form[data-form="recycle"]')
    expect(await samPage.locator('main > .notice.error').innerText()).toMatch(/SIRET/)
    expect(await samPage.inputValue('#r-service')).toBe('SERV-A')
    await samPage.fill('#r-buyer', buyerSiret)
    await submit(samPage, 'form[data-form="recycle"]')
    resubmitted = new URL(samPage.url()).pathname.split('/').at(-1)!
    expect(resubmitted).not.toBe(recycled)
    expect(await statusOn(samPage, resubmitted, ['MISE_A_DISPOSITION', 'A_RECYCLER', 'REJETEE'])).toBe('MISE_A_DISPOSITION')
    const seen = (await api('GET', `/v1/documents/${resubmitted}`, { key: supplierKey })).json
    expect(seen.resubmissionOf).toBe(recycled)
    expect(seen.serviceCode).toBe('SERV-A')
    expect((await api('GET', `/v1/documents/${recycled}`, { key: supplierKey })).json.status).toBe('A_RECYCLER')
  })

  test('the buyer suspends it with a reason; the supplier completes it with a comment, which the buyer reads', async () => {
    await beaPage.goto(url(`/portal/documents/${resubmitted}`))
    await beaPage.selectOption('#process-status', 'SUSPENDUE')
    await beaPage.fill('#process-reason', 'Missing the delivery note.')
    await submit(beaPage, 'form[data-form="process"]')
    expect(await beaPage.locator('[data-status]').getAttribute('data-status')).toBe('SUSPENDUE')

    await samPage.goto(url(`/portal/documents/${resubmitted}`))
    expect(await samPage.locator('section[aria-labelledby="history-h"]').innerText()).toContain('Missing the delivery note.')
    await expectAccessible(samPage, 'suspended, for the supplier')
    expect(await samPage.locator('#sender-status option').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/Complétée/)]))
    await samPage.selectOption('#sender-status', 'COMPLETEE')
    await samPage.fill('#sender-reason', 'Bon de livraison BL-778 joint au dossier.')
    await submit(samPage, 'form[data-form="sender"]')
    expect(await samPage.locator('[data-status]').getAttribute('data-status')).toBe('COMPLETEE')

    await beaPage.goto(url(`/portal/documents/${resubmitted}`))
    expect(await beaPage.locator('[data-status]').getAttribute('data-status')).toBe('COMPLETEE')
    expect(await beaPage.locator('section[aria-labelledby="history-h"]').innerText()).toContain('Bon de livraison BL-778 joint au dossier.')
    // The supplier cannot set the buyer's statuses (the form offers none, and a forged post gets the API's 409).
    const token = await samPage.locator('input[name=_csrf]').first().inputValue()
    const forged = await samPage.request.post(url(`/portal/documents/${resubmitted}/status`), { form: { _csrf: token, status: 'APPROUVEE', reason: '' }, headers: { origin: hub().url } })
    expect([403, 409]).toContain(forged.status())
    expect((await api('GET', `/v1/documents/${resubmitted}`, { key: supplierKey })).json.status).toBe('COMPLETEE')
  })

  test('a session idle for longer than FACTEUR_PORTAL_IDLE_MINUTES ends, and one past its absolute expiry', async () => {
    const sessionOf = async (page: Page) => (await page.context().cookies(hub().url)).find((c) => c.name.includes('facteur-session'))!.value
    const hash = (id: string) => createHash('sha256').update(id).digest('hex')
    await samPage.goto(url('/portal/sent'))
    expect(new URL(samPage.url()).pathname).toBe('/portal/sent')
    await withDb(async (c) => c.query(`UPDATE portal_sessions SET last_seen_at = now() - interval '31 minutes' WHERE id_hash = $1`, [hash(await sessionOf(samPage))]))
    await samPage.goto(url('/portal/sent'))
    expect(new URL(samPage.url()).pathname).toBe('/portal/sign-in')
    await beaPage.goto(url('/portal/received'))
    expect(new URL(beaPage.url()).pathname).toBe('/portal/received')
    // Absolute: however recent the last request, the session ends at its expiry (12 hours after the password).
    await withDb(async (c) => c.query(`UPDATE portal_sessions SET expires_at = now() - interval '1 second' WHERE id_hash = $1`, [hash(await sessionOf(beaPage))]))
    await beaPage.goto(url('/portal/received'))
    expect(new URL(beaPage.url()).pathname).toBe('/portal/sign-in')
  })
})
