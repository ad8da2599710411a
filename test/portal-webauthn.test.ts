// Security keys and passkeys in the portal, in Chromium with the DevTools protocol's virtual authenticators (a CTAP2
// platform authenticator that says yes by itself): a supplier's manager adds a key on the security page, signs in
// with the password and the key (no TOTP code), another browser with another authenticator cannot pass the second
// factor (neither without the key nor with a key of the same id but another private key), and the removed key is
// no longer offered. axe on the security page and the second-factor page.
// WebAuthn refuses an IP address as the relying party's id: the pages are opened on localhost, not 127.0.0.1.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { generateKeyPairSync } from 'node:crypto'
import type { Browser, CDPSession, Page } from 'playwright-core'
import { api, hub, randomSiret, withDb } from './helpers.js'
import { expectAccessible, launchBrowser, newPage } from './browser.js'
import { newMember, person, setUp, submit } from './portal-people.js'
import { webauthnMessages } from '../services/gateway/portal/webauthn-i18n.js'

const fr = webauthnMessages.fr
const onLocalhost = (address: string) => { const u = new URL(address); u.hostname = 'localhost'; return u.toString() }
const url = (path: string) => onLocalhost(hub().url + path)
const path = (page: Page) => new URL(page.url()).pathname

async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  })
  return { cdp, authenticatorId }
}

/** The password step; the page is then at the second factor. */
async function password(page: Page, p: { email: string; password: string }) {
  await page.goto(url('/portal/sign-in'))
  await page.fill('#email', p.email)
  await page.fill('#password', p.password)
  await submit(page)
  expect(path(page)).toBe('/portal/second-factor')
}

const events = (email: string, kind: string) => withDb(async (c) =>
  (await c.query<{ outcome: string; detail: Record<string, unknown> }>('SELECT outcome, detail FROM portal_events WHERE email = $1 AND kind = $2 ORDER BY id', [email, kind])).rows)
const keysOf = (email: string) => withDb(async (c) =>
  (await c.query<{ id: string; credential_id: string; name: string; counter: string; transports: string[]; last_used_at: Date | null }>(
    'SELECT k.* FROM webauthn_credentials k JOIN people p ON p.id = k.person_id WHERE p.email = $1', [email])).rows)

