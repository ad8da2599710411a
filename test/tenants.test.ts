// Tenants apart. An IDOR suite over every route of the API that takes an id, generated from openapi.json (a
// new route with an id cannot escape it): with the ids of another partner's documents, receipts, content,
// statuses, keys, addresses and SIRETs, a partner gets exactly what a missing id gets (404), or 403 where the
// route is the admin's. Then: no other tenant's id in any answer (resubmission links, dashboard filters), and
// the SSRF guard on endpoints, at registration and at delivery time (connect, write).
import { beforeAll, describe, expect, test } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { randomBytes, randomUUID } from 'node:crypto'
import { api, dropFolder, fixture, FIXTURE_SELLER, hub, postDocument, randomSiret, registerParticipant, waitForStatus, withBuyerAddress, withDb, withInvoiceNumber, withSellerSiret } from './helpers.js'
import { httpMethods, openapi, type Operation, type OpenApiDocument } from '../services/gateway/openapi.js'

const admin = () => ({ key: hub().adminKey })
const finalStatuses = ['MISE_A_DISPOSITION', 'REJETEE', 'A_RECYCLER', 'EN_ERREUR', 'ECHEC_DISTRIBUTION']
const doc: OpenApiDocument = openapi

type Tenant = { id: string; key: string; keyId: string; siret: string }

async function tenant(): Promise<Tenant> {
  const siret = randomSiret()
  expect((await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body: { name: `Structure ${siret}`, endpoint: null } })).status).toBe(201)
  const created = await api('POST', '/v1/partners', { ...admin(), body: { name: `Tenant ${siret}`, addresses: [`0009:${siret}`] } })
  expect(created.status).toBe(201)
  const keyId = (await api('GET', `/v1/partners/${created.json.id}/keys`, admin())).json.keys[0].id
  return { id: created.json.id, key: created.json.apiKey, keyId, siret }
}

