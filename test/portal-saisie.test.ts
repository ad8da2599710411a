// Typing an invoice in the portal ("saisie", services/gateway/portal/saisie-routes.ts), in Chromium against the test
// hub: a supplier's person fills in a two-line invoice at two VAT rates, checks the totals the page computes, sends
// it, and follows it to MISE_A_DISPOSITION; the API then shows a CII with no fatal finding, deposited under the
// portal's record as saisie-<number>.xml. A form with mistakes comes back with each field's message beside it and
// what was typed; a second invoice, as a Factur-X PDF, is typed with JavaScript off, its seller facts filled in from
// the first, and sending the same form twice gives one document. A seller under the VAT franchise (art. 293 B du
// CGI) ticks its box: the VAT fields go, the invoice it sends has no VAT, its SIREN as BT-32, VATEX-FR-FRANCHISE
// and the legal mentions as notes, and reaches MISE_A_DISPOSITION; the next form starts with the box ticked.
// axe-core on the empty form, the computed one, the one with errors and the one with the franchise ticked;
// screenshots portal-saisie, portal-saisie-errors and portal-saisie-franchise.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { api, hub, randomSiret, withDb } from './helpers.js'
import { expectAccessible, launchBrowser, newPage, screenshot, VIEWPORTS } from './browser.js'
import { newMember, person, portalTenant as tenant, setUp } from './portal-people.js'
import { mentionDefaults, todayInFrance } from '../services/gateway/portal/saisie.js'

const admin = () => ({ key: hub().adminKey })
const url = (path: string) => hub().url + path

/** Reloads the document's page until the hub has finished with it; its last status. */
async function followDocument(page: Page, id: string): Promise<string> {
  const deadline = Date.now() + 60_000
  let status = ''
  while (Date.now() < deadline) {
    await page.goto(url(`/portal/documents/${id}`))
    status = (await page.locator('[data-status]').getAttribute('data-status'))!
    if (['MISE_A_DISPOSITION', 'REJETEE', 'A_RECYCLER', 'EN_ERREUR'].includes(status)) break
    await page.waitForTimeout(500)
  }
  return status
}

