// API keys as a tenant and the operator live with them: rotation with a grace period, revocation, the admin's
// audit log, the per-key rate limit and the cap on concurrent large uploads, seeding across restarts, and the
// sellers a partner is bound to (no sending, hence no squatting of invoice numbers, for anyone else).
// The shared hub of test/setup.ts serves most; settings it does not have (a 2 s grace, a rate of 1/s, one
// upload slot) get a gateway of their own on the same database: the same code, other configuration.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { randomBytes } from 'node:crypto'
import { api, fixture, FIXTURE_SELLER, hub, postDocument, randomSiret, waitForStatus, withBuyerAddress, withDb, withInvoiceNumber, withSellerSiret } from './helpers.js'
import { createApp } from '../services/gateway/app.js'
import { hashApiKey, upsertPrincipal } from '../services/gateway/api-keys.js'
import { loadConfig } from '../services/kit/config.js'
import { createDb, type Db } from '../services/kit/db.js'
import { createLogger } from '../services/kit/log.js'

const admin = () => ({ key: hub().adminKey })

/** A partner of the shared hub with its own SIRET address (it sends for itself) and a structure to receive. */
async function newPartner(options: { addresses?: string[] } = {}) {
  const siret = randomSiret()
  const created = await api('POST', '/v1/partners', { ...admin(), body: { name: `Partner ${siret}`, addresses: options.addresses ?? [`0009:${siret}`] } })
  expect(created.status).toBe(201)
  return { id: created.json.id as string, key: created.json.apiKey as string, siret }
}

/** A gateway of this file's own on the shared database, with `settings` on top of the hub's. */
async function ownGateway(settings: Record<string, string>) {
  const h = hub()
  const config = loadConfig({
    FACTEUR_KAFKA_BROKERS: h.kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: h.registryUrl, DATABASE_URL: h.databaseUrl,
    FACTEUR_TOPIC_PREFIX: h.topicPrefix, FACTEUR_HTTP_PORT: '0', ...settings,
  })
  const db: Db = createDb(h.databaseUrl, { max: 4, application: 'keys-test' })
  const app = createApp({ config, db, log: createLogger('silent'), checks: {} })
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    base, server,
    call: async (method: string, path: string, key: string, body?: object) => {
      const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined })
      const text = await res.text()
      let json: any = null
      try { json = JSON.parse(text) } catch { /* not JSON */ }
      return { status: res.status, headers: res.headers, json, text }
    },
    async stop() { server.closeAllConnections(); await new Promise((r) => server.close(r)); await db.end() },
  }
}