describe('security keys and passkeys in the portal, in Chromium', () => {
  let browser: Browser
  let page: Page
  const pat = person('Pat')

  beforeAll(async () => {
    browser = await launchBrowser()
    const siret = randomSiret()
    const admin = { key: hub().adminKey }
    const partner = await api('POST', '/v1/partners', { ...admin, body: { name: `Fournitures Clés ${siret}`, addresses: [] } })
    expect(partner.status).toBe(201)
    expect((await api('PUT', `/v1/partners/${partner.json.id}/sellers`, { ...admin, body: { sellers: [`0009:${siret}`] } })).status).toBe(200)
    const link = await newMember(pat, { partnerId: partner.json.id, siret, role: 'principal' })
    page = await newPage(browser)
    await setUp(page, onLocalhost(link), pat)
    expect(path(page)).toBe('/portal/sent')
    await virtualAuthenticator(page)
  })
  afterAll(async () => { await browser?.close() })

  test('a signed-in person adds a key on the security page; bad requests are 4xx with a reason', async () => {
    await page.goto(url('/portal/account'))
    expect(await page.locator('[data-no-keys]').isVisible()).toBe(true)
    expect(await page.locator('[data-webauthn="register"]').isVisible()).toBe(true)
    await expectAccessible(page, 'security page, no key')
    await page.fill('#key-name', 'Clé du bureau')
    await Promise.all([page.waitForURL(/\/portal\/account\?key=/), page.click('[data-webauthn="register"] button[type=submit]')])
    expect(await page.locator('table.keys tbody tr').allInnerTexts()).toEqual([expect.stringContaining('Clé du bureau')])
    expect(await page.locator('#keys-h ~ .notice.ok').innerText()).toBe(fr.keyAdded)
    await expectAccessible(page, 'security page, one key')
    const [key] = await keysOf(pat.email)
    expect(key).toMatchObject({ name: 'Clé du bureau', transports: ['internal'] })
    expect(await events(pat.email, 'factor.webauthn.added')).toEqual([{ outcome: 'ok', detail: expect.objectContaining({ key: key!.id, name: 'Clé du bureau' }) }])

    // The JSON endpoints: malformed JSON, a body of the wrong shape, no challenge, no CSRF token.
    const csrf = await page.locator('[data-webauthn="register"] input[name=_csrf]').inputValue()
    const answers = await page.evaluate(async (csrf) => {
      const send = async (to: string, body: string, token = csrf) => {
        const res = await fetch(to, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token }, body })
        return { status: res.status, type: res.headers.get('content-type'), text: await res.text() }
      }
      return [
        await send('/portal/account/security-keys', '{"name": '),
        await send('/portal/account/security-keys', '{"name": "x", "credential": {"id": 1}}'),
        await send('/portal/account/security-keys', JSON.stringify({ name: '', credential: { id: 'AAAAAAAAAAAAAAAAAAAAAA', rawId: 'AAAAAAAAAAAAAAAAAAAAAA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' } } })),
        await send('/portal/account/security-keys', JSON.stringify({ name: 'k', credential: { id: 'AAAAAAAAAAAAAAAAAAAAAA', rawId: 'AAAAAAAAAAAAAAAAAAAAAA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' } } })),
        await send('/portal/account/security-keys/options', '{}', 'wrong'),
        await send('/portal/second-factor/webauthn', '{}'),
      ]
    }, csrf)
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 409, 403, 401])
    for (const a of answers.filter((x) => x.status !== 403)) expect(a.type).toMatch(/^application\/problem\+json/)
    expect(answers.map((a) => a.status === 403 ? '' : JSON.parse(a.text).detail)).toEqual([fr.badRequest, fr.badRequest, fr.badName, fr.noChallenge, '', fr.signInFirst])
  })

  test('signs out, then in with the password and the key, no code: signed in, and the event log has the key\'s sign-in', async () => {
    await submit(page, 'header form[action="/portal/sign-out"]')
    expect(path(page)).toBe('/portal/sign-in')
    await password(page, pat)
    const offer = page.locator('[data-webauthn="sign-in"]')
    expect(await offer.isVisible()).toBe(true)
    expect(await page.locator('#code').isVisible()).toBe(true) // the TOTP form stays
    await expectAccessible(page, 'second factor with a key')
    await Promise.all([page.waitForURL((u) => u.pathname === '/portal/sent'), offer.locator('button').click()])
    await page.goto(url('/portal/account'))
    expect(path(page)).toBe('/portal/account')
    const [key] = await keysOf(pat.email)
    expect(Number(key!.counter)).toBeGreaterThan(0)
    expect(key!.last_used_at).not.toBeNull()
    expect(await events(pat.email, 'sign-in.webauthn')).toEqual([{ outcome: 'ok', detail: expect.objectContaining({ key: key!.id }) }])
    expect((await events(pat.email, 'sign-in')).at(-1)).toEqual({ outcome: 'ok', detail: { factor: 'webauthn' } })
    // The security page shows it too.
    expect(await page.locator('#events-h ~ .table tbody tr').allInnerTexts()).toContainEqual(expect.stringMatching(/sign-in\.webauthn\s+ok/))
  })

  test('another browser, with an authenticator that does not hold the key, cannot pass the second factor', async () => {
    const other = await newPage(browser)
    try {
      const { cdp, authenticatorId } = await virtualAuthenticator(other)
      await password(other, pat)
      const offer = other.locator('[data-webauthn="sign-in"]')
      const status = offer.locator('[data-webauthn-status]')
      // No credential of the account on this authenticator: the browser itself says no.
      await offer.locator('button').click()
      await status.filter({ hasText: fr.cancelled }).waitFor({ timeout: 20_000 })
      expect(path(other)).toBe('/portal/second-factor')
      // The key's id, but another private key (a forged copy): the hub checks the signature and refuses it.
      const [key] = await keysOf(pat.email)
      const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')
      await cdp.send('WebAuthn.addCredential', {
        authenticatorId,
        credential: { credentialId: Buffer.from(key!.credential_id, 'base64url').toString('base64'), isResidentCredential: false, rpId: 'localhost', privateKey, signCount: 1000 },
      })
      await offer.locator('button').click()
      await status.filter({ hasText: fr.notRecognised }).waitFor({ timeout: 20_000 })
      expect((await events(pat.email, 'sign-in.webauthn')).at(-1)).toEqual({ outcome: 'failed', detail: { key: key!.id, reason: 'signature not valid' } })
      await other.goto(url('/portal/sent'))
      expect(path(other)).toBe('/portal/second-factor')
    } finally {
      await other.context().close()
    }
  })

  test('the key is removed: recorded, and the second-factor page no longer offers it', async () => {
    await page.goto(url('/portal/account'))
    await submit(page, 'table.keys form')
    expect(path(page)).toBe('/portal/account')
    expect(await page.locator('[data-no-keys]').isVisible()).toBe(true)
    expect(await keysOf(pat.email)).toEqual([])
    expect(await events(pat.email, 'factor.webauthn.removed')).toEqual([{ outcome: 'ok', detail: expect.objectContaining({ name: 'Clé du bureau' }) }])
    const again = await newPage(browser)
    try {
      await password(again, pat)
      expect(await again.locator('#code').isVisible()).toBe(true)
      expect(await again.locator('[data-webauthn]').count()).toBe(0)
      await expectAccessible(again, 'second factor without a key')
    } finally {
      await again.context().close()
    }
  })
})
