// The operator's pages of the portal in Chromium against the test hub: dead letters made by a real fault (a trigger
// that makes the forwarder fail on one recipient's jobs) replayed one and several at a time, an undecodable message's
// letter refused with its reason; failed deliveries (a recipient answering 503, FACTEUR_DELIVERY_ATTEMPTS=3 in the
// test hub) retried once it is fixed; a directory import through the page with its progress and its refused lines;
// a partner's key issued, revoked (then 401 from the API) and rotated; a partner registered from the page (its first
// key then works against the API) and its sellers replaced (the API then lists them); one receipt's delivery retried
// alone while the document's other failed receipt stays failed; the bulk replays asked to confirm first, with their
// count, and done only once confirmed; the health page's charts and tables against PostgreSQL; every action in
// portal_events with the operator as actor; 403 for a person who is not an operator; axe on every operator page in
// both languages, and screenshots.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { readdir } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import type { Browser, Page } from 'playwright-core'
import { api, dropFolder, fixture, hub, postDocument, randomSiret, registerParticipant, waitForStatus, withBuyerAddress, withDb, withSellerSiret } from './helpers.js'
import { expectAccessible, launchBrowser, newPage, screenshot } from './browser.js'
import { newMember, person, setUp, submit, type Person } from './portal-people.js'
import { connectKafka } from '../services/kit/kafka.js'
import { createLogger } from '../services/kit/log.js'
import { topics, topicName } from '../schemas/topics.js'

const url = (path: string) => hub().url + path
const admin = () => ({ key: hub().adminKey })
const FIXTURE_BUYER = '21750001600019'

/** The UBL fixture addressed to `siret`, posted by the demo partner; its id. */
async function post(siret: string): Promise<string> {
  const posted = await postDocument(withBuyerAddress(await fixture('ubl-invoice.xml'), FIXTURE_BUYER, siret))
  expect(posted.status, posted.text).toBe(202)
  return posted.json.id as string
}