const daysFrom = (iso: string, days: number) => new Date(Date.parse(`${iso}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
const documentIdOf = (page: Page) => {
  const m = /^\/portal\/documents\/([0-9a-f-]{36})$/.exec(new URL(page.url()).pathname)
  if (!m) throw new Error(`not on a document page: ${page.url()}`)
  return m[1]!
}
const click = (page: Page, selector: string) => Promise.all([page.waitForEvent('load'), page.locator(selector).click()])

describe('typing an invoice in the portal, in Chromium', () => {
  let browser: Browser
  let supplier: Awaited<ReturnType<typeof tenant>>
  let buyer: Awaited<ReturnType<typeof tenant>>
  const sam = person('Sam')
  let page: Page
  const today = todayInFrance()
  const seller = { name: 'Menuiserie Dupont & Fils', line: '12 rue des Artisans', postcode: '44000', city: 'Nantes', vat: 'FR44732829320', iban: 'FR76 3000 4000 0312 3456 7890 143' }
  const first = { number: `SAI-${Date.now()}`, id: '' }

  beforeAll(async () => {
    browser = await launchBrowser()
    supplier = await tenant('Menuiserie Dupont', 'supplier')
    buyer = await tenant('Mairie de Saisie', 'buyer')
    page = await newPage(browser)
    await setUp(page, await newMember(sam, { partnerId: supplier.id, siret: supplier.siret, role: 'principal' }), sam)
  })
  afterAll(async () => { await browser?.close() })

  test('a two-line invoice at two VAT rates: totals computed on the page, sent, made available to the buyer as a valid CII', async () => {
    await page.goto(url('/portal/saisie'))
    expect(await page.locator('h1').innerText()).toBe('Saisir une facture')
    expect(await page.locator('#s-structure').inputValue()).toBe(supplier.siret)
    expect(await page.locator('#s-issueDate').inputValue()).toBe(today)
    await expectAccessible(page, 'saisie, empty')
    await page.fill('#s-sellerName', seller.name)
    await page.fill('#s-sellerLine', seller.line)
    await page.fill('#s-sellerPostcode', seller.postcode)
    await page.fill('#s-sellerCity', seller.city)
    await page.fill('#s-sellerVat', seller.vat)
    await page.fill('#s-iban', seller.iban)
    await page.fill('#s-buyerSiret', buyer.siret)
    // The buyer's name is left empty: the directory's is used.
    await page.fill('#s-service', 'SERV-TRAVAUX')
    await page.fill('#s-commitment', 'EJ-2026-004242')
    await page.fill('#s-number', first.number)
    await page.fill('#s-dueDate', daysFrom(today, 30))
    await page.fill('#s-l1-desc', 'Pose de fenêtres')
    await page.fill('#s-l1-qty', '10')
    await page.selectOption('#s-l1-unit', 'HUR')
    await page.fill('#s-l1-price', '65,50')
    await page.fill('#s-l2-desc', 'Ouvrages de menuiserie')
    await page.fill('#s-l2-qty', '4')
    await page.fill('#s-l2-price', '23.80')
    await page.selectOption('#s-l2-rate', '5.5')
    // 10 × 65.50 = 655.00 at 20 % → 131.00; 4 × 23.80 = 95.20 at 5.5 % → 5.236 → 5.24.
    await click(page, 'button[value=compute]')
    expect(await page.locator('[data-amounts] [data-line-amount]').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-line-amount')))).toEqual(['655.00', '95.20'])
    const totals = Object.fromEntries(await page.locator('[data-total]').evaluateAll((dds) => dds.map((dd) => [dd.getAttribute('data-total'), dd.getAttribute('data-value')])))
    expect(totals).toEqual({ lineTotal: '750.20', tax: '136.24', grand: '886.44', due: '886.44' })
    expect(await page.locator('#s-buyerName').inputValue()).toBe('Mairie de Saisie')
    await expectAccessible(page, 'saisie, computed')
    for (const size of ['desktop', 'phone'] as const) await screenshot(page, 'portal-saisie', size)
    await page.setViewportSize(VIEWPORTS.desktop)

    await click(page, 'button[value=send]')
    first.id = documentIdOf(page)
    expect(await followDocument(page, first.id)).toBe('MISE_A_DISPOSITION')
    expect(await page.locator('main').innerText()).toContain(first.number)

    const seen = await api('GET', `/v1/documents/${first.id}`, { key: supplier.key })
    expect(seen.status).toBe(200)
    expect(seen.json).toMatchObject({ status: 'MISE_A_DISPOSITION', syntax: 'cii', contentType: 'application/xml' })
    expect((seen.json.findings as { severity: string }[]).filter((f) => f.severity === 'fatal')).toEqual([])
    // The buyer sees it too, addressed to its SIRET with the service code and commitment typed.
    const received = await api('GET', `/v1/documents/${first.id}`, { key: buyer.key })
    expect(received.json.status).toBe('MISE_A_DISPOSITION')
    const row = await withDb(async (db) => (await db.query(
      `SELECT p.file_name, p.siret, p.partner_id, pe.email, d.recipient_address, d.keys->>'buyerReference' AS service, d.keys->'totals'->>'taxInclusive' AS total, d.keys->>'orderReference' AS commitment
         FROM portal_deposits p JOIN people pe ON pe.id = p.person_id JOIN documents d ON d.id = p.document_id WHERE p.document_id = $1`, [first.id])).rows[0])
    expect(row).toEqual({
      file_name: `saisie-${first.number}.xml`, siret: supplier.siret, partner_id: supplier.id, email: sam.email,
      recipient_address: `0009:${buyer.siret}`, service: 'SERV-TRAVAUX', total: '886.44', commitment: 'EJ-2026-004242',
    })
  })

  test('a form with mistakes comes back with each message beside its field, and what was typed', async () => {
    await page.goto(url('/portal/saisie'))
    const wrongSiret = buyer.siret.slice(0, 13) + String((Number(buyer.siret[13]) + 1) % 10)
    await page.fill('#s-sellerName', '')
    await page.selectOption('#s-type', '381')
    await page.fill('#s-buyerSiret', wrongSiret)
    await page.fill('#s-number', 'AV 1')
    await page.fill('#s-dueDate', daysFrom(today, -3))
    await page.fill('#s-l1-desc', 'Retour de marchandise')
    await page.fill('#s-l1-qty', '-2')
    await page.fill('#s-l1-price', '10')
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url() === url('/portal/saisie') && r.request().method() === 'POST'), click(page, 'button[value=send]')])
    expect(answer.status()).toBe(400)
    expect(new URL(page.url()).pathname).toBe('/portal/saisie')
    const expected: Record<string, string> = {
      sellerName: 'Obligatoire.',
      buyerSiret: 'SIRET invalide : sa clé de contrôle (Luhn) est fausse. Vérifiez les chiffres.',
      buyerName: 'Obligatoire.', // not found in the directory under a wrong SIRET
      number: 'Contient des caractères qui ne sont pas permis ici.',
      dueDate: 'La date d\'échéance précède la date de facture.',
      'l1-qty': 'Un avoir indique des quantités positives (son type en fait un crédit).',
    }
    for (const [name, message] of Object.entries(expected)) {
      const field = page.locator(`#s-${name}`)
      expect(await field.getAttribute('aria-invalid'), name).toBe('true')
      expect((await field.getAttribute('aria-describedby'))!.split(' '), name).toContain(`s-${name}-error`)
      expect(await page.locator(`#s-${name}-error`).innerText(), name).toBe(message)
    }
    expect(await page.locator('[aria-invalid]').count()).toBe(Object.keys(expected).length)
    expect(await page.locator('[data-faults] li').count()).toBe(Object.keys(expected).length)
    expect(await page.locator('[data-faults] a[href="#s-buyerSiret"]').count()).toBe(1)
    // What was typed is still there.
    expect({
      type: await page.locator('#s-type').inputValue(), siret: await page.locator('#s-buyerSiret').inputValue(), number: await page.locator('#s-number').inputValue(),
      desc: await page.locator('#s-l1-desc').inputValue(), qty: await page.locator('#s-l1-qty').inputValue(), price: await page.locator('#s-l1-price').inputValue(),
      city: await page.locator('#s-sellerCity').inputValue(),
    }).toEqual({ type: '381', siret: wrongSiret, number: 'AV 1', desc: 'Retour de marchandise', qty: '-2', price: '10', city: seller.city })
    await expectAccessible(page, 'saisie, with errors')
    for (const size of ['desktop', 'phone'] as const) await screenshot(page, 'portal-saisie-errors', size)
    await page.setViewportSize(VIEWPORTS.desktop)
    // A SIRET right in itself but of no structure the hub knows: said before sending, not after routing.
    await page.fill('#s-buyerSiret', randomSiret())
    await click(page, 'button[value=compute]')
    expect(await page.locator('#s-buyerSiret-error').innerText()).toBe('Ce SIRET n\'est pas une structure publique de l\'annuaire du hub : vérifiez-le auprès de la structure.')
    // Nothing was stored.
    const count = await withDb(async (db) => Number((await db.query('SELECT count(*) FROM portal_deposits WHERE partner_id = $1', [supplier.id])).rows[0].count))
    expect(count).toBe(1)
  })

  test('without JavaScript: a Factur-X typed with the seller facts of the last invoice, sent twice, stored once', async () => {
    const noScript: BrowserContext = await browser.newContext({ javaScriptEnabled: false, locale: 'fr-FR', viewport: VIEWPORTS.desktop })
    await noScript.addCookies(await page.context().cookies(hub().url))
    const plain = await noScript.newPage()
    try {
      await plain.goto(url('/portal/saisie'))
      // The seller's facts come from the structure's last typed invoice.
      expect({
        name: await plain.locator('#s-sellerName').inputValue(), line: await plain.locator('#s-sellerLine').inputValue(), postcode: await plain.locator('#s-sellerPostcode').inputValue(),
        city: await plain.locator('#s-sellerCity').inputValue(), vat: await plain.locator('#s-sellerVat').inputValue(), iban: await plain.locator('#s-iban').inputValue(),
      }).toEqual({ ...seller, iban: seller.iban.replace(/\s/g, '') })
      const number = `SAI-FX-${Date.now()}`
      await plain.fill('#s-buyerSiret', buyer.siret)
      await plain.fill('#s-buyerName', 'Mairie de Saisie (services techniques)')
      await plain.fill('#s-number', number)
      await plain.fill('#s-terms', 'Paiement à 30 jours date de facture')
      await plain.fill('#s-l1-desc', 'Réparation d\'un portail')
      await plain.fill('#s-l1-qty', '1')
      await plain.fill('#s-l1-price', '480')
      await plain.selectOption('#s-l1-rate', '10')
      await plain.check('input[name=output][value=facturx]')
      const form = {
        _csrf: await plain.locator('form.saisie input[name=_csrf]').inputValue(), key: await plain.locator('input[name=key]').inputValue(),
        structure: supplier.siret, sellerName: seller.name, sellerLine: seller.line, sellerPostcode: seller.postcode, sellerCity: seller.city, sellerVat: seller.vat,
        iban: seller.iban, buyerSiret: buyer.siret, buyerName: 'Mairie de Saisie (services techniques)', type: '380', number, issueDate: today,
        terms: 'Paiement à 30 jours date de facture', 'l1-desc': 'Réparation d\'un portail', 'l1-qty': '1', 'l1-price': '480', 'l1-rate': '10', output: 'facturx', action: 'send',
      }
      await click(plain, 'button[value=send]')
      const id = documentIdOf(plain)
      expect(await followDocument(plain, id)).toBe('MISE_A_DISPOSITION')
      const seen = await api('GET', `/v1/documents/${id}`, { key: supplier.key })
      expect(seen.json).toMatchObject({ status: 'MISE_A_DISPOSITION', syntax: 'cii', contentType: 'application/pdf' })
      expect((seen.json.findings as { severity: string }[]).filter((f) => f.severity === 'fatal')).toEqual([])
      // The same form sent again (a double click, a resend): the same document, no second one.
      const again = await plain.request.post(url('/portal/saisie'), { form, headers: { origin: hub().url }, maxRedirects: 0 })
      expect(again.status()).toBe(303)
      expect(again.headers().location).toBe(`/portal/documents/${id}`)
      const rows = await withDb(async (db) => (await db.query('SELECT file_name FROM portal_deposits WHERE partner_id = $1 ORDER BY deposited_at', [supplier.id])).rows)
      expect(rows.map((r) => r.file_name)).toEqual([`saisie-${first.number}.xml`, `saisie-${number}.pdf`])
      // Another structure's SIRET is not one to send for: refused, nothing stored.
      const foreign = await plain.request.post(url('/portal/saisie'), { form: { ...form, structure: buyer.siret, number: `${number}-B` }, headers: { origin: hub().url }, maxRedirects: 0 })
      expect(foreign.status()).toBe(400)
      expect(await withDb(async (db) => Number((await db.query('SELECT count(*) FROM portal_deposits WHERE partner_id = $1', [supplier.id])).rows[0].count))).toBe(2)
      // The page in English, too.
      await plain.goto(url(`/portal/lang/en?back=${encodeURIComponent('/portal/saisie')}`))
      expect(new URL(plain.url()).pathname).toBe('/portal/saisie')
      expect(await plain.locator('h1').innerText()).toBe('Enter an invoice')
      expect(await plain.locator('label[for="s-l1-price"]').innerText()).toBe('Unit price excl. VAT (€)')
    } finally {
      await noScript.close()
    }
  })
  test('under the VAT franchise: the box hides the VAT fields; the invoice, without VAT, is made available to the buyer', async () => {
    await page.goto(url('/portal/saisie'))
    // The last invoice had a VAT number: the box starts unticked, the VAT fields shown; the mentions have their wording.
    expect(await page.locator('#s-franchise').isChecked()).toBe(false)
    expect(await page.locator('#s-sellerVat').isVisible()).toBe(true)
    expect(await page.locator('#s-indemnity').inputValue()).toBe(mentionDefaults.indemnity)
    await page.check('#s-franchise')
    for (const id of ['#s-sellerVat', '#s-exemption', '#s-l1-rate', '#s-l2-rate']) expect(await page.locator(id).isHidden(), id).toBe(true)
    await expectAccessible(page, 'saisie, VAT franchise ticked')
    const number = `SAI-FR-${Date.now()}`
    await page.fill('#s-buyerSiret', buyer.siret)
    await page.fill('#s-number', number)
    await page.fill('#s-dueDate', daysFrom(today, 30))
    await page.fill('#s-note', 'Merci de rappeler le numéro de facture lors du paiement.')
    await page.fill('#s-l1-desc', 'Cours de piano')
    await page.fill('#s-l1-qty', '4')
    await page.selectOption('#s-l1-unit', 'HUR')
    await page.fill('#s-l1-price', '35')
    await page.fill('#s-l2-desc', 'Partitions')
    await page.fill('#s-l2-qty', '2')
    await page.fill('#s-l2-price', '12,50')
    await click(page, 'button[value=compute]')
    expect(await page.locator('#s-franchise').isChecked()).toBe(true)
    const totals = Object.fromEntries(await page.locator('[data-total]').evaluateAll((dds) => dds.map((dd) => [dd.getAttribute('data-total'), dd.getAttribute('data-value')])))
    expect(totals).toEqual({ lineTotal: '165.00', tax: '0.00', grand: '165.00', due: '165.00' })
    expect(await page.locator('[data-amounts] tr:has([data-line-amount]) td:nth-child(3)').allInnerTexts()).toEqual(['Sans TVA (art. 293 B)', 'Sans TVA (art. 293 B)'])
    await screenshot(page, 'portal-saisie-franchise', 'desktop')

    await click(page, 'button[value=send]')
    const id = documentIdOf(page)
    expect(await followDocument(page, id)).toBe('MISE_A_DISPOSITION')
    const seen = await api('GET', `/v1/documents/${id}`, { key: supplier.key })
    expect(seen.json).toMatchObject({ status: 'MISE_A_DISPOSITION', syntax: 'cii', contentType: 'application/xml' })
    expect((seen.json.findings as { severity: string }[]).filter((f) => f.severity === 'fatal')).toEqual([])
    expect((await api('GET', `/v1/documents/${id}`, { key: buyer.key })).json.status).toBe('MISE_A_DISPOSITION')
    const xml = await withDb(async (db) => ((await db.query('SELECT payload FROM documents WHERE id = $1', [id])).rows[0].payload as Buffer).toString('utf8'))
    expect(xml).not.toContain('schemeID="VA"')
    expect(xml).toContain(`<ram:ID schemeID="FC">${supplier.siret.slice(0, 9)}</ram:ID>`)
    expect(xml).toContain('<ram:ExemptionReason>TVA non applicable, art. 293 B du CGI</ram:ExemptionReason>')
    expect(xml).toContain('<ram:ExemptionReasonCode>VATEX-FR-FRANCHISE</ram:ExemptionReasonCode>')
    expect(xml).not.toContain('<ram:CategoryCode>S<')
    expect([...xml.matchAll(/<ram:SubjectCode>(\w+)<\/ram:SubjectCode>/g)].map((m) => m[1])).toEqual(['AAI', 'PMD', 'PMT', 'AAB'])
    // The next invoice starts under the franchise, from this one.
    await page.goto(url('/portal/saisie'))
    expect(await page.locator('#s-franchise').isChecked()).toBe(true)
    expect(await page.locator('#s-sellerVat').isHidden()).toBe(true)
  })
})
