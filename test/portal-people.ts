// People in the portal, as the browser tests drive them: TOTP codes computed as an authenticator app does (RFC 6238
// over RFC 4226, independent of the hub's otplib), a setup link followed to a password and an enrolled factor, a
// sign-in with both factors, and people made directly in the database (with their setup link) for test files that
// do not go through the first operator's pages (portal.test.ts does).
import { expect } from 'vitest'
import { createHmac } from 'node:crypto'
import type { Page } from 'playwright-core'
import { api, hub, randomSiret } from './helpers.js'
import { createDb } from '../services/kit/db.js'
import { addMembership, ensurePerson, newSetupLink, type Role } from '../services/gateway/portal/people.js'
import { expectAccessible, screenshot } from './browser.js'

const url = (path: string) => hub().url + path
const admin = () => ({ key: hub().adminKey })

// ---- TOTP as an authenticator app computes it (RFC 6238 over RFC 4226), independent of the hub's otplib ----
export function base32(secret: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const ch of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0')
  return Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)))
}
export function totp(secret: string, step: number): string {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(step))
  const mac = createHmac('sha1', base32(secret)).update(counter).digest()
  const offset = mac[mac.length - 1]! & 0xf
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}
export const currentStep = () => Math.floor(Date.now() / 30_000)

export type Person = { email: string; name: string; password: string; secret: string; lastStep: number; recovery: string[] }
export const person = (name: string): Person => ({
  email: `${name.toLowerCase()}.${Math.random().toString(36).slice(2, 8)}@example.org`, name,
  password: `tiroir ${Math.random().toString(36).slice(2, 6)} lanterne verte`, secret: '', lastStep: 0, recovery: [],
})
/** A code the hub accepts now: a step it has not seen for this person, within one step of the clock. */
export async function nextCode(p: Person): Promise<string> {
  let step = Math.max(currentStep(), p.lastStep + 1)
  while (step > currentStep() + 1) await new Promise((r) => setTimeout(r, 1000))
  step = Math.max(step, currentStep())
  p.lastStep = step
  return totp(p.secret, step)
}

export const submit = (page: Page, form = 'main form') => Promise.all([page.waitForEvent('load'), page.locator(`${form} button[type=submit]`).first().click()])

/** Opens a setup link, chooses the password, enrols TOTP from the key shown, keeps the recovery codes. */
export async function setUp(page: Page, link: string, p: Person, shots = false) {
  await page.goto(link)
  await expectAccessible(page, 'setup')
  await page.fill('#password', p.password)
  await page.fill('#confirm', p.password)
  await submit(page)
  expect(new URL(page.url()).pathname).toBe('/portal/enrol')
  await expectAccessible(page, 'enrol')
  if (shots) for (const size of ['desktop', 'phone'] as const) await screenshot(page, 'portal-enrol', size)
  p.secret = (await page.locator('[data-secret]').innerText()).replace(/\s/g, '')
  expect(p.secret).toMatch(/^[A-Z2-7]{32}$/)
  await page.fill('#code', await nextCode(p))
  await submit(page)
  p.recovery = await page.locator('[data-recovery-codes] code').allInnerTexts()
  expect(p.recovery).toHaveLength(10)
  await expectAccessible(page, 'recovery codes')
  await Promise.all([page.waitForLoadState('load'), page.locator('main a.button').click()])
}

export async function signIn(page: Page, p: Person) {
  await page.goto(url('/portal/sign-in'))
  await page.fill('#email', p.email)
  await page.fill('#password', p.password)
  await submit(page)
  expect(new URL(page.url()).pathname).toBe('/portal/second-factor')
  await page.fill('#code', await nextCode(p))
  await submit(page)
}

/** The setup link a manager or the operator is shown once. */
export const shownLink = async (page: Page) => (await page.locator('[data-setup-link]').innerText()).trim()

/** The portal's session cookie of a page's context. */
export const sessionCookie = async (page: Page) => (await page.context().cookies(hub().url)).find((c) => c.name.includes('facteur-session'))

/**
 * A person made in the database with a membership (or as an operator), and their one-use setup link: for test files
 * that need people without the operator's pages. Follow the link with setUp().
 */
export async function newMember(p: Person, place: { partnerId: string; siret: string; role: Role } | { operator: true }): Promise<string> {
  const db = createDb(hub().databaseUrl, { max: 1, application: 'portal-test' })
  try {
    const made = await ensurePerson(db, { email: p.email, name: p.name, operator: 'operator' in place })
    if ('partnerId' in place) await addMembership(db, { personId: made.id, partnerId: place.partnerId, siret: place.siret, role: place.role, addedBy: null })
    return url(`/portal/setup/${await newSetupLink(db, made.id, null, 1)}`)
  } finally {
    await db.end()
  }
}

/** A supplier sends for its SIRET (a seller binding); a public buyer is in the directory and receives at its SIRET. */
export async function portalTenant(name: string, kind: 'supplier' | 'buyer') {
  const siret = randomSiret()
  if (kind === 'buyer') expect((await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body: { name, endpoint: null } })).status).toBe(201)
  const created = await api('POST', '/v1/partners', { ...admin(), body: { name: `${name} ${siret}`, addresses: kind === 'buyer' ? [`0009:${siret}`] : [] } })
  expect(created.status).toBe(201)
  if (kind === 'supplier') expect((await api('PUT', `/v1/partners/${created.json.id}/sellers`, { ...admin(), body: { sellers: [`0009:${siret}`] } })).status).toBe(200)
  return { id: created.json.id as string, key: created.json.apiKey as string, siret, name }
}
