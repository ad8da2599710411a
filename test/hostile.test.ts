// Malformed, hostile, oversize and unsupported input gets a precise 4xx, and nothing else happens:
// no document row, no outbox row, no event.
import { describe, expect, test } from 'vitest'
import { api, hub, postDocument, withDb } from './helpers.js'

const counts = () => withDb(async (db) => {
  const { rows } = await db.query<{ documents: string; outbox: string }>(
    "SELECT (SELECT count(*) FROM documents) AS documents, (SELECT count(*) FROM outbox) AS outbox")
  return rows[0]
})

const xxe = `<?xml version="1.0"?>
<!DOCTYPE Invoice [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&secret;</ID></Invoice>`
const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<lolz>&lol3;</lolz>`

describe('hostile and malformed deposits', () => {
  test.each([
    ['malformed XML', () => postDocument('<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">\n  <ID>1</Invoice>'), 400, 'malformed-document', /not well-formed XML.*line 2/],
    ['an XXE attempt', () => postDocument(xxe), 400, 'forbidden-xml-construct', /DOCTYPE declaration is not allowed/],
    ['an entity expansion bomb', () => postDocument(billionLaughs), 400, 'forbidden-xml-construct', /DOCTYPE/],
    ['an oversize body', () => postDocument(Buffer.alloc(hub().maxDocumentBytes + 1, 0x20)), 413, 'document-too-large', /limit is \d+ bytes/],
    ['an empty body', () => postDocument(''), 400, 'malformed-document', /empty/],
    ['a JSON body', () => postDocument('{"invoice": 1}', { contentType: 'application/json' }), 415, 'unsupported-media-type', /application\/json/],
    ['XML sent as a PDF', () => postDocument('<Invoice/>', { contentType: 'application/pdf' }), 400, 'malformed-document', /not a PDF/],
    ['no API key', () => postDocument('<a/>', { key: null }), 401, 'unauthenticated', /Authorization: Bearer/],
    ['an unknown API key', () => postDocument('<a/>', { key: 'fct_not-a-real-key' }), 401, 'unauthenticated', /not known/],
    ['the admin key', () => postDocument('<a/>', { key: hub().adminKey }), 403, 'forbidden', /partner key/],
  ])('%s gets %i (%s) and nothing is stored', async (_name, send, status, type, detail) => {
    const before = await counts()
    const res = await send()
    expect(res.status).toBe(status)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(res.json).toMatchObject({ status, type: `https://facteur.dev/problems/${type}` })
    expect(res.json.detail).toMatch(detail)
    expect(await counts()).toEqual(before)
  })

  test('the XXE payload never reaches a response, a row or an event', async () => {
    const res = await postDocument(xxe)
    expect(res.text).not.toContain('root:')
  })
})

describe('reading documents', () => {
  test('an unknown id and a malformed id are both 404 problems', async () => {
    for (const id of ['3b241101-e2bb-4255-8caf-4136c566a962', 'not-a-uuid']) {
      const res = await api('GET', `/v1/documents/${id}`)
      expect(res.status).toBe(404)
      expect(res.json.type).toBe('https://facteur.dev/problems/not-found')
    }
  })

  test('an unknown route is a 404 problem', async () => {
    const res = await api('GET', '/v2/nothing')
    expect(res.status).toBe(404)
    expect(res.json.detail).toBe('no route GET /v2/nothing')
  })

  test('the directory is admin-only', async () => {
    const res = await api('PUT', '/v1/directory/participants/0009:12345678200010', { body: { name: 'x', endpoint: 'file:///tmp/x' } })
    expect(res.status).toBe(403)
  })

  test('health and readiness answer', async () => {
    expect((await api('GET', '/healthz', { key: null })).status).toBe(200)
    const ready = await api('GET', '/readyz', { key: null })
    // The outbox backlog is part of the answer (issue 10 §6): nothing pending at rest.
    expect(ready.json).toMatchObject({ status: 'ready', failures: {}, outbox: { pending: expect.any(Number), oldestPendingSeconds: expect.any(Number), setAside: expect.any(Number) } })
  })
})