/** An invoice from `seller` (its SIRET as BT-30/BT-34) to the public structure `buyer`, with a fresh number. */
const invoice = async (seller: string, buyer: string, number?: string) =>
  withInvoiceNumber(withSellerSiret(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', buyer), seller), number)

const operations = () => Object.entries(doc.paths).flatMap(([path, item]) =>
  httpMethods.flatMap((method) => (item[method] ? [{ path, method, op: { ...item[method], parameters: [...(item.parameters ?? []), ...(item[method]!.parameters ?? [])] } as Operation }] : [])))

/** Path parameters from the template itself (wherever they are declared); query parameters as declared. */
const pathParams = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!)
const queryParams = (op: Operation) =>
  (op.parameters ?? []).map((p) => ('$ref' in p ? doc.components.parameters![p.$ref.split('/').at(-1)!]! : p)).filter((p) => p.in === 'query').map((p) => p.name)

describe('IDOR: every route that takes an id, with another partner\'s ids', () => {
  let a: Tenant
  let b: Tenant
  let docOfB: string
  let loginOfB: string
  beforeAll(async () => {
    a = await tenant()
    b = await tenant()
    // B's Chorus Pro technical account, bound to its own structure.
    const account = await api('POST', '/v1/cpro/accounts', { key: b.key, body: { structures: [b.siret] } })
    expect(account.status).toBe(201)
    loginOfB = account.json.login
    // B sends an invoice (as itself) to A's neighbour structure; delivered, it has receipts, content and statuses.
    const c = await tenant()
    const posted = await postDocument(await invoice(b.siret, c.siret), { key: b.key })
    expect((await waitForStatus(posted.json.id, finalStatuses, 60_000, b.key)).status).toBe('MISE_A_DISPOSITION')
    docOfB = posted.json.id
    // Its receipts are written by the status service just after: wait for one, so the receipts route has some.
    let receipts = 0
    for (let i = 0; i < 100 && receipts === 0; i++) {
      receipts = (await api('GET', `/v1/documents/${docOfB}/receipts`, { key: b.key })).json.receipts.length
      if (receipts === 0) await new Promise((r) => setTimeout(r, 100))
    }
    expect(receipts).toBeGreaterThan(0)
  })

  /** For each path parameter: B's value, and a value nobody has (the "missing" answer to compare with). */
  const ids = (path: string): Record<string, { foreign: string; missing: string }> => ({
    id: path.startsWith('/v1/partners/') ? { foreign: b.id, missing: randomUUID() } : { foreign: docOfB, missing: randomUUID() },
    keyId: { foreign: b.keyId, missing: randomUUID() },
    address: { foreign: `0009:${b.siret}`, missing: `0009:${randomSiret()}` },
    siret: { foreign: b.siret, missing: randomSiret() },
    login: { foreign: loginOfB, missing: `TECH_1_${randomUUID().slice(0, 12).toUpperCase()}@cpro.facteur` },
  })
  const bodyFor = (method: string) => (method === 'post' || method === 'put' ? { status: 'APPROUVEE', sellers: [], name: 'x', endpoint: 'file:///x' } : undefined)

  test('the table names every path parameter of the API (a new one fails here until it is covered)', () => {
    const names = new Set(operations().flatMap(({ path }) => pathParams(path)))
    const covered = Object.keys(ids('/'))
    expect([...names].filter((n) => !covered.includes(n))).toEqual([])
  })

  test('each answers like a missing id: 404 for the routes a partner may call, 403 for the admin\'s', async () => {
    const withIds = operations().filter(({ path }) => pathParams(path).length > 0)
    expect(withIds.length).toBeGreaterThanOrEqual(12)
    const seen: string[] = []
    for (const { path, method, op } of withIds) {
      const table = ids(path)
      const fill = (which: 'foreign' | 'missing') => path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(table[name]![which]))
      const foreign = await api(method.toUpperCase(), fill('foreign'), { key: a.key, body: bodyFor(method) })
      const missing = await api(method.toUpperCase(), fill('missing'), { key: a.key, body: bodyFor(method) })
      const where = `${method.toUpperCase()} ${path} (${op['x-facteur-key']})`
      seen.push(`${where}: ${foreign.status}`)
      const expected = op['x-facteur-key'] === 'admin' ? 403 : 404
      expect(foreign.status, where).toBe(expected)
      expect(missing.status, where).toBe(expected)
      expect(foreign.json?.type, where).toBe(missing.json?.type)
      // The same words, but for the id the caller gave: nothing about B's object leaks through the detail.
      const normalise = (detail: string, which: 'foreign' | 'missing') =>
        Object.values(table).reduce((d, v) => d.split(v[which]).join('<id>'), detail)
      expect(normalise(foreign.json.detail, 'foreign'), where).toBe(normalise(missing.json.detail, 'missing'))
    }
    expect(seen.length).toBe(withIds.length)
  })

  test('the same ids work for their owner and for the admin (the suite does not pass for a wrong reason)', async () => {
    expect((await api('GET', `/v1/documents/${docOfB}`, { key: b.key })).status).toBe(200)
    expect((await api('GET', `/v1/documents/${docOfB}/content`, { key: b.key })).status).toBe(200)
    expect((await api('GET', `/v1/documents/${docOfB}/receipts`, admin())).status).toBe(200)
    expect((await api('GET', `/v1/partners/${b.id}/keys`, admin())).json.keys[0].id).toBe(b.keyId)
    expect((await api('GET', `/v1/documents/${docOfB}/pdf`, { key: b.key })).status).toBe(200)
    expect((await api('POST', `/v1/cpro/accounts/${encodeURIComponent(loginOfB)}/password`, { key: b.key })).status).toBe(200)
  })

  test('query filters with another partner\'s ids answer nothing of it', async () => {
    const filters: Record<string, string> = { counterpart: `0009:${b.siret}`, documentId: docOfB }
    const notIds = ['status', 'direction', 'from', 'to', 'cursor', 'limit', 'before', 'topic', 'replayed', 'state', 'endpoint']
    // The lists a partner filters (a route with an id in its path is the test above's).
    const partnerOps = operations().filter(({ path, op }) => op['x-facteur-key'] !== 'admin' && op['x-facteur-key'] !== 'none' && queryParams(op).length > 0 && pathParams(path).length === 0)
    expect(partnerOps.length).toBeGreaterThan(0)
    for (const { path, method, op } of partnerOps) {
      const names = queryParams(op)
      expect(names.filter((n) => !notIds.includes(n) && !(n in filters)), `${path}: a query parameter that may be an id`).toEqual([])
      const query = names.filter((n) => n in filters).map((n) => `${n}=${encodeURIComponent(filters[n]!)}`).join('&')
      const res = await api(method.toUpperCase(), `${path}?${query}`, { key: a.key })
      expect(res.status, path).toBe(200)
      expect(res.text, path).not.toContain(docOfB)
      expect(res.text, path).not.toContain(b.id)
    }
    expect((await api('GET', `/v1/documents?counterpart=0009:${b.siret}`, { key: a.key })).json.items).toEqual([])
    expect((await api('GET', `/v1/documents/summary?counterpart=0009:${b.siret}`, { key: a.key })).json.total).toBe(0)
  })
})

