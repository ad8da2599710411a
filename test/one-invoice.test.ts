// The path of one invoice, as a partner and a recipient see it: HTTP in, statuses out, the original bytes
// delivered; and the same path ending in REJETEE or A_RECYCLER when the document or its routing is wrong.
import { describe, expect, test } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { dropFolder, fixture, fixtureManifest, getDocument, postDocument, randomSiret, registerParticipant, waitForStatus, withBuyerAddress, api, hub } from './helpers.js'

/** Each test gets its own recipient: the fixture's buyer SIRET is replaced by a fresh one. */
async function asNewBuyer(file: string) {
  const entry = (await fixtureManifest()).find((e) => e.file === file)
  if (!entry?.buyer) throw new Error(`fixture ${file} has no buyer in test/fixtures/manifest.json`)
  const siret = randomSiret()
  const bytes = withBuyerAddress(await fixture(file), entry.buyer.split(':')[1]!, siret)
  return { bytes, address: `0009:${siret}` }
}

describe('the path of one invoice', () => {
  test('a valid UBL invoice goes DEPOSEE → MISE_A_DISPOSITION and the recipient gets the exact bytes', async () => {
    const { bytes, address } = await asNewBuyer('ubl-invoice.xml')
    const inbox = await dropFolder()
    expect((await registerParticipant(address, inbox.endpoint)).status).toBe(201)

    const posted = await postDocument(bytes)
    expect(posted.status).toBe(202)
    expect(posted.json).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'DEPOSEE' })
    expect(posted.headers.get('location')).toBe(`/v1/documents/${posted.json.id}`)

    const doc = await waitForStatus(posted.json.id, ['MISE_A_DISPOSITION', 'REJETEE', 'A_RECYCLER', 'EN_ERREUR', 'ECHEC_DISTRIBUTION'])
    expect(doc.status).toBe('MISE_A_DISPOSITION')
    expect(doc.history.map((h: any) => [h.status, h.code])).toEqual([['DEPOSEE', '200'], ['MISE_A_DISPOSITION', '203']])
    expect(doc.findings).toEqual([])
    expect(doc.syntax).toBe('ubl-invoice')
    expect(await readFile(join(inbox.dir, `${posted.json.id}.xml`))).toEqual(bytes)
  })

  test('a valid CII invoice is delivered over HTTP with its document id, byte for byte', async () => {
    const { bytes, address } = await asNewBuyer('cii-invoice.xml')
    const received: { id: string | undefined; body: Buffer }[] = []
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c) => chunks.push(c)).on('end', () => {
        received.push({ id: req.headers['x-facteur-document-id'] as string | undefined, body: Buffer.concat(chunks) })
        res.writeHead(202).end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      await registerParticipant(address, `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`)
      const posted = await postDocument(bytes)
      const doc = await waitForStatus(posted.json.id, ['MISE_A_DISPOSITION', 'REJETEE', 'A_RECYCLER', 'EN_ERREUR', 'ECHEC_DISTRIBUTION'])
      expect(doc.status).toBe('MISE_A_DISPOSITION')
      expect(doc.syntax).toBe('cii')
      expect(received).toEqual([{ id: posted.json.id, body: bytes }])
    } finally {
      server.close()
    }
  })

  test('an invoice breaking EN 16931 rules ends REJETEE with the rule ids', async () => {
    const entry = (await fixtureManifest()).find((e) => e.file === 'ubl-invoice-invalid-totals.xml')!
    const posted = await postDocument(await fixture(entry.file))
    const doc = await waitForStatus(posted.json.id, ['REJETEE', 'MISE_A_DISPOSITION', 'A_RECYCLER', 'EN_ERREUR'])
    expect(doc.status).toBe('REJETEE')
    expect(doc.history.at(-1)).toMatchObject({ status: 'REJETEE', code: '213', reason: expect.stringContaining('BR-CO-15') })
    const fatal = [...new Set(doc.findings.filter((f: any) => f.severity === 'fatal').map((f: any) => f.ruleId))].sort()
    expect(fatal).toEqual(entry.expect.fatal)
    expect(doc.findings[0]).toEqual(expect.objectContaining({ ruleId: expect.any(String), severity: 'fatal', location: expect.any(String), message: expect.any(String) }))
    // The rule pack, its version and the line of the offending element travel to the status.
    expect(doc.findings.find((f: any) => f.ruleId === 'BR-CO-15')).toMatchObject({ pack: 'en16931', packVersion: '1.3.16', line: expect.any(Number) })
  })

  test('a document that breaks the XML schema is REJETEE with the libxml message and line, before any rule runs', async () => {
    const text = (await fixture('ubl-invoice.xml')).toString('utf8').replace('<cbc:IssueDate>', '<cbc:NotInUbl>x</cbc:NotInUbl><cbc:IssueDate>')
    const posted = await postDocument(Buffer.from(text))
    const doc = await waitForStatus(posted.json.id, ['REJETEE', 'MISE_A_DISPOSITION', 'A_RECYCLER', 'EN_ERREUR'])
    expect(doc.status).toBe('REJETEE')
    expect(doc.findings).toEqual([expect.objectContaining({ ruleId: 'FACTEUR-XSD', severity: 'fatal', pack: 'xsd', line: text.split('\n').findIndex((l) => l.includes('NotInUbl')) + 1 })])
    expect(doc.findings[0].message).toContain('NotInUbl')
  })

  test('an invoice to an unknown recipient ends A_RECYCLER, naming BT-49', async () => {
    const { bytes, address } = await asNewBuyer('ubl-invoice.xml')
    const posted = await postDocument(bytes)
    const doc = await waitForStatus(posted.json.id, ['A_RECYCLER', 'REJETEE', 'MISE_A_DISPOSITION', 'EN_ERREUR'])
    expect(doc.status).toBe('A_RECYCLER')
    expect(doc.history.at(-1).reason).toBe(`BT-49: the SIRET ${address.slice(5)} (BT-49) is neither a public structure of the directory nor a registered recipient; correct the buyer identifier and resubmit`)
  })

  test('a well-formed document that is not an invoice ends REJETEE, saying what it is', async () => {
    const posted = await postDocument('<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"><ID>PO-1</ID></Order>')
    expect(posted.status).toBe(202)
    const doc = await waitForStatus(posted.json.id, ['REJETEE', 'EN_ERREUR'])
    expect(doc.status).toBe('REJETEE')
    expect(doc.findings).toEqual([expect.objectContaining({ ruleId: 'FACTEUR-SYNTAX-UNSUPPORTED', message: expect.stringContaining('a UBL Order, not an invoice') })])
  })

  test('a recipient endpoint that keeps failing ends ECHEC_DISTRIBUTION with a neutral reason; the answer is the admin\'s', async () => {
    const { bytes, address } = await asNewBuyer('ubl-creditnote.xml')
    const server = http.createServer((_req, res) => res.writeHead(503).end('maintenance'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`
      await registerParticipant(address, endpoint)
      const posted = await postDocument(bytes)
      const doc = await waitForStatus(posted.json.id, ['ECHEC_DISTRIBUTION', 'MISE_A_DISPOSITION', 'EN_ERREUR', 'REJETEE'])
      expect(doc.status).toBe('ECHEC_DISTRIBUTION')
      // The sender reads neither the recipient's endpoint nor its answer.
      const reason = doc.history.at(-1).reason as string
      expect(reason).toMatch(/^delivery to the recipient failed after 3 attempt\(s\)/)
      expect(reason).not.toContain('127.0.0.1')
      expect(reason).not.toContain('maintenance')
      const jobs = await api('GET', `/v1/admin/deliveries?documentId=${posted.json.id}`, { key: hub().adminKey })
      expect(jobs.json.deliveries).toEqual([expect.objectContaining({ endpoint, state: 'failed', attempts: 3, lastError: expect.stringContaining('HTTP 503: maintenance') })])
      expect((await api('GET', `/v1/admin/deliveries?documentId=${posted.json.id}`)).status).toBe(403)
    } finally {
      server.close()
    }
  })
})

describe('idempotency and access', () => {
  test('a replayed Idempotency-Key returns the same document and creates nothing new', async () => {
    const bytes = await fixture('ubl-invoice.xml')
    const key = `idem-${Date.now()}`
    const first = await postDocument(bytes, { idempotencyKey: key })
    const again = await postDocument(bytes, { idempotencyKey: key })
    expect(first.status).toBe(202)
    expect(again.status).toBe(202)
    expect(again.json.id).toBe(first.json.id)
    const other = await postDocument(Buffer.from(bytes.toString().replace('FCT-2026-0001', 'FCT-2026-0099')), { idempotencyKey: key })
    expect(other.status).toBe(422)
    expect(other.json.documentId).toBe(first.json.id)
  })

  test('only the sender and the admin read a document; another partner gets 404', async () => {
    const posted = await postDocument(await fixture('ubl-invoice.xml'))
    expect((await getDocument(posted.json.id)).status).toBe(200)
    expect((await getDocument(posted.json.id, hub().adminKey)).status).toBe(200)
    expect((await getDocument(posted.json.id, 'fct_someone-else')).status).toBe(401)
  })

  test('the directory answers what was registered', async () => {
    const address = `0009:${randomSiret()}`
    await registerParticipant(address, 'file:///tmp/facteur-test-inbox', 'Mairie X')
    const got = await api('GET', `/v1/directory/participants/${address}`, { key: hub().adminKey })
    expect(got.json).toMatchObject({ address, name: 'Mairie X', endpoint: 'file:///tmp/facteur-test-inbox' })
    expect((await api('GET', '/v1/directory/participants/0009:00000000000000', { key: hub().adminKey })).status).toBe(404)
  })
})