describe('rotation and revocation', () => {
  let gateway: Awaited<ReturnType<typeof ownGateway>>
  beforeAll(async () => { gateway = await ownGateway({ FACTEUR_KEY_ROTATION_GRACE_SECONDS: '2' }) })
  afterAll(async () => { await gateway.stop() })

  test('a partner rotates its own key: both work during the grace period, then only the new one', async () => {
    const p = await newPartner()
    const rotated = await gateway.call('POST', '/v1/keys:rotate', p.key)
    expect(rotated.status).toBe(201)
    expect(rotated.json).toEqual({ id: expect.any(String), apiKey: expect.stringMatching(/^fct_/), createdAt: expect.any(String), replaced: [{ id: expect.any(String), expiresAt: expect.any(String) }] })
    const fresh = rotated.json.apiKey as string
    expect((await gateway.call('GET', '/v1/documents?limit=1', p.key)).status).toBe(200)
    expect((await gateway.call('GET', '/v1/documents?limit=1', fresh)).status).toBe(200)
    const expiresAt = new Date(rotated.json.replaced[0].expiresAt).getTime()
    expect(expiresAt - Date.now()).toBeGreaterThan(0)
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(2000)
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 200))
    const old = await gateway.call('GET', '/v1/documents?limit=1', p.key)
    expect(old.status).toBe(401)
    expect(old.json.detail).toMatch(/^this API key was replaced and stopped working at .*; use the key that replaced it$/)
    expect((await gateway.call('GET', '/v1/documents?limit=1', fresh)).status).toBe(200)
    // The shared hub (another gateway, the same database) agrees: keys are not a per-process state.
    expect((await api('GET', '/v1/documents?limit=1', { key: p.key })).status).toBe(401)
    expect((await api('GET', '/v1/documents?limit=1', { key: fresh })).status).toBe(200)
  })

  test('the admin lists a partner\'s keys (never their hashes), rotates them and revokes one at once', async () => {
    const p = await newPartner()
    const issued = await api('POST', `/v1/partners/${p.id}/keys`, admin())
    expect(issued.status).toBe(201)
    expect(issued.json.replaced).toHaveLength(1)
    const listed = await api('GET', `/v1/partners/${p.id}/keys`, admin())
    expect(listed.status).toBe(200)
    expect(listed.json.keys.map((k: any) => [k.origin, k.state])).toEqual([['issued', 'expiring'], ['rotation', 'active']])
    expect(listed.text).not.toContain(hashApiKey(p.key))
    expect(listed.text).not.toContain(p.key)
    expect(listed.text).not.toContain(issued.json.apiKey)

    const revoked = await api('DELETE', `/v1/partners/${p.id}/keys/${issued.json.id}`, admin())
    expect(revoked.status).toBe(200)
    expect(revoked.json).toMatchObject({ id: issued.json.id, state: 'revoked', revokedAt: expect.any(String) })
    const refused = await api('GET', '/v1/documents?limit=1', { key: issued.json.apiKey })
    expect(refused.status).toBe(401)
    expect(refused.json.detail).toMatch(/^this API key was revoked at .*; ask the operator for a new key$/)
    // The old key is in its grace period: still valid, and the revocation of another key did not touch it.
    expect((await api('GET', '/v1/documents?limit=1', { key: p.key })).status).toBe(200)
    // Revoking twice keeps the first time; an unknown key, or another partner's, is a 404.
    expect((await api('DELETE', `/v1/partners/${p.id}/keys/${issued.json.id}`, admin())).json.revokedAt).toBe(revoked.json.revokedAt)
    const other = await newPartner()
    const otherKeyId = (await api('GET', `/v1/partners/${other.id}/keys`, admin())).json.keys[0].id
    expect((await api('DELETE', `/v1/partners/${p.id}/keys/${otherKeyId}`, admin())).status).toBe(404)
    expect((await api('GET', '/v1/documents?limit=1', { key: other.key })).status).toBe(200)
    // A partner key may not administer keys, its own included.
    expect((await api('GET', `/v1/partners/${p.id}/keys`, { key: p.key })).status).toBe(403)
  })

  test('the last working admin key cannot be revoked', async () => {
    const adminId = (await withDb((c) => c.query("SELECT id FROM partners WHERE name = 'admin'"))).rows[0].id
    const keys = (await api('GET', `/v1/partners/${adminId}/keys`, admin())).json.keys.filter((k: any) => k.state === 'active' || k.state === 'expiring')
    expect(keys).toHaveLength(1)
    const res = await api('DELETE', `/v1/partners/${adminId}/keys/${keys[0].id}`, admin())
    expect(res.status).toBe(409)
    expect(res.json.detail).toContain('last working admin key')
    expect((await api('GET', `/v1/partners/${adminId}/keys`, admin())).status).toBe(200)
  })

  test('seeding at every start keeps the key, replaces an older seed, and never revives a revoked key', async () => {
    const db = createDb(hub().databaseUrl, { max: 2 })
    try {
      const name = `seeded-${randomBytes(4).toString('hex')}`
      const first = `fct_${randomBytes(24).toString('base64url')}`
      expect((await upsertPrincipal(db, name, 'partner', first)).key).toBe('created')
      expect((await upsertPrincipal(db, name, 'partner', first)).key).toBe('kept')
      expect((await api('GET', '/v1/documents?limit=1', { key: first })).status).toBe(200)
      const seeded = await upsertPrincipal(db, name, 'partner', first)
      const keyId = (await api('GET', `/v1/partners/${seeded.principal.id}/keys`, admin())).json.keys[0].id
      expect((await api('DELETE', `/v1/partners/${seeded.principal.id}/keys/${keyId}`, admin())).status).toBe(200)
      // The restart after the revocation: the same key in keys.json is reported, not revived.
      expect((await upsertPrincipal(db, name, 'partner', first)).key).toBe('revoked')
      expect((await api('GET', '/v1/documents?limit=1', { key: first })).status).toBe(401)
      // A new key in keys.json: it works, and the previous seed (were it still valid) is revoked with it.
      const second = `fct_${randomBytes(24).toString('base64url')}`
      const third = `fct_${randomBytes(24).toString('base64url')}`
      expect((await upsertPrincipal(db, name, 'partner', second)).key).toBe('created')
      expect((await upsertPrincipal(db, name, 'partner', third)).key).toBe('created')
      expect((await api('GET', '/v1/documents?limit=1', { key: second })).status).toBe(401)
      expect((await api('GET', '/v1/documents?limit=1', { key: third })).status).toBe(200)
    } finally {
      await db.end()
    }
  })
})

