// The portal in a real browser (Debian's Chromium driven by playwright-core) against the test hub: the first
// operator's setup, enrolment with TOTP (the test computes the codes, RFC 6238, from the key the page shows), sign-in
// with and without the second factor, a supplier depositing a UBL and a Factur-X at once and following them to
// MISE_A_DISPOSITION, a buyer's principal manager adding a clerk who approves one invoice and refuses another with a
// reason, a person of another structure getting nothing, CSRF and session fixation refused, sign-in limits, sign-out
// everywhere; axe-core on every page, and screenshots of the main ones (.facteur/screenshots/).
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { api, fixture, hub, randomSiret, withBuyerAddress, withDb, withInvoiceNumber, withSellerSiret } from './helpers.js'
import { buildFacturX } from './facturx-pdf.js'
import { expectAccessible, launchBrowser, newPage, screenshot } from './browser.js'
import { currentStep, nextCode, person, portalTenant as tenant, sessionCookie, setUp, shownLink, signIn, submit, totp, type Person } from './portal-people.js'

const admin = () => ({ key: hub().adminKey })
const url = (path: string) => hub().url + path


describe('the portal, in Chromium', () => {
  let browser: Browser
  let supplier: Awaited<ReturnType<typeof tenant>>
  let buyer: Awaited<ReturnType<typeof tenant>>
  let other: Awaited<ReturnType<typeof tenant>>
  const operator: Person = { ...person('Operator'), email: '' }
  const sam = person('Sam') // the supplier's principal manager
  const bea = person('Bea') // the buyer's principal manager
  const carl = person('Carl') // the buyer's clerk (user)
  const olga = person('Olga') // another structure's principal manager
  let operatorPage: Page
  let samPage: Page
  let carlPage: Page
  const deposited: { ubl: string; facturx: string } = { ubl: '', facturx: '' }

  beforeAll(async () => {
    browser = await launchBrowser()
    supplier = await tenant('Fournitures Dupont', 'supplier')
    buyer = await tenant('Mairie de Portail', 'buyer')
    other = await tenant('Autre Structure', 'buyer')
  })
  afterAll(async () => { await browser?.close() })

  test('the first operator sets up through the link the start printed, enrolling an authenticator app', async () => {
    const { email, setupToken } = hub().portal
    expect(setupToken).toBeTruthy()
    operator.email = email
    operatorPage = await newPage(browser, { lang: 'en' })
    await operatorPage.goto(url('/portal/sign-in'))
    await expectAccessible(operatorPage, 'sign-in')
    for (const size of ['desktop', 'phone'] as const) await screenshot(operatorPage, 'portal-sign-in', size)
    await setUp(operatorPage, url(`/portal/setup/${setupToken}`), operator, true)
    // Signed in, the operator lands on their page; the setup link does not work twice.
    expect(new URL(operatorPage.url()).pathname).toBe('/portal/admin')
    const again = await fetch(url(`/portal/setup/${setupToken}`))
    expect(again.status).toBe(404)
    // The enrolment and the sign-in are on record.
    const kinds = await withDb(async (c) => (await c.query(`SELECT kind, outcome FROM portal_events WHERE email = $1 ORDER BY id`, [email])).rows)
    expect(kinds).toEqual(expect.arrayContaining([{ kind: 'password.set', outcome: 'ok' }, { kind: 'factor.totp.enrolled', outcome: 'ok' }, { kind: 'sign-in', outcome: 'ok' }]))
  })

  test('the operator gives each structure its principal manager, through a setup link shown once', async () => {
    const links: string[] = []
    for (const [p, t] of [[sam, supplier], [bea, buyer], [olga, other]] as const) {
      await operatorPage.goto(url('/portal/admin'))
      await expectAccessible(operatorPage, 'operator page')
      await operatorPage.selectOption('#a-structure', `${t.id}:${t.siret}`)
      await operatorPage.selectOption('#a-role', 'principal')
      await operatorPage.fill('#a-name', p.name)
      await operatorPage.fill('#a-email', p.email)
      await submit(operatorPage)
      links.push(await shownLink(operatorPage))
    }
    expect(new Set(links).size).toBe(3)
    samPage = await newPage(browser)
    await setUp(samPage, links[0]!, sam)
    expect(new URL(samPage.url()).pathname).toBe('/portal/sent')
    const beaPage = await newPage(browser)
    await setUp(beaPage, links[1]!, bea)
    const olgaPage = await newPage(browser)
    await setUp(olgaPage, links[2]!, olga)
    await beaPage.context().close()
    await olgaPage.context().close()
  })

  test('signing in takes both factors: the password alone opens nothing, a wrong code is refused', async () => {
    const page = await newPage(browser)
    await page.goto(url('/portal/sign-in'))
    await page.fill('#email', sam.email)
    await page.fill('#password', sam.password)
    await submit(page)
    expect(new URL(page.url()).pathname).toBe('/portal/second-factor')
    await expectAccessible(page, 'second factor')
    // Half signed in: every page sends back to the second factor.
    await page.goto(url('/portal/sent'))
    expect(new URL(page.url()).pathname).toBe('/portal/second-factor')
    const wrong = String((Number(totp(sam.secret, currentStep())) + 1) % 1_000_000).padStart(6, '0')
    await page.fill('#code', wrong)
    await submit(page)
    expect(await page.locator('.notice.error').innerText()).toMatch(/code/i)
    await page.fill('#code', await nextCode(sam))
    await submit(page)
    expect(new URL(page.url()).pathname).toBe('/portal/sent')
    // A recovery code works once.
    const second = await newPage(browser)
    await second.goto(url('/portal/sign-in'))
    await second.fill('#email', sam.email)
    await second.fill('#password', sam.password)
    await submit(second)
    await second.goto(url('/portal/second-factor?recovery=1'))
    await second.fill('#recovery', sam.recovery[0]!)
    await submit(second)
    expect(new URL(second.url()).pathname).toBe('/portal/sent')
    await page.context().close()
    await second.context().close()
  })

  test('a supplier deposits a UBL and a Factur-X at once, with progress, and follows them to MISE_A_DISPOSITION', async () => {
    const ubl = withInvoiceNumber(withSellerSiret(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', buyer.siret), supplier.siret))
    const cii = withInvoiceNumber(Buffer.from((await fixture('cii-invoice.xml')).toString('utf8').replaceAll('35600000000048', supplier.siret).replaceAll('21690123100011', buyer.siret)))
    const pdf = await buildFacturX(cii)
    await samPage.goto(url('/portal/deposit'))
    await expectAccessible(samPage, 'deposit')
    await samPage.setInputFiles('#files', [
      { name: 'facture-ubl.xml', mimeType: 'application/xml', buffer: ubl },
      { name: 'facture-fx.pdf', mimeType: 'application/pdf', buffer: pdf },
    ])
    await samPage.locator('main form button[type=submit]').click()
    await samPage.locator('[data-uploads] li[data-outcome]').nth(1).waitFor({ timeout: 30_000 })
    const outcomes = await samPage.locator('[data-uploads] li').evaluateAll((items) => items.map((li: any) => ({ file: li.dataset.file, outcome: li.dataset.outcome, done: li.querySelector('progress').value === li.querySelector('progress').max })))
    expect(outcomes).toEqual([{ file: 'facture-ubl.xml', outcome: 'accepted', done: true }, { file: 'facture-fx.pdf', outcome: 'accepted', done: true }])
    await expectAccessible(samPage, 'deposit with uploads')
    for (const size of ['desktop', 'phone'] as const) await screenshot(samPage, 'portal-deposit', size)
    const links = await samPage.locator('[data-uploads] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!))
    ;[deposited.ubl, deposited.facturx] = links.map((l) => l.split('/').at(-1)!)
    // Followed on the document's page until the hub made it available to the buyer.
    for (const id of [deposited.ubl, deposited.facturx]) {
      const deadline = Date.now() + 60_000
      let status = ''
      while (Date.now() < deadline) {
        await samPage.goto(url(`/portal/documents/${id}`))
        status = (await samPage.locator('[data-status]').getAttribute('data-status'))!
        if (['MISE_A_DISPOSITION', 'REJETEE', 'A_RECYCLER', 'EN_ERREUR'].includes(status)) break
        await samPage.waitForTimeout(500)
      }
      expect(status, `document ${id}`).toBe('MISE_A_DISPOSITION')
    }
    await expectAccessible(samPage, 'document page')
    for (const size of ['desktop', 'phone'] as const) await screenshot(samPage, 'portal-document', size)
    // The readable rendering.
    const pdfAnswer = await samPage.request.get(url(`/portal/documents/${deposited.facturx}/pdf`))
    expect(pdfAnswer.status()).toBe(200)
    expect(pdfAnswer.headers()['content-type']).toBe('application/pdf')
    expect((await pdfAnswer.body()).subarray(0, 5).toString()).toBe('%PDF-')
    // Both in the list of sent documents, by the portal's own deposit record and the invoice's seller.
    await samPage.goto(url('/portal/sent'))
    await expectAccessible(samPage, 'sent list')
    for (const size of ['desktop', 'phone'] as const) await screenshot(samPage, 'portal-sent', size)
    for (const id of [deposited.ubl, deposited.facturx]) expect(await samPage.locator(`tr[data-document="${id}"]`).count()).toBe(1)
  })

  test('a rejected deposit shows its findings in words: rule, what is wrong, where', async () => {
    const bad = withInvoiceNumber(withSellerSiret(withBuyerAddress(await fixture('ubl-invoice-invalid-totals.xml'), '21750001600019', buyer.siret), supplier.siret))
    await samPage.goto(url('/portal/deposit'))
    await samPage.setInputFiles('#files', [{ name: 'wrong-totals.xml', mimeType: 'application/xml', buffer: bad }])
    await samPage.locator('main form button[type=submit]').click()
    await samPage.locator('[data-uploads] li[data-outcome]').first().waitFor({ timeout: 30_000 })
    const id = (await samPage.locator('[data-uploads] a').first().getAttribute('href'))!.split('/').at(-1)!
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      await samPage.goto(url(`/portal/documents/${id}`))
      if (await samPage.locator('[data-status="REJETEE"]').count()) break
      await samPage.waitForTimeout(500)
    }
    expect(await samPage.locator('[data-status]').getAttribute('data-status')).toBe('REJETEE')
    const rows = await samPage.locator('table.findings tbody tr').allInnerTexts()
    expect(rows.some((r) => /BR-CO-\d+/.test(r) && /\/|line/.test(r))).toBe(true)
    await expectAccessible(samPage, 'rejected document')
  })

  test('the buyer\'s principal manager adds a clerk, who approves one invoice and refuses the other with a reason', async () => {
    const beaPage = await newPage(browser)
    await signIn(beaPage, bea)
    await beaPage.goto(url(`/portal/structures/${buyer.siret}`))
    await expectAccessible(beaPage, 'members')
    await beaPage.fill('#p-name', carl.name)
    await beaPage.fill('#p-email', carl.email)
    await beaPage.selectOption('#p-role', 'user')
    await submit(beaPage)
    const link = await shownLink(beaPage)
    expect(await beaPage.locator(`tr[data-person="${carl.email}"]`).count()).toBe(1)
    for (const size of ['desktop', 'phone'] as const) await screenshot(beaPage, 'portal-members', size)
    await beaPage.context().close()

    carlPage = await newPage(browser)
    await setUp(carlPage, link, carl)
    expect(new URL(carlPage.url()).pathname).toBe('/portal/received')
    // The clerk's filters: by supplier, by status.
    // The clerk's filters: by supplier (its SIRET or name), status, commitment number, amount.
    await carlPage.goto(url(`/portal/received?party=${supplier.siret}&status=MISE_A_DISPOSITION`))
    await expectAccessible(carlPage, 'received list')
    for (const size of ['desktop', 'phone'] as const) await screenshot(carlPage, 'portal-received', size)
    for (const id of [deposited.ubl, deposited.facturx]) expect(await carlPage.locator(`tr[data-document="${id}"]`).count()).toBe(1)
    // Buyer-side pages only: a clerk of a public structure neither deposits nor sends.
    expect(await carlPage.locator('nav a[href="/portal/deposit"]').count()).toBe(0)
    await carlPage.goto(url(`/portal/received?party=${supplier.siret}&min=1000000`))
    expect(await carlPage.locator('tr[data-document]').count()).toBe(0)
    await carlPage.goto(url(`/portal/received?party=${supplier.siret}&commitment=EJ-2026-000777`))
    expect(await carlPage.locator(`tr[data-document="${deposited.facturx}"]`).count()).toBe(1)
    expect(await carlPage.locator(`tr[data-document="${deposited.ubl}"]`).count()).toBe(0)

    // Approve the UBL.
    await carlPage.goto(url(`/portal/documents/${deposited.ubl}`))
    await expectAccessible(carlPage, 'document to process')
    await carlPage.selectOption('#process-status', 'APPROUVEE')
    await submit(carlPage, 'form[data-form="process"]')
    expect(await carlPage.locator('[data-status]').getAttribute('data-status')).toBe('APPROUVEE')
    expect(await carlPage.locator('.notice.ok').count()).toBe(1)

    // Refuse the Factur-X: without a reason it is refused, with one it is done and the supplier reads why.
    await carlPage.goto(url(`/portal/documents/${deposited.facturx}`))
    await carlPage.selectOption('#process-status', 'REFUSEE')
    await submit(carlPage, 'form[data-form="process"]')
    expect(await carlPage.locator('.notice.error').count()).toBe(1)
    expect(await carlPage.locator('[data-status]').getAttribute('data-status')).toBe('MISE_A_DISPOSITION')
    await carlPage.selectOption('#process-status', 'REFUSEE')
    await carlPage.fill('#process-reason', 'Le bon de commande 4500012345 ne correspond pas.')
    await submit(carlPage, 'form[data-form="process"]')
    expect(await carlPage.locator('[data-status]').getAttribute('data-status')).toBe('REFUSEE')
    // The same rule as the API: a refused invoice cannot then be approved (409, and the allowed statuses said).
    const token = await carlPage.locator('input[name=_csrf]').first().inputValue()
    const late = await carlPage.request.post(url(`/portal/documents/${deposited.facturx}/status`), { form: { _csrf: token, status: 'APPROUVEE', reason: '' }, headers: { origin: hub().url } })
    expect(late.status()).toBe(409)

    const seen = await api('GET', `/v1/documents/${deposited.facturx}`, { key: supplier.key })
    expect(seen.json.status).toBe('REFUSEE')
    const history = await withDb(async (c) => (await c.query(`SELECT status, reason, actor FROM status_history WHERE document_id = $1 ORDER BY sequence`, [deposited.facturx])).rows)
    expect(history.at(-1)).toEqual({ status: 'REFUSEE', reason: 'Le bon de commande 4500012345 ne correspond pas.', actor: 'recipient' })
    expect((await api('GET', `/v1/documents/${deposited.ubl}`, { key: supplier.key })).json.status).toBe('APPROUVEE')
  })

  test('a person of another structure gets nothing: not in lists, 404 on the pages, the PDF, the status form and the structure', async () => {
    const page = await newPage(browser)
    await signIn(page, olga)
    for (const list of ['/portal/sent', '/portal/received']) {
      await page.goto(url(list))
      for (const id of [deposited.ubl, deposited.facturx]) expect(await page.locator(`tr[data-document="${id}"]`).count()).toBe(0)
    }
    for (const path of [`/portal/documents/${deposited.ubl}`, `/portal/documents/${deposited.ubl}/pdf`, `/portal/documents/${deposited.ubl}/original`, `/portal/structures/${buyer.siret}`, `/portal/structures/${supplier.siret}`]) {
      expect((await page.request.get(url(path))).status(), path).toBe(404)
    }
    const token = await page.locator('input[name=_csrf]').first().inputValue()
    const post = await page.request.post(url(`/portal/documents/${deposited.ubl}/status`), { form: { _csrf: token, status: 'REFUSEE', reason: 'x' }, headers: { origin: hub().url } })
    expect(post.status()).toBe(404)
    const upload = await page.request.post(url(`/portal/deposit?structure=${supplier.siret}`), { data: await fixture('ubl-invoice.xml'), headers: { 'content-type': 'application/xml', 'x-csrf-token': token, origin: hub().url } })
    expect(upload.status()).toBe(404)
    // Not an operator either.
    expect((await page.request.get(url('/portal/admin'))).status()).toBe(403)
    await page.context().close()
  })

  test('CSRF: a form without the session\'s token, or from another origin, changes nothing', async () => {
    await carlPage.goto(url(`/portal/documents/${deposited.ubl}`))
    const token = await carlPage.locator('input[name=_csrf]').first().inputValue()
    const noToken = await carlPage.request.post(url(`/portal/documents/${deposited.ubl}/status`), { form: { status: 'EN_LITIGE', reason: 'x' }, headers: { origin: hub().url } })
    expect(noToken.status()).toBe(403)
    const wrongToken = await carlPage.request.post(url(`/portal/documents/${deposited.ubl}/status`), { form: { _csrf: token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), status: 'EN_LITIGE', reason: 'x' }, headers: { origin: hub().url } })
    expect(wrongToken.status()).toBe(403)
    // The pages' scripts get the refusal as problem+json.
    const badUpload = await carlPage.request.post(url(`/portal/deposit?structure=${supplier.siret}`), { data: '<x/>', headers: { 'content-type': 'application/xml', 'x-csrf-token': 'not-the-token', origin: hub().url } })
    expect(badUpload.status()).toBe(403)
    expect(badUpload.headers()['content-type']).toMatch(/^application\/problem\+json/)
    const otherOrigin = await carlPage.request.post(url(`/portal/documents/${deposited.ubl}/status`), { form: { _csrf: token, status: 'EN_LITIGE', reason: 'x' }, headers: { origin: 'http://127.0.0.1:1' } })
    expect(otherOrigin.status()).toBe(403)
    // A page of another origin (same host, another port: same site, so the cookie goes along) posts a form that
    // submits itself: the browser says where it comes from and the hub refuses it.
    const evil = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html')
      res.end(`<!doctype html><form id="f" method="post" action="${url(`/portal/documents/${deposited.ubl}/status`)}"><input name="_csrf" value="${token}"><input name="status" value="EN_LITIGE"><input name="reason" value="forged"></form><script>document.getElementById('f').submit()</script>`)
    })
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r))
    const forged = carlPage.waitForResponse((r) => r.url().endsWith(`/portal/documents/${deposited.ubl}/status`))
    await carlPage.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`)
    expect((await forged).status()).toBe(403)
    evil.close()
    expect((await api('GET', `/v1/documents/${deposited.ubl}`, { key: supplier.key })).json.status).toBe('APPROUVEE')
  })

  test('session fixation: an id planted before the sign-in never becomes a signed-in session', async () => {
    // The victim's browser holds an anonymous session id the attacker knows (planted by them, or read off the
    // sign-in page's cookie: here, read from the browser before the sign-in).
    const page = await newPage(browser)
    await page.goto(url('/portal/sign-in'))
    const planted = await sessionCookie(page)
    expect(planted?.value).toMatch(/^[A-Za-z0-9_-]{43}$/)
    await signIn(page, olga)
    expect(new URL(page.url()).pathname).not.toBe('/portal/sign-in')
    const now = await sessionCookie(page)
    expect(now?.value).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(now!.value).not.toBe(planted!.value)
    // The planted id opens nothing: it was ended when the password was given; the new one does open the pages.
    const tried = await fetch(url('/portal/account'), { headers: { cookie: `${planted!.name}=${planted!.value}` }, redirect: 'manual' })
    expect(tried.status).toBe(303)
    expect(tried.headers.get('location')).toMatch(/^\/portal\/sign-in/)
    const own = await fetch(url('/portal/account'), { headers: { cookie: `${now!.name}=${now!.value}` }, redirect: 'manual' })
    expect(own.status).toBe(200)
    await expectAccessible(page, 'account')
    await page.context().close()
  })

  test('sign out everywhere ends the person\'s other sessions', async () => {
    const other = await newPage(browser)
    await signIn(other, sam)
    expect(new URL(other.url()).pathname).toBe('/portal/sent')
    await samPage.goto(url('/portal/account'))
    await expectAccessible(samPage, 'security page')
    await submit(samPage, 'form[action$="sign-out-everywhere"]')
    expect(await samPage.locator('.notice.ok').innerText()).toMatch(/\(\d+\)/)
    await other.goto(url('/portal/sent'))
    expect(new URL(other.url()).pathname).toBe('/portal/sign-in')
    // The one that asked goes on.
    await samPage.goto(url('/portal/sent'))
    expect(new URL(samPage.url()).pathname).toBe('/portal/sent')
    await other.context().close()
  })

  test('keyboard only: the skip link, the sign-in form and the second factor work with Tab and Enter, focus always shown', async () => {
    const page = await newPage(browser)
    await page.goto(url('/portal/sign-in'))
    const tabTo = async (id: string) => {
      for (let i = 0; i < 15; i++) {
        if (await page.evaluate(() => (globalThis as any).document.activeElement?.id) === id) return
        await page.keyboard.press('Tab')
      }
      throw new Error(`#${id} not reached with Tab`)
    }
    const outline = () => page.evaluate(() => { const e = (globalThis as any).document.activeElement; const st = (globalThis as any).getComputedStyle(e); return `${st.outlineStyle} ${st.outlineWidth}` })
    await tabTo('email')
    expect(await outline()).toMatch(/^solid [1-9]/)
    await page.keyboard.type(sam.email)
    await tabTo('password')
    await page.keyboard.type(sam.password)
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')])
    expect(new URL(page.url()).pathname).toBe('/portal/second-factor')
    await tabTo('code')
    await page.keyboard.type(await nextCode(sam))
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')])
    expect(new URL(page.url()).pathname).toBe('/portal/sent')
    // On a page without a form to fill, the first Tab reaches the skip link, which takes the focus to the content.
    await page.goto(url('/portal/account'))
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.className)).toBe('skip')
    expect(await outline()).toMatch(/^solid [1-9]/)
    await page.keyboard.press('Enter')
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('main')
    await page.context().close()
  })

  test('sign-in is limited per account: after 5 failures even the right password waits, and each try is recorded', async () => {
    const page = await newPage(browser, { lang: 'en' })
    const victim = olga
    for (let i = 0; i < 5; i++) {
      await page.goto(url('/portal/sign-in'))
      await page.fill('#email', victim.email)
      await page.fill('#password', `wrong password number ${i}`)
      await submit(page)
      expect(await page.locator('.notice.error').innerText()).toMatch(/do not match/)
    }
    await page.goto(url('/portal/sign-in'))
    await page.fill('#email', victim.email)
    await page.fill('#password', victim.password)
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/portal/sign-in') && r.request().method() === 'POST'), page.locator('main form button[type=submit]').click()])
    expect(answer.status()).toBe(429)
    expect(await page.locator('.notice.error').innerText()).toMatch(/Too many failed attempts/)
    const events = await withDb(async (c) => (await c.query(`SELECT outcome, count(*)::int AS n FROM portal_events WHERE email = $1 AND kind = 'sign-in.password' GROUP BY outcome`, [victim.email])).rows)
    expect(events).toEqual(expect.arrayContaining([{ outcome: 'failed', n: 5 }, { outcome: 'refused', n: 1 }]))
    await page.context().close()
  })
})