describe('no other tenant\'s id in any answer', () => {
  test('resubmission links name only documents the caller may see', async () => {
    const seller = randomSiret()
    const a = await tenant()
    const b = await tenant()
    const c = await tenant()
    for (const t of [a, b]) expect((await api('PUT', `/v1/partners/${t.id}/sellers`, { ...admin(), body: { sellers: [`0009:${seller}`] } })).status).toBe(200)
    const number = `RES-${randomBytes(4).toString('hex')}`
    // A's invoice goes to a SIRET nobody knows: A_RECYCLER. B (bound to the same seller) sends that number to C.
    const recycled = await postDocument(await invoice(seller, randomSiret(), number), { key: a.key })
    expect((await waitForStatus(recycled.json.id, finalStatuses, 60_000, a.key)).status).toBe('A_RECYCLER')
    const resubmitted = await postDocument(await invoice(seller, c.siret, number), { key: b.key })
    expect((await waitForStatus(resubmitted.json.id, finalStatuses, 60_000, b.key)).status).toBe('MISE_A_DISPOSITION')
    // The link exists (the admin sees it) …
    expect((await api('GET', `/v1/documents/${resubmitted.json.id}`, admin())).json.resubmissionOf).toBe(recycled.json.id)
    expect((await api('GET', `/v1/documents/${recycled.json.id}`, admin())).json.resubmittedAs).toBe(resubmitted.json.id)
    // … but neither partner, nor the recipient, reads the other's document id.
    const seenByA = await api('GET', `/v1/documents/${recycled.json.id}`, { key: a.key })
    const seenByB = await api('GET', `/v1/documents/${resubmitted.json.id}`, { key: b.key })
    const seenByC = await api('GET', `/v1/documents/${resubmitted.json.id}`, { key: c.key })
    expect(seenByA.json.resubmittedAs).toBeUndefined()
    expect(seenByB.json.resubmissionOf).toBeUndefined()
    expect(seenByC.status).toBe(200)
    expect(seenByC.json.resubmissionOf).toBeUndefined()
    expect(seenByA.text).not.toContain(resubmitted.json.id)
    expect(seenByB.text + seenByC.text).not.toContain(recycled.json.id)
  })

  test('a recipient sees the statuses but not the hub\'s reasons written for the sender and the operator', async () => {
    let answer = 503
    const server = http.createServer((_req, res) => res.writeHead(answer).end(answer === 200 ? 'ok' : 'maintenance'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const siret = randomSiret()
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`
      expect((await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body: { name: `Structure ${siret}`, endpoint } })).status).toBe(201)
      const recipient = await api('POST', '/v1/partners', { ...admin(), body: { name: `Recipient ${siret}`, addresses: [`0009:${siret}`] } })
      const posted = await postDocument(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
      expect((await waitForStatus(posted.json.id, finalStatuses)).status).toBe('ECHEC_DISTRIBUTION')
      answer = 200
      expect((await api('POST', '/v1/admin/deliveries/retry', { ...admin(), body: { documentId: posted.json.id } })).status).toBe(200)
      const bySender = await waitForStatus(posted.json.id, ['MISE_A_DISPOSITION'])
      const byRecipient = await api('GET', `/v1/documents/${posted.json.id}`, { key: recipient.json.apiKey })
      expect(byRecipient.status).toBe(200)
      const hubReasons = bySender.history.filter((h: any) => h.actor === 'hub' && h.reason)
      expect(hubReasons.length).toBeGreaterThan(0)
      expect(byRecipient.json.history.map((h: any) => h.status)).toEqual(bySender.history.map((h: any) => h.status))
      expect(byRecipient.json.history.filter((h: any) => h.actor === 'hub' && h.reason)).toEqual([])
      for (const h of hubReasons) expect(byRecipient.text).not.toContain(h.reason)
    } finally {
      server.close()
    }
  })

  test('a partner resubmitting its own invoice still sees both links', async () => {
    const a = await tenant()
    const number = `OWN-${randomBytes(4).toString('hex')}`
    const recycled = await postDocument(await invoice(a.siret, randomSiret(), number), { key: a.key })
    expect((await waitForStatus(recycled.json.id, finalStatuses, 60_000, a.key)).status).toBe('A_RECYCLER')
    const again = await postDocument(await invoice(a.siret, (await tenant()).siret, number), { key: a.key })
    expect((await waitForStatus(again.json.id, finalStatuses, 60_000, a.key)).resubmissionOf).toBe(recycled.json.id)
    expect((await api('GET', `/v1/documents/${recycled.json.id}`, { key: a.key })).json.resubmittedAs).toBe(again.json.id)
  })
})

describe('endpoints: no loopback, private or link-local destinations, no folder outside the drop root', () => {
  const refusedAtRegistration: [string, RegExp][] = [
    ['http://localhost:5432/', /localhost resolves to .*loopback address/],
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local address/],
    ['http://10.1.2.3/inbox', /private address/],
    ['http://192.168.1.10/inbox', /private address/],
    ['http://[::ffff:127.0.0.1]:5432/', /loopback address/],
    ['http://[fe80::1]/', /link-local address/],
    ['http://100.64.0.1/', /cgnat address/],
    ['http://224.0.0.1/', /multicast address/],
    ['http://0.0.0.0:5432/', /unspecified address/],
    ['http://127.0.0.2:8080/', /loopback address/],
    ['file:///etc/cron.d', /outside the drop root/],
    ['file:///tmp/../etc', /`\.\.`|outside the drop root/],
  ]

  test.each(refusedAtRegistration)('registering a participant at %s is refused (400) with the reason', async (endpoint, reason) => {
    const res = await registerParticipant(`0009:${randomSiret()}`, endpoint)
    expect(res.status).toBe(400)
    expect(res.json.detail).toMatch(reason)
    expect(res.json.detail).toMatch(/^`endpoint` refused: /)
  })

  test('the same guard holds for structures, one by one and imported', async () => {
    const siret = randomSiret()
    const put = await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body: { name: 'Mairie', endpoint: 'http://169.254.169.254/' } })
    expect(put.status).toBe(400)
    expect(put.json.detail).toContain('link-local')
    const lines = [
      JSON.stringify({ siret: randomSiret(), name: 'OK', endpoint: null }),
      JSON.stringify({ siret: randomSiret(), name: 'Metadata', endpoint: 'http://169.254.169.254/' }),
      JSON.stringify({ siret: randomSiret(), name: 'Etc', endpoint: 'file:///etc' }),
    ].join('\n')
    const imported = await api('POST', '/v1/directory/structures:import', { ...admin(), body: lines, contentType: 'application/x-ndjson' })
    expect(imported.status).toBe(200)
    expect(imported.json).toMatchObject({ imported: 1, failed: 2 })
    expect(imported.json.errors.map((e: any) => e.line)).toEqual([2, 3])
  })

  test('what the admin allows is accepted: 127.0.0.1 (allowed host) and a folder under the drop root', async () => {
    expect((await registerParticipant(`0009:${randomSiret()}`, 'http://127.0.0.1:9/inbox')).status).toBe(201)
    expect((await registerParticipant(`0009:${randomSiret()}`, (await dropFolder()).endpoint)).status).toBe(201)
  })

  test('at connect time: a host that resolves to loopback is refused although it was stored, and nothing is sent', async () => {
    let requests = 0
    const server = http.createServer((_req, res) => { requests++; res.writeHead(200).end('ok') })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const siret = randomSiret()
      const endpoint = `http://localhost:${(server.address() as AddressInfo).port}/inbox`
      // As if the name had resolved to a public address at registration and to 127.0.0.1 now (DNS rebinding).
      await withDb((c) => c.query('INSERT INTO participants (address, name, endpoint) VALUES ($1, $2, $3)', [`0009:${siret}`, 'Rebinding', endpoint]))
      const posted = await postDocument(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
      const final = await waitForStatus(posted.json.id, finalStatuses)
      expect(final.status).toBe('ECHEC_DISTRIBUTION')
      expect(requests).toBe(0)
      expect(JSON.stringify(final)).not.toContain('localhost')
      const jobs = await api('GET', `/v1/admin/deliveries?documentId=${posted.json.id}`, admin())
      expect(jobs.json.deliveries).toEqual([expect.objectContaining({ endpoint, lastError: expect.stringContaining('refused before connecting: the host localhost resolves to') })])
      // Permanent: one attempt, not the configured three.
      expect(jobs.json.deliveries[0].attempts).toBe(1)
    } finally {
      server.close()
    }
  })

  test('at write time: a folder under the root that became a link to elsewhere is refused, and nothing is written there', async () => {
    const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
    const outside = await mkdtemp(join(root, '.facteur', 'test', 'outside-'))
    const folder = join(tmpdir(), `facteur-escape-${randomBytes(4).toString('hex')}`)
    await mkdir(folder)
    try {
      const siret = randomSiret()
      expect((await registerParticipant(`0009:${siret}`, pathToFileURL(folder).href)).status).toBe(201)
      await rm(folder, { recursive: true })
      await symlink(outside, folder)
      const posted = await postDocument(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
      expect((await waitForStatus(posted.json.id, finalStatuses)).status).toBe('ECHEC_DISTRIBUTION')
      expect(await readdir(outside)).toEqual([])
      const jobs = await api('GET', `/v1/admin/deliveries?documentId=${posted.json.id}`, admin())
      expect(jobs.json.deliveries[0].lastError).toContain('through a symbolic link, outside the drop root')
    } finally {
      await rm(folder, { force: true })
      await rm(outside, { recursive: true, force: true })
    }
  })

  test('the demo partner still sends for the fixtures\' seller', async () => {
    const inbox = await dropFolder()
    const siret = randomSiret()
    expect((await registerParticipant(`0009:${siret}`, inbox.endpoint)).status).toBe(201)
    const posted = await postDocument(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
    expect((await waitForStatus(posted.json.id, finalStatuses)).status).toBe('MISE_A_DISPOSITION')
    expect((await readdir(inbox.dir))).toEqual([`${posted.json.id}.xml`])
    expect(FIXTURE_SELLER).toBe('73282932000074')
  })
})