describe('the admin audit log', () => {
  test('every request of the admin key is recorded with who, what, on what, when and the outcome; partners\' are not', async () => {
    const p = await newPartner()
    const since = Date.now() - 1000
    expect((await api('GET', `/v1/partners/${p.id}/keys`, admin())).status).toBe(200)
    expect((await api('DELETE', `/v1/partners/${p.id}/keys/00000000-0000-4000-8000-000000000000`, admin())).status).toBe(404)
    expect((await api('POST', '/v1/keys:rotate', { key: p.key })).status).toBe(201)
    const adminKeyId = (await withDb((c) => c.query('SELECT id FROM api_keys WHERE key_hash = $1', [hashApiKey(hub().adminKey)]))).rows[0].id
    let items: any[] = []
    // The row is written when the answer is sent: give it a moment.
    for (let i = 0; i < 20; i++) {
      items = (await api('GET', '/v1/admin/audit?limit=50', admin())).json.items.filter((e: any) => e.target?.includes(p.id))
      if (items.length >= 2) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(items.map((e) => [e.method, e.route, e.status])).toEqual([
      ['DELETE', '/v1/partners/:id/keys/:keyId', 404],
      ['GET', '/v1/partners/:id/keys', 200],
    ])
    expect(items[0]).toMatchObject({ principal: { name: 'admin' }, keyId: adminKeyId, path: `/v1/partners/${p.id}/keys/00000000-0000-4000-8000-000000000000`, target: `id=${p.id} keyId=00000000-0000-4000-8000-000000000000` })
    expect(new Date(items[0].at).getTime()).toBeGreaterThan(since)
    const all = (await api('GET', '/v1/admin/audit?limit=500', admin())).json.items
    const partnerKeys = (await withDb((c) => c.query('SELECT id FROM api_keys WHERE partner_id = $1', [p.id]))).rows.map((r) => r.id)
    expect(partnerKeys).toHaveLength(2)
    expect(all.filter((e: any) => partnerKeys.includes(e.keyId))).toEqual([])
    // Reading the log is itself recorded; the log cannot be changed, even from the database.
    expect(all[0]).toMatchObject({ method: 'GET', route: '/v1/admin/audit' })
    await expect(withDb((c) => c.query('DELETE FROM admin_audit'))).rejects.toThrow(/append-only/)
    expect((await api('GET', '/v1/admin/audit', { key: p.key })).status).toBe(403)
  })

  test('pages backwards with `before`', async () => {
    const first = await api('GET', '/v1/admin/audit?limit=2', admin())
    expect(first.json.items).toHaveLength(2)
    const next = await api('GET', `/v1/admin/audit?limit=2&before=${first.json.nextBefore}`, admin())
    expect(next.json.items[0].id).toBeLessThan(first.json.items[1].id)
    expect((await api('GET', '/v1/admin/audit?limit=0', admin())).status).toBe(400)
  })
})

describe('rate limit and upload cap', () => {
  let gateway: Awaited<ReturnType<typeof ownGateway>>
  beforeAll(async () => {
    gateway = await ownGateway({ FACTEUR_RATE_LIMIT_PER_SECOND: '1', FACTEUR_RATE_LIMIT_BURST: '3', FACTEUR_LARGE_UPLOAD_BYTES: '1024', FACTEUR_MAX_LARGE_UPLOADS: '1' })
  })
  afterAll(async () => { await gateway.stop() })

  test('a key over its rate gets 429 with Retry-After; another key is not affected; tokens come back', async () => {
    const a = await newPartner()
    const b = await newPartner()
    const statuses: number[] = []
    let limited: Awaited<ReturnType<typeof gateway.call>> | null = null
    for (let i = 0; i < 5; i++) {
      const res = await gateway.call('GET', '/v1/documents/summary', a.key)
      statuses.push(res.status)
      if (res.status === 429) limited ??= res
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200])
    expect(statuses.slice(3)).toContain(429)
    expect(limited!.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/)
    expect(limited!.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(limited!.json).toMatchObject({ type: 'https://facteur.dev/problems/rate-limited', status: 429, retryAfter: Number(limited!.headers.get('retry-after')) })
    expect((await gateway.call('GET', '/v1/documents/summary', b.key)).status).toBe(200)
    await new Promise((r) => setTimeout(r, Number(limited!.headers.get('retry-after')) * 1000 + 100))
    expect((await gateway.call('GET', '/v1/documents/summary', a.key)).status).toBe(200)
  })

  test('one large upload at a time: the next gets 503 with Retry-After before its body is sent; small ones pass', async () => {
    const p = await newPartner()
    const url = new URL(`${gateway.base}/v1/documents`)
    // A slow large upload: headers and a first chunk, the rest held back, so it keeps its slot.
    const slow = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/xml', 'content-length': '200000' } })
    const slowAnswer = new Promise<number>((resolve) => { slow.on('response', (r) => { r.resume(); resolve(r.statusCode ?? 0) }); slow.on('error', () => resolve(-1)) })
    slow.write('<Invoice>')
    await new Promise((r) => setTimeout(r, 300))
    // A second large one declares its size and waits for the answer without sending a byte of body.
    const second = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${hub().demoKey}`, 'content-type': 'application/xml', 'content-length': '50000' } })
      req.on('response', (r) => { let body = ''; r.on('data', (c) => { body += c }); r.on('end', () => resolve({ status: r.statusCode ?? 0, retryAfter: r.headers['retry-after'], body })) })
      req.on('error', reject)
      req.flushHeaders()
    })
    expect(second.status).toBe(503)
    expect(second.retryAfter).toBe('1')
    expect(JSON.parse(second.body)).toMatchObject({ type: 'https://facteur.dev/problems/uploads-busy', detail: expect.stringContaining('1 uploads over 1024 bytes') })
    // A small deposit does not need a slot (it is read, then refused as not XML: 400, not 503).
    const small = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${hub().demoKey}`, 'content-type': 'application/xml' }, body: '<Invoice/>' })
    expect(small.status).toBe(202)
    slow.destroy()
    expect(await slowAnswer).toBeLessThanOrEqual(0)
    await new Promise((r) => setTimeout(r, 100))
    // The slot is free again once the slow upload is gone.
    const big = Buffer.concat([Buffer.from('<Invoice>'), Buffer.alloc(4096, 0x20), Buffer.from('</Invoice>')])
    const after = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${hub().demoKey}`, 'content-type': 'application/xml' }, body: big })
    expect(after.status).not.toBe(503)
  })
})

describe('the sellers a partner sends for', () => {
  /** A public structure without endpoint: its documents wait in the hub (MISE_A_DISPOSITION at once). */
  async function structure() {
    const siret = randomSiret()
    expect((await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body: { name: `Commune ${siret}`, endpoint: null } })).status).toBe(201)
    return siret
  }
  const invoice = async (seller: string, buyer: string, number: string) =>
    withInvoiceNumber(withSellerSiret(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', buyer), seller), number)
  const finalStatuses = ['MISE_A_DISPOSITION', 'REJETEE', 'A_RECYCLER', 'EN_ERREUR', 'ECHEC_DISTRIBUTION']

  test('a partner bound to nothing is refused, told how to be bound, and cannot squat the real seller\'s invoice number', async () => {
    const buyer = await structure()
    const seller = await newPartner()
    const squatter = await newPartner({ addresses: [] })
    const number = `SQUAT-${randomBytes(4).toString('hex')}`
    const squatted = await postDocument(await invoice(seller.siret, buyer, number), { key: squatter.key })
    const refused = await waitForStatus(squatted.json.id, finalStatuses, 60_000, squatter.key)
    expect(refused.status).toBe('REJETEE')
    expect(refused.findings).toEqual([expect.objectContaining({ ruleId: 'FACTEUR-SENDER-NOT-AUTHORISED', message: expect.stringContaining('bound to no seller') })])
    expect(refused.findings[0].message).toContain('PUT /v1/partners/{id}/sellers')
    // The real seller's invoice under that number goes through: the refused one took nothing.
    const real = await postDocument(await invoice(seller.siret, buyer, number), { key: seller.key })
    expect((await waitForStatus(real.json.id, finalStatuses, 60_000, seller.key)).status).toBe('MISE_A_DISPOSITION')
  })

  test('the operator binds a partner to sellers; it sends for them and for no other', async () => {
    const buyer = await structure()
    const operator = await newPartner({ addresses: [] })
    const client = randomSiret()
    const set = await api('PUT', `/v1/partners/${operator.id}/sellers`, { ...admin(), body: { sellers: [`0009:${client}`, `0009:${client}`] } })
    expect(set.status).toBe(200)
    expect(set.json).toEqual({ partnerId: operator.id, addresses: [], sellers: [`0009:${client}`] })
    expect((await api('GET', `/v1/partners/${operator.id}/sellers`, admin())).json).toEqual(set.json)
    const ok = await postDocument(await invoice(client, buyer, `OP-${randomBytes(4).toString('hex')}`), { key: operator.key })
    expect((await waitForStatus(ok.json.id, finalStatuses, 60_000, operator.key)).status).toBe('MISE_A_DISPOSITION')
    const other = await postDocument(await invoice(randomSiret(), buyer, `OP-${randomBytes(4).toString('hex')}`), { key: operator.key })
    const refused = await waitForStatus(other.json.id, finalStatuses, 60_000, operator.key)
    expect(refused.status).toBe('REJETEE')
    expect(refused.findings[0]).toMatchObject({ ruleId: 'FACTEUR-SENDER-NOT-AUTHORISED', message: expect.stringContaining(`0009:${client}`) })
    // Bad input names what is wrong; an unknown partner is a 404.
    expect((await api('PUT', `/v1/partners/${operator.id}/sellers`, { ...admin(), body: { sellers: ['0009:12345678901234'] } })).json.detail).toMatch(/check key/)
    expect((await api('PUT', `/v1/partners/${operator.id}/sellers`, { ...admin(), body: {} })).status).toBe(400)
    expect((await api('PUT', '/v1/partners/00000000-0000-4000-8000-000000000000/sellers', { ...admin(), body: { sellers: [] } })).status).toBe(404)
  })

  test('the duplicate finding names the earlier document only to the partner that sent it', async () => {
    const buyer = await structure()
    const seller = randomSiret()
    const a = await newPartner({ addresses: [] })
    const b = await newPartner({ addresses: [] })
    for (const p of [a, b]) expect((await api('PUT', `/v1/partners/${p.id}/sellers`, { ...admin(), body: { sellers: [`0009:${seller}`] } })).status).toBe(200)
    const number = `DUP-${randomBytes(4).toString('hex')}`
    const first = await postDocument(await invoice(seller, buyer, number), { key: a.key })
    expect((await waitForStatus(first.json.id, finalStatuses, 60_000, a.key)).status).toBe('MISE_A_DISPOSITION')
    const byB = await postDocument(await invoice(seller, buyer, number), { key: b.key })
    const dupB = await waitForStatus(byB.json.id, finalStatuses, 60_000, b.key)
    expect(dupB.findings[0]).toMatchObject({ ruleId: 'FACTEUR-DUPLICATE' })
    expect(JSON.stringify(dupB)).not.toContain(first.json.id)
    const byA = await postDocument(await invoice(seller, buyer, number), { key: a.key })
    const dupA = await waitForStatus(byA.json.id, finalStatuses, 60_000, a.key)
    expect(dupA.findings[0].message).toContain(`as document ${first.json.id}`)
  })

  test('the demo partner is bound to the fixtures\' sellers, explicitly', async () => {
    const demo = (await withDb((c) => c.query("SELECT id FROM partners WHERE name = 'demo'"))).rows[0].id
    const bound = await api('GET', `/v1/partners/${demo}/sellers`, admin())
    expect(bound.json.sellers).toEqual(expect.arrayContaining([`0009:${FIXTURE_SELLER}`]))
    expect(bound.json.addresses).toEqual([])
  })
})