/** A recipient that answers 503 until fixed, then 200. */
async function flakyRecipient() {
  const state = { fixed: false, calls: 0 }
  const server = http.createServer((req, res) => {
    req.resume().on('end', () => {
      state.calls++
      if (state.fixed) res.writeHead(200).end('ok')
      else res.writeHead(503).end('closed for inventory')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { state, server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox` }
}

const statusesOf = (doc: { history: { status: string }[] }) => doc.history.map((h) => h.status)
const events = (kind: string, actorId: string) => withDb(async (c) => (await c.query<{ outcome: string; detail: any }>(
  'SELECT outcome, detail FROM portal_events WHERE kind = $1 AND actor_id = $2 ORDER BY id', [kind, actorId])).rows)

describe('the operator pages, in Chromium', () => {
  let browser: Browser
  let page: Page
  let operatorId: string
  const operator: Person = person('Octave')
  const clerk: Person = person('Clara')
  let clerkPage: Page
  let partner: { id: string; key: string; name: string; siret: string }

  beforeAll(async () => {
    browser = await launchBrowser()
    page = await newPage(browser, { lang: 'en' })
    await setUp(page, await newMember(operator, { operator: true }), operator)
    expect(new URL(page.url()).pathname).toBe('/portal/admin')
    operatorId = await withDb(async (c) => (await c.query('SELECT id FROM people WHERE email = $1', [operator.email])).rows[0].id)
    // A partner receiving at its SIRET, with a principal manager who is not an operator.
    const siret = randomSiret()
    const name = `Librairie Portail ${siret}`
    const created = await api('POST', '/v1/partners', { ...admin(), body: { name, addresses: [`0009:${siret}`] } })
    expect(created.status, created.text).toBe(201)
    expect((await api('PUT', `/v1/partners/${created.json.id}/sellers`, { ...admin(), body: { sellers: [`0009:${siret}`] } })).status).toBe(200)
    partner = { id: created.json.id, key: created.json.apiKey, name, siret }
    clerkPage = await newPage(browser)
    await setUp(clerkPage, await newMember(clerk, { partnerId: partner.id, siret, role: 'principal' }), clerk)
  })
  afterAll(async () => { await browser?.close() })

  test('dead letters: what failed and why, replayed one and several at a time, an undecodable one refused with its reason', async () => {
    const inbox = await dropFolder()
    const siret = randomSiret()
    expect((await registerParticipant(`0009:${siret}`, inbox.endpoint)).status).toBe(201)
    // The fault: the forwarder cannot record this recipient's delivery jobs, so its `routed` messages are
    // dead-lettered after their retries (as a bug or a broken constraint would); fixed by dropping the trigger.
    await withDb((c) => c.query(`
      CREATE FUNCTION portal_admin_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected fault: jobs to % refused', NEW.endpoint; END $$;
      CREATE TRIGGER portal_admin_fault BEFORE INSERT ON delivery_jobs FOR EACH ROW WHEN (NEW.endpoint = '${inbox.endpoint}') EXECUTE FUNCTION portal_admin_fault();`))
    let ids: string[]
    try {
      ids = [await post(siret), await post(siret), await post(siret)]
      for (const id of ids) expect((await waitForStatus(id, ['EN_ERREUR', 'MISE_A_DISPOSITION'], 90_000)).status).toBe('EN_ERREUR')
    } finally {
      await withDb((c) => c.query('DROP TRIGGER IF EXISTS portal_admin_fault ON delivery_jobs; DROP FUNCTION IF EXISTS portal_admin_fault()'))
    }
    const [a, b, c] = ids
    // An undecodable message: kept, never replayable as it is.
    const ghost = randomUUID()
    await withDb(async (db) => {
      const demo = (await db.query("SELECT id FROM partners WHERE name = 'demo'")).rows[0].id
      await db.query("INSERT INTO documents (id, partner_id, content_type, payload, size_bytes, sha256) VALUES ($1, $2, 'application/xml', '\\x3c612f3e', 4, 'x')", [ghost, demo])
    })
    const bus = connectKafka({ brokers: hub().kafkaBrokers.split(','), clientId: 'portal-admin-test', log: createLogger('silent') })
    try {
      await (await bus.producer()).send([{ topic: topicName(hub().topicPrefix, topics.received), key: ghost, value: Buffer.from('{"not": "avro"}') }])
    } finally {
      await bus.close()
    }
    await waitForStatus(ghost, ['EN_ERREUR'], 90_000, hub().adminKey)
    await expect.poll(() => withDb(async (db) => (await db.query('SELECT count(*)::int AS n FROM dead_letters WHERE document_id = $1', [ghost])).rows[0].n), { timeout: 30_000 }).toBeGreaterThan(0)

    // One: the document's letter, with the stage and the error, replayed by its own button.
    await page.goto(url(`/portal/admin/dead-letters?document=${a}`))
    await expectAccessible(page, 'dead letters of a document')
    const row = page.locator(`tr[data-document="${a}"]`)
    expect(await row.count()).toBe(1)
    expect(await row.innerText()).toMatch(/forwarder[\s\S]*document\.routed[\s\S]*injected fault/)
    expect(await row.locator('[data-document-status]').getAttribute('data-document-status')).toBe('EN_ERREUR')
    const letterA = (await row.getAttribute('data-letter'))!
    await Promise.all([page.waitForURL(/done=/), row.locator('button[name=one]').click()])
    expect(await page.locator('[data-outcome] [data-replayed-id]').evaluateAll((li) => li.map((x) => x.getAttribute('data-replayed-id')))).toEqual([letterA])
    await expectAccessible(page, 'dead letters after a replay')
    const docA = await waitForStatus(a!, ['MISE_A_DISPOSITION'], 60_000)
    expect(statusesOf(docA)).toEqual(['DEPOSEE', 'EN_ERREUR', 'RELANCEE', 'MISE_A_DISPOSITION'])
    expect(docA.history[2].reason).toMatch(/operator 'Octave' \(portal\) replayed the message forwarder failed on/)
    expect(await withDb(async (db) => (await db.query('SELECT replays, replayed_by FROM dead_letters WHERE id = $1', [letterA])).rows[0])).toEqual({ replays: 1, replayed_by: "operator 'Octave' (portal)" })

    // Several: the two other documents' letters ticked in the list of letters never replayed.
    await page.goto(url('/portal/admin/dead-letters'))
    expect(await page.locator(`tr[data-document="${a}"]`).count()).toBe(0)
    // The undecodable one is listed, said not replayable, and offers neither a tick box nor a button.
    const ghostRows = page.locator(`tr[data-document="${ghost}"]`)
    expect(await ghostRows.count()).toBeGreaterThan(0)
    expect(await ghostRows.first().locator('[data-not-replayable]').count()).toBe(1)
    expect(await ghostRows.locator('input, button').count()).toBe(0)
    for (const id of [b, c]) await page.locator(`tr[data-document="${id}"] input[name=ids]`).check()
    await Promise.all([page.waitForURL(/done=/), page.locator('button[name=action][value=selected]').click()])
    expect(await page.locator('[data-outcome] [data-replayed-id]').count()).toBe(2)
    for (const id of [b, c]) expect(statusesOf(await waitForStatus(id!, ['MISE_A_DISPOSITION'], 60_000))).toEqual(['DEPOSEE', 'EN_ERREUR', 'RELANCEE', 'MISE_A_DISPOSITION'])
    expect((await readdir(inbox.dir)).sort()).toEqual(ids.map((id) => `${id}.xml`).sort())
    for (const size of ['desktop', 'phone'] as const) await screenshot(page, 'portal-admin-dead-letters', size)
    await page.setViewportSize({ width: 1280, height: 800 })

    // The undecodable letter, asked for all the same: not replayed, and the page says why.
    const ghostLetter = (await ghostRows.first().getAttribute('data-letter'))!
    const token = await page.locator('input[name=_csrf]').first().inputValue()
    const refused = await page.request.post(url('/portal/admin/dead-letters/replay'), { form: { _csrf: token, action: 'selected', ids: ghostLetter }, headers: { origin: hub().url } })
    expect(refused.status()).toBe(200)
    expect(new URL(refused.url()).searchParams.get('done')).toMatch(/^\d+$/)
    expect(await refused.text()).toMatch(new RegExp(`data-skipped-id="${ghostLetter}"[\\s\\S]*not a valid event of its topic`))
    expect(await withDb(async (db) => (await db.query('SELECT replays FROM dead_letters WHERE id = $1', [ghostLetter])).rows[0].replays)).toBe(0)

    // Every replay on record, the operator as actor; the refused one as failed.
    const recorded = await events('operator.dlq.replay', operatorId)
    expect(recorded.map((e) => [e.outcome, e.detail.replayed.length, e.detail.skipped.length])).toEqual([['ok', 1, 0], ['ok', 2, 0], ['failed', 0, 1]])
    expect(recorded[0]!.detail.replayed[0].documentId).toBe(a)
  })

  test('failed deliveries: the recipient\'s answer shown, retried one and several at a time once it is fixed', async () => {
    const recipient = await flakyRecipient()
    try {
      const siret = randomSiret()
      expect((await registerParticipant(`0009:${siret}`, recipient.endpoint)).status).toBe(201)
      const ids = [await post(siret), await post(siret), await post(siret)]
      for (const id of ids) expect((await waitForStatus(id, ['ECHEC_DISTRIBUTION', 'MISE_A_DISPOSITION'], 60_000)).status).toBe('ECHEC_DISTRIBUTION')
      const [d, e, f] = ids

      await page.goto(url(`/portal/admin/deliveries?endpoint=${encodeURIComponent(recipient.endpoint)}`))
      await expectAccessible(page, 'failed deliveries')
      for (const id of ids) {
        const row = page.locator(`tr[data-document="${id}"]`)
        expect(await row.getAttribute('data-state')).toBe('failed')
        expect(await row.innerText()).toMatch(/HTTP 503[\s\S]*round 1, 3 attempts/)
        expect(await row.locator('[data-document-status]').getAttribute('data-document-status')).toBe('ECHEC_DISTRIBUTION')
      }
      for (const size of ['desktop', 'phone'] as const) await screenshot(page, 'portal-admin-deliveries', size)
      await page.setViewportSize({ width: 1280, height: 800 })

      recipient.state.fixed = true
      await Promise.all([page.waitForURL(/done=/), page.locator(`tr[data-document="${d}"] button[name=one]`).click()])
      expect(await page.locator('[data-outcome] [data-retried-id]').count()).toBe(1)
      const docD = await waitForStatus(d!, ['MISE_A_DISPOSITION'], 60_000)
      expect(statusesOf(docD)).toEqual(['DEPOSEE', 'ECHEC_DISTRIBUTION', 'RELANCEE', 'MISE_A_DISPOSITION'])
      expect(docD.history[2].reason).toMatch(/operator 'Octave' \(portal\) retried the delivery to the recipient \(round 2\)/)

      // The list keeps its filter after the retry; the two others ticked and retried together.
      expect(new URL(page.url()).searchParams.get('endpoint')).toBe(recipient.endpoint)
      expect(await page.locator(`tr[data-document="${d}"]`).count()).toBe(0)
      for (const id of [e, f]) await page.locator(`tr[data-document="${id}"] input[name=ids]`).check()
      await Promise.all([page.waitForURL(/done=/), page.locator('button[name=action][value=selected]').click()])
      expect(await page.locator('[data-outcome] [data-retried-id]').count()).toBe(2)
      await expectAccessible(page, 'deliveries after a retry')
      for (const id of [e, f]) expect(statusesOf(await waitForStatus(id!, ['MISE_A_DISPOSITION'], 60_000))).toEqual(['DEPOSEE', 'ECHEC_DISTRIBUTION', 'RELANCEE', 'MISE_A_DISPOSITION'])

      // As the admin API sees them: delivered in round 2, retried by the operator.
      for (const id of ids) {
        const listed = await api('GET', `/v1/admin/deliveries?documentId=${id}`, admin())
        expect(listed.json.deliveries).toEqual([expect.objectContaining({ kind: 'document', state: 'delivered', generation: 2, retriedBy: "operator 'Octave' (portal)" })])
      }
      const recorded = await events('operator.deliveries.retry', operatorId)
      expect(recorded.map((x) => [x.outcome, x.detail.retried.map((r: any) => r.documentId).sort()])).toEqual([['ok', [d]], ['ok', [e, f].sort()]])
    } finally {
      recipient.server.close()
    }
  })

  test('a directory import through the page: its progress, its counts, each refused line with the reason', async () => {
    const [s1, s2] = [randomSiret(), randomSiret()]
    // Two lines refused among more than one batch (1000) of valid ones.
    const many = Array.from({ length: 1500 }, (_, i) => JSON.stringify({ siret: randomSiret(), name: `Commune ${i}`, services: [{ code: `S-${i}`, name: 'Accueil' }] }))
    const file = [
      JSON.stringify({ siret: s1, name: 'Mairie de Test-sur-Import', serviceRequired: true, services: [{ code: 'SERV-01', name: 'Finances' }] }),
      JSON.stringify({ siret: '12345678901234', name: 'Clé fausse' }),
      JSON.stringify({ siret: s2, name: 'Syndicat des eaux', commitmentRequired: true }),
      '{"siret": ',
      ...many,
      '',
    ].join('\n')
    const lines = 4 + many.length
    await page.goto(url('/portal/admin/directory'))
    await expectAccessible(page, 'directory')
    // What the page shows while the file goes, kept across the navigation to the outcome (sessionStorage): a
    // watcher added through the browser's debugging protocol, which the page's CSP does not govern.
    await page.context().addInitScript(`document.addEventListener('DOMContentLoaded', () => {
      const box = document.querySelector('[data-import-progress]')
      if (!box) return
      const bar = box.querySelector('progress')
      const state = box.querySelector('[data-import-state]')
      const seen = []
      const note = () => { seen.push({ hidden: box.hidden, value: bar.value, max: bar.max, state: state.textContent }); sessionStorage.setItem('import-progress', JSON.stringify(seen)) }
      new MutationObserver(note).observe(box, { attributes: true, childList: true, subtree: true, characterData: true })
    })`)
    await page.reload()
    await page.setInputFiles('#import-file', { name: 'annuaire.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(file) })
    await Promise.all([page.waitForURL(/done=/, { timeout: 60_000 }), page.locator('form[data-import] button[type=submit]').click()])
    const seen = JSON.parse(await page.evaluate("sessionStorage.getItem('import-progress')") as string) as { hidden: boolean; value: number; max: number; state: string }[]
    process.stderr.write(`[portal-admin] import progress seen: ${JSON.stringify(seen.map((x) => `${x.value}/${x.max} ${x.state}`))}\n`)
    expect(seen.every((x) => !x.hidden && x.max === Buffer.byteLength(file))).toBe(true)
    expect(seen.at(-1)).toMatchObject({ value: Buffer.byteLength(file), state: 'importing the last lines…' })

    const counted = Object.fromEntries(await page.locator('[data-outcome] dd[data-count]').evaluateAll((dds) => dds.map((dd) => [dd.getAttribute('data-count'), dd.textContent])))
    const n = (x: number) => new Intl.NumberFormat('en-GB').format(x)
    expect(counted).toEqual({ lines: n(lines), imported: n(many.length + 2), created: n(many.length + 2), updated: '0', failed: '2' })
    const refused = await page.locator('table[data-import-errors] tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-line'), r.textContent]))
    expect(refused.map(([line]) => line)).toEqual(['2', '4'])
    expect(refused[0]![1]).toMatch(/not a valid SIRET/)
    expect(refused[1]![1]).toMatch(/not JSON/)
    await expectAccessible(page, 'directory import outcome')
    for (const size of ['desktop', 'phone'] as const) await screenshot(page, 'portal-admin-directory', size)
    await page.setViewportSize({ width: 1280, height: 800 })

    // In the directory, as the API answers.
    const one = await api('GET', `/v1/directory/structures/${s1}`, admin())
    expect(one.status).toBe(200)
    expect(one.json).toMatchObject({ name: 'Mairie de Test-sur-Import', serviceRequired: true, services: [{ code: 'SERV-01', name: 'Finances' }] })
    expect((await api('GET', `/v1/directory/structures/${s2}`, admin())).json).toMatchObject({ commitmentRequired: true })
    const recorded = await events('operator.directory.import', operatorId)
    expect(recorded.at(-1)).toMatchObject({ outcome: 'ok', detail: { file: 'annuaire.ndjson', lines, imported: many.length + 2, failed: 2 } })
    expect((await api('GET', `/v1/directory/structures/${JSON.parse(many.at(-1)!).siret}`, admin())).json).toMatchObject({ name: `Commune ${many.length - 1}` })
  })

  test('a partner\'s addresses, sellers and keys: a key issued works, revoked gets 401, a rotation keeps the old key for the grace period', async () => {
    await page.goto(url(`/portal/admin/partners?q=${encodeURIComponent(partner.name)}`))
    await expectAccessible(page, 'partners')
    const row = page.locator(`tr[data-partner="${partner.id}"]`)
    expect(await row.innerText()).toContain(`0009:${partner.siret}`)
    expect(await row.locator('[data-working-keys]').getAttribute('data-working-keys')).toBe('1')
    await Promise.all([page.waitForURL(new RegExp(`/partners/${partner.id}$`)), row.locator('a').click()])
    await expectAccessible(page, 'partner')
    expect(await page.locator('[data-addresses]').innerText()).toContain(`0009:${partner.siret}`)
    expect(await page.locator('[data-sellers]').innerText()).toContain(`0009:${partner.siret}`)
    expect(await page.locator('table[data-keys] tbody tr').count()).toBe(1)

    // Issued: shown once, working at once; the record names the key's id, never the key.
    await submit(page, 'form:has(button[data-issue])')
    const issued = (await page.locator('[data-api-key]').innerText()).trim()
    const issuedId = (await page.locator('[data-api-key]').getAttribute('data-key-id'))!
    expect(issued).toMatch(/^fct_/)
    expect((await api('GET', '/v1/documents', { key: issued })).status).toBe(200)
    await expectAccessible(page, 'partner with a new key')
    for (const size of ['desktop', 'phone'] as const) await screenshot(page, 'portal-admin-partner', size)
    await page.setViewportSize({ width: 1280, height: 800 })
    await page.goto(url(`/portal/admin/partners/${partner.id}`))
    expect(await page.locator('[data-api-key]').count()).toBe(0)

    // Revoked: 401 from the API at once; the partner's first key still works.
    await submit(page, `tr[data-key-id="${issuedId}"] form`)
    expect(await page.locator(`tr[data-key-id="${issuedId}"]`).getAttribute('data-key-state')).toBe('revoked')
    expect(await page.locator('.notice.ok').innerText()).toContain(issuedId)
    const refused = await api('GET', '/v1/documents', { key: issued })
    expect(refused.status).toBe(401)
    expect(refused.json.detail).toMatch(/revoked/)
    expect((await api('GET', '/v1/documents', { key: partner.key })).status).toBe(200)

    // Rotated: a new key; the first one keeps working until its expiry (FACTEUR_KEY_ROTATION_GRACE_SECONDS).
    await submit(page, 'form:has(button[data-rotate])')
    const rotated = (await page.locator('[data-api-key]').innerText()).trim()
    expect((await api('GET', '/v1/documents', { key: rotated })).status).toBe(200)
    expect((await api('GET', '/v1/documents', { key: partner.key })).status).toBe(200)
    const keys = (await api('GET', `/v1/partners/${partner.id}/keys`, admin())).json.keys
    expect(keys.map((k: any) => k.state)).toEqual(['expiring', 'revoked', 'active'])

    const kinds = await withDb(async (c) => (await c.query<{ kind: string; detail: any }>(
      `SELECT kind, detail FROM portal_events WHERE actor_id = $1 AND kind LIKE 'operator.key.%' ORDER BY id`, [operatorId])).rows)
    expect(kinds.map((k) => [k.kind, k.detail.partnerId])).toEqual([['operator.key.issued', partner.id], ['operator.key.revoked', partner.id], ['operator.key.rotated', partner.id]])
    expect(kinds[0]!.detail.keyId).toBe(issuedId)
    expect(JSON.stringify(kinds)).not.toContain(issued.slice(4))
    expect(JSON.stringify(kinds)).not.toContain(rotated.slice(4))
  })

  test('a partner registered from the page: its first key shown once works against the API; its sellers replaced from its page, as the API lists them', async () => {
    const siret = randomSiret()
    const name = `Cabinet Portail ${siret}`
    await page.goto(url('/portal/admin/partners'))
    await expectAccessible(page, 'partners with the registration form')

    // Refused (a SIRET whose check digit is wrong): said, the typed values kept, nothing registered.
    await page.fill('#r-name', name)
    await page.fill('#r-addresses', `0009:${siret}\n0009:12345678901234`)
    await submit(page, 'form[data-register]')
    expect(await page.locator('.notice.error').innerText()).toMatch(/Not registered: .*12345678901234/)
    expect(await page.inputValue('#r-name')).toBe(name)
    expect(await page.inputValue('#r-addresses')).toContain('12345678901234')
    const partnerNamed = () => withDb(async (c) => (await c.query('SELECT id FROM partners WHERE name = $1', [name])).rows[0]?.id as string | undefined)
    expect(await partnerNamed()).toBeUndefined()
    await expectAccessible(page, 'partner registration refused')

    // Registered: the partner's page with its first key, shown this once; the key works at once.
    await page.fill('#r-addresses', `0009:${siret}\n0009:${siret}`)
    await submit(page, 'form[data-register]')
    const id = (await partnerNamed())!
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(await page.locator('.notice.ok').first().innerText()).toContain(name)
    const key = (await page.locator('[data-api-key]').innerText()).trim()
    const keyId = (await page.locator('[data-api-key]').getAttribute('data-key-id'))!
    expect(key).toMatch(/^fct_/)
    expect(await page.locator('[data-addresses]').innerText()).toBe(`0009:${siret}`)
    await expectAccessible(page, 'partner registered, its first key')
    const mine = await api('GET', '/v1/documents', { key })
    expect(mine.status, mine.text).toBe(200)
    expect((await api('GET', `/v1/partners/${id}/keys`, admin())).json.keys.map((k: any) => [k.id, k.state])).toEqual([[keyId, 'active']])
    // Its page read again: the key is not there any more.
    await page.goto(url(`/portal/admin/partners/${id}`))
    expect(await page.locator('[data-api-key]').count()).toBe(0)

    // Its sellers: replaced as a whole from its page (duplicates and separators tolerated), as the API lists them.
    const [s1, s2] = [randomSiret(), randomSiret()].sort()
    await page.fill('#p-sellers', `0009:${s2}\n0009:${s1}, 0009:${s2}`)
    await submit(page, 'form[data-sellers-form]')
    expect(await page.locator('.notice.ok').innerText()).toMatch(/Sellers replaced: 2 bound now/)
    expect((await api('GET', `/v1/partners/${id}/sellers`, admin())).json).toEqual({ partnerId: id, addresses: [`0009:${siret}`], sellers: [`0009:${s1}`, `0009:${s2}`] })
    expect(await page.inputValue('#p-sellers')).toBe(`0009:${s1}\n0009:${s2}`)
    await expectAccessible(page, 'partner with its sellers replaced')
    // A wrong one refuses the whole list: the API still lists the two.
    await page.fill('#p-sellers', `0009:${s1}\n0009:12345678901234`)
    await submit(page, 'form[data-sellers-form]')
    expect(await page.locator('.notice.error').innerText()).toMatch(/Sellers not changed: .*12345678901234/)
    expect((await api('GET', `/v1/partners/${id}/sellers`, admin())).json.sellers).toEqual([`0009:${s1}`, `0009:${s2}`])
    // Emptied: no seller bound any more.
    await page.fill('#p-sellers', '')
    await submit(page, 'form[data-sellers-form]')
    expect((await api('GET', `/v1/partners/${id}/sellers`, admin())).json.sellers).toEqual([])

    // On record, the operator as actor: the key's id, never the key.
    const created = await events('operator.partner.created', operatorId)
    expect(created.at(-1)).toMatchObject({ outcome: 'ok', detail: { partnerId: id, partner: name, addresses: [`0009:${siret}`], keyId } })
    expect(JSON.stringify(created)).not.toContain(key.slice(4))
    const sellers = await events('operator.partner.sellers', operatorId)
    expect(sellers.filter((e) => e.detail.partnerId === id).map((e) => [e.detail.before, e.detail.sellers]))
      .toEqual([[[], [`0009:${s1}`, `0009:${s2}`]], [[`0009:${s1}`, `0009:${s2}`], []]])
  })

  test('one delivery job retried alone: the document\'s other failed receipt stays failed; the bulk retry is confirmed first', async () => {
    // A supplier whose receipts go to a recipient answering 503; its invoice delivered to a buyer who approves it:
    // two receipts (MISE_A_DISPOSITION, APPROUVEE) whose jobs both fail, for one document.
    const recipient = await flakyRecipient()
    try {
      const [supplierSiret, buyerSiret] = [randomSiret(), randomSiret()]
      expect((await registerParticipant(`0009:${supplierSiret}`, recipient.endpoint, 'Fournisseur')).status).toBeLessThan(300)
      const inbox = await dropFolder()
      expect((await registerParticipant(`0009:${buyerSiret}`, inbox.endpoint)).status).toBeLessThan(300)
      const supplier = await api('POST', '/v1/partners', { ...admin(), body: { name: `Fournisseur Portail ${supplierSiret}`, addresses: [`0009:${supplierSiret}`] } })
      const buyer = await api('POST', '/v1/partners', { ...admin(), body: { name: `Acheteur Portail ${buyerSiret}`, addresses: [`0009:${buyerSiret}`] } })
      expect([supplier.status, buyer.status]).toEqual([201, 201])
      const posted = await postDocument(withSellerSiret(withBuyerAddress(await fixture('ubl-invoice.xml'), FIXTURE_BUYER, buyerSiret), supplierSiret), { key: supplier.json.apiKey })
      expect(posted.status, posted.text).toBe(202)
      const doc = posted.json.id as string
      expect((await waitForStatus(doc, ['MISE_A_DISPOSITION', 'A_RECYCLER', 'REJETEE'], 60_000, supplier.json.apiKey)).status).toBe('MISE_A_DISPOSITION')
      expect((await api('POST', `/v1/documents/${doc}/status`, { key: buyer.json.apiKey, body: { status: 'APPROUVEE' } })).status).toBe(200)
      const jobsOf = async () => (await api('GET', `/v1/admin/deliveries?documentId=${doc}`, admin())).json.deliveries as any[]
      const failedReceipts = async () => (await jobsOf()).filter((j) => j.kind === 'receipt' && j.state === 'failed').length
      await expect.poll(failedReceipts, { timeout: 90_000, interval: 500 }).toBe(2)
      const [first, second] = (await jobsOf()).filter((j) => j.kind === 'receipt').sort((x, y) => x.receiptSequence - y.receiptSequence)

      // The first receipt's own button, once the recipient is fixed: that job alone.
      recipient.state.fixed = true
      await page.goto(url(`/portal/admin/deliveries?document=${doc}`))
      await expectAccessible(page, 'failed receipts of a document')
      expect(await page.locator('tr[data-job]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')).sort())).toEqual([first.id, second.id].sort())
      await Promise.all([page.waitForURL(/done=/), page.locator(`tr[data-job="${first.id}"] button[name=one]`).click()])
      expect(await page.locator('[data-outcome] [data-retried-id]').evaluateAll((li) => li.map((x) => x.getAttribute('data-retried-id')))).toEqual([first.id])
      await expect.poll(async () => (await jobsOf()).find((j) => j.id === first.id).state, { timeout: 60_000 }).toBe('delivered')
      const after = await jobsOf()
      expect(after.find((j) => j.id === first.id)).toMatchObject({ state: 'delivered', generation: 2, retriedBy: "operator 'Octave' (portal)" })
      expect(after.find((j) => j.id === second.id)).toMatchObject({ state: 'failed', generation: 1, retriedBy: null })
      expect(after.find((j) => j.kind === 'document')).toMatchObject({ state: 'delivered', generation: 1 })
      const retried = await events('operator.deliveries.retry', operatorId)
      expect(retried.at(-1)!.detail.selectors).toEqual([{ id: first.id }])

      // Every failed delivery: first a page saying how many there are now, and nothing done.
      await page.goto(url('/portal/admin/deliveries'))
      await Promise.all([page.waitForLoadState('load'), page.locator('button[name=action][value=all]').click()])
      const failedNow = await withDb(async (c) => (await c.query(`SELECT count(*)::int AS n FROM delivery_jobs WHERE topic_prefix = $1 AND state = 'failed'`, [hub().topicPrefix])).rows[0].n)
      expect(failedNow).toBeGreaterThanOrEqual(1)
      expect(await page.locator('h1').innerText()).toBe('Retry every failed delivery?')
      expect(Number(await page.locator('[data-confirm]').getAttribute('data-confirm'))).toBe(failedNow)
      expect(await page.locator('#confirm-h').innerText()).toContain(`${failedNow} failed delivery job`)
      await expectAccessible(page, 'retry every failed delivery: the confirmation')
      for (const size of ['desktop', 'phone'] as const) await screenshot(page, 'portal-admin-confirm-retry', size)
      await page.setViewportSize({ width: 1280, height: 800 })
      expect((await jobsOf()).find((j) => j.id === second.id)).toMatchObject({ state: 'failed', generation: 1 })
      expect(await events('operator.deliveries.retry', operatorId)).toHaveLength(retried.length)

      // Confirmed: done, the second receipt with the others.
      await Promise.all([page.waitForURL(/done=/), page.locator('button[data-confirm-button]').click()])
      expect(await page.locator(`[data-outcome] [data-retried-id="${second.id}"]`).count()).toBe(1)
      await expect.poll(async () => (await jobsOf()).find((j) => j.id === second.id).state, { timeout: 60_000 }).toBe('delivered')
      const confirmed = await events('operator.deliveries.retry', operatorId)
      expect(confirmed).toHaveLength(retried.length + 1)
      expect(confirmed.at(-1)!.detail.selectors).toEqual([{ all: true }])
    } finally {
      recipient.server.close()
    }
  })

  test('every dead letter never replayed: a confirmation with the count first, nothing replayed until confirmed', async () => {
    const pending = () => withDb(async (c) => (await c.query<{ id: string; replayable: boolean }>(
      `SELECT id, event IS NOT NULL AS replayable FROM dead_letters WHERE topic LIKE $1 AND replayed_at IS NULL`, [`${hub().topicPrefix}.%`])).rows)
    const before = await pending()
    // The undecodable letter of the first test is still there, never replayed (it cannot be).
    expect(before.some((l) => !l.replayable)).toBe(true)
    const recorded = (await events('operator.dlq.replay', operatorId)).length

    await page.goto(url('/portal/admin/dead-letters'))
    await Promise.all([page.waitForLoadState('load'), page.locator('button[name=action][value=all]').click()])
    expect(await page.locator('h1').innerText()).toBe('Replay every letter never replayed?')
    expect(Number(await page.locator('[data-confirm]').getAttribute('data-confirm'))).toBe(before.length)
    expect(await page.locator('#confirm-h').innerText()).toContain(`${before.filter((l) => !l.replayable).length} of them cannot be`)
    await expectAccessible(page, 'replay every dead letter: the confirmation')
    expect((await pending()).map((l) => l.id).sort()).toEqual(before.map((l) => l.id).sort())
    expect(await events('operator.dlq.replay', operatorId)).toHaveLength(recorded)
    // Cancelled: back to the list, still nothing done.
    await Promise.all([page.waitForURL(/\/dead-letters(\?|$)/), page.locator('main a.button.secondary').click()])
    expect(await events('operator.dlq.replay', operatorId)).toHaveLength(recorded)

    // In French, then confirmed: the undecodable letter reported as not replayed.
    await page.goto(url('/portal/lang/fr?back=/portal/admin/dead-letters'))
    await Promise.all([page.waitForLoadState('load'), page.locator('button[name=action][value=all]').click()])
    expect(await page.locator('h1').innerText()).toBe('Relancer toutes les lettres jamais relancées ?')
    await expectAccessible(page, 'replay every dead letter: the confirmation (fr)')
    await Promise.all([page.waitForURL(/done=/), page.locator('button[data-confirm-button]').click()])
    const done = await events('operator.dlq.replay', operatorId)
    expect(done).toHaveLength(recorded + 1)
    expect(done.at(-1)!.detail.selectors).toEqual([{ all: true }])
    expect(done.at(-1)!.detail.replayed.length + done.at(-1)!.detail.skipped.length).toBeGreaterThanOrEqual(before.length)
    expect(await page.locator('[data-outcome] [data-skipped-id]').count()).toBeGreaterThanOrEqual(1)
    await page.goto(url('/portal/lang/en?back=/portal/admin/dead-letters'))
  })

  test('the health page: the readiness checks of /readyz, and charts whose bars and tables agree with PostgreSQL', async () => {
    // Something to draw: one document delivered, one rejected.
    const inbox = await dropFolder()
    const siret = randomSiret()
    await registerParticipant(`0009:${siret}`, inbox.endpoint)
    expect((await waitForStatus(await post(siret), ['MISE_A_DISPOSITION'])).status).toBe('MISE_A_DISPOSITION')
    const bad = await postDocument(withBuyerAddress(await fixture('ubl-invoice-invalid-totals.xml'), FIXTURE_BUYER, siret))
    expect((await waitForStatus(bad.json.id, ['REJETEE'])).status).toBe('REJETEE')

    type Seen = { documents: Record<string, number>; perHour: Record<string, number>; deliveries: Record<string, number> }
    const fromDb = () => withDb(async (c): Promise<Seen> => ({
      documents: Object.fromEntries((await c.query('SELECT status, count(*)::int AS n FROM documents GROUP BY status')).rows.map((r) => [r.status, r.n])),
      perHour: Object.fromEntries((await c.query(
        `SELECT date_trunc('hour', received_at) AS h, count(*)::int AS n FROM documents
          WHERE received_at >= date_trunc('hour', now()) - interval '23 hours' GROUP BY 1`)).rows.map((r) => [r.h.toISOString(), r.n])),
      deliveries: Object.fromEntries((await c.query(
        `SELECT state, count(*)::int AS n FROM delivery_jobs WHERE topic_prefix = $1 AND state IN ('delivered', 'failed') AND finished_at >= now() - interval '24 hours' GROUP BY state`,
        [hub().topicPrefix])).rows.map((r) => [r.state, r.n])),
    }))
    const bars = (chart: string) => page.locator(`svg[data-chart="${chart}"] rect[data-key]`).evaluateAll((rs) => Object.fromEntries(rs.map((r) => [r.getAttribute('data-key'), Number(r.getAttribute('data-value'))])))
    const cells = (chart: string) => page.locator(`table[data-numbers="${chart}"] tbody tr`).evaluateAll((rs) => Object.fromEntries(rs.map((r) => [r.getAttribute('data-key'), Number(r.querySelector('td')!.getAttribute('data-value'))])))
    const nonZero = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([, v]) => v > 0))

    // The page against the database read just before and just after it (the hub may still be moving a document).
    let compared = false
    for (let i = 0; i < 10 && !compared; i++) {
      const before = await fromDb()
      await page.goto(url('/portal/admin/health'))
      const after = await fromDb()
      if (JSON.stringify(before) !== JSON.stringify(after)) continue
      expect(await bars('documents')).toEqual(before.documents)
      expect(await cells('documents')).toEqual(before.documents)
      const hours = await bars('deposits')
      expect(Object.keys(hours)).toHaveLength(24)
      expect(nonZero(hours)).toEqual(before.perHour)
      expect(nonZero(await cells('deposits'))).toEqual(before.perHour)
      expect(Number(await page.locator('[data-deposits-total]').getAttribute('data-deposits-total'))).toBe(Object.values(before.perHour).reduce((s, n) => s + n, 0))
      expect(await bars('deliveries')).toEqual({ delivered: before.deliveries.delivered ?? 0, failed: before.deliveries.failed ?? 0 })
      expect(await cells('deliveries')).toEqual(await bars('deliveries'))
      compared = true
    }
    expect(compared, 'the database kept changing while the page was read').toBe(true)
    expect(Object.keys(await bars('documents'))).toEqual(expect.arrayContaining(['MISE_A_DISPOSITION', 'REJETEE']))

    // Readiness: the checks of /readyz, all passing, as /readyz says.
    const readyz = await (await fetch(url('/readyz'))).json() as { status: string; failures: Record<string, string> }
    expect(readyz.status).toBe('ready')
    expect(await page.locator('[data-ready]').getAttribute('data-ready')).toBe('ready')
    const checks = await page.locator('tr[data-check]').evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-check'), r.getAttribute('data-ok')]))
    expect(checks.map(([name]) => name)).toEqual(expect.arrayContaining(['postgresql', 'kafka', 'outbox']))
    expect(checks.every(([, ok]) => ok === 'true')).toBe(true)
    // The backlog as /metrics reads it; each chart is an image with a title that says its numbers.
    const metrics = await (await fetch(url('/metrics'))).text()
    const failedJobs = Number(/^facteur_delivery_jobs\{state="failed"\} (\d+)$/m.exec(metrics)![1])
    expect((await bars('backlog'))['deliveries-failed']).toBe(failedJobs)
    for (const chart of ['backlog', 'documents', 'deposits', 'deliveries']) {
      const svg = page.locator(`svg[data-chart="${chart}"]`)
      expect(await svg.getAttribute('role')).toBe('img')
      expect(await page.locator(`#${await svg.getAttribute('aria-labelledby')}`).textContent()).toMatch(/\d/)
    }
    // The process's own registry: consumer lag of this hub's groups (absent from a scrape where Kafka did not
    // answer within 2 s: then read again).
    const lagged = async () => Object.keys(await cells('lag')).some((k) => k.startsWith(`${hub().topicPrefix}.`))
    for (let i = 0; i < 5 && !(await lagged()); i++) await page.reload()
    expect(await lagged()).toBe(true)
    await expectAccessible(page, 'health')
    for (const size of ['desktop', 'phone'] as const) await screenshot(page, 'portal-admin-health', size)
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  test('a person who is not an operator gets 403 on every operator page and action, and nothing changes', async () => {
    const keysBefore = (await api('GET', `/v1/partners/${partner.id}/keys`, admin())).json.keys.length
    await clerkPage.goto(url('/portal/account'))
    const token = await clerkPage.locator('input[name=_csrf]').first().inputValue()
    const pages = ['/portal/admin', '/portal/admin/health', '/portal/admin/partners', `/portal/admin/partners/${partner.id}`, '/portal/admin/directory', '/portal/admin/dead-letters', '/portal/admin/deliveries']
    for (const path of pages) expect((await clerkPage.request.get(url(path))).status(), path).toBe(403)
    const keyId = (await api('GET', `/v1/partners/${partner.id}/keys`, admin())).json.keys[0].id
    const posts: [string, Record<string, string>][] = [
      ['/portal/admin/people', { structure: `${partner.id}:${partner.siret}`, role: 'principal', name: 'Intrus', email: 'intrus@example.org' }],
      ['/portal/admin/dead-letters/replay', { action: 'all' }],
      ['/portal/admin/deliveries/retry', { action: 'all' }],
      [`/portal/admin/partners/${partner.id}/keys`, { mode: 'issue' }],
      [`/portal/admin/partners/${partner.id}/keys/${keyId}/revoke`, {}],
      ['/portal/admin/partners', { name: `Intrus ${partner.siret}`, addresses: `0009:${randomSiret()}` }],
      [`/portal/admin/partners/${partner.id}/sellers`, { sellers: '' }],
    ]
    for (const [path, form] of posts) {
      const answer = await clerkPage.request.post(url(path), { form: { _csrf: token, ...form }, headers: { origin: hub().url } })
      expect(answer.status(), path).toBe(403)
    }
    const upload = await clerkPage.request.post(url('/portal/admin/directory/import'), { data: `{"siret": "${randomSiret()}", "name": "Intrus"}\n`, headers: { 'content-type': 'application/x-ndjson', 'x-csrf-token': token, origin: hub().url } })
    expect(upload.status()).toBe(403)
    expect((await api('GET', `/v1/partners/${partner.id}/keys`, admin())).json.keys.length).toBe(keysBefore)
    expect((await api('GET', `/v1/partners/${partner.id}/sellers`, admin())).json.sellers).toEqual([`0009:${partner.siret}`])
    expect(await withDb(async (c) => (await c.query('SELECT count(*)::int AS n FROM partners WHERE name = $1', [`Intrus ${partner.siret}`])).rows[0].n)).toBe(0)
    expect(await withDb(async (c) => (await c.query(`SELECT count(*)::int AS n FROM portal_events WHERE kind LIKE 'operator.%' AND actor_id = (SELECT id FROM people WHERE email = $1)`, [clerk.email])).rows[0].n)).toBe(0)
    // No operator item in the clerk's menu; signed out, the pages send to the sign-in page.
    expect(await clerkPage.locator('nav a[href="/portal/admin"]').count()).toBe(0)
    const anonymous = await fetch(url('/portal/admin/dead-letters'), { redirect: 'manual' })
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toMatch(/^\/portal\/sign-in/)
  })

  test('every operator page passes axe in French and in English, with the sub-navigation marking where one is', async () => {
    const paths = ['/portal/admin/health', '/portal/admin', '/portal/admin/partners', `/portal/admin/partners/${partner.id}`, '/portal/admin/directory', '/portal/admin/dead-letters?state=all', '/portal/admin/deliveries?state=all']
    for (const lang of ['fr', 'en'] as const) {
      await page.goto(url(`/portal/lang/${lang}?back=/portal/admin`))
      for (const path of paths) {
        const answer = await page.goto(url(path))
        expect(answer!.status(), path).toBe(200)
        expect(await page.locator('html').getAttribute('lang')).toBe(lang)
        expect(await page.locator('nav.subnav a[aria-current="page"]').count(), path).toBe(1)
        await expectAccessible(page, `${path} (${lang})`)
      }
    }
    await page.goto(url('/portal/admin/health'))
    expect(await page.locator('h1').innerText()).toBe('Health')
    await page.goto(url('/portal/lang/fr?back=/portal/admin/health'))
    expect(await page.locator('h1').innerText()).toBe('Santé')
  })
})
