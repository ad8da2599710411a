// The status service applies a consumer run's events in one transaction (store.ts applyChanges). On the real
// PostgreSQL: the same events, applied one by one (applyChange) to some documents and as one run to their
// twins, leave the same histories, facts, current statuses and `document.status` outbox rows; a redelivered
// cause changes nothing; a run naming a missing document writes nothing at all.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { randomBytes, randomUUID } from 'node:crypto'
import { hub, withDb } from './helpers.js'
import { createDb, type Db } from '../services/kit/db.js'
import { applyChange, applyChanges, type Item } from '../services/status/store.js'
import { chainHash } from '../schemas/status-chain.js'
import type { Finding } from '../schemas/events.js'

const finding = (ruleId: string): Finding => ({ ruleId, severity: 'fatal', location: '/Invoice', message: `${ruleId} broken`, pack: 'en16931-ubl', line: 3 })
const keys = { invoiceNumber: 'RUN-1', issueDate: '2026-11-29' } as never

/** A mix of what one run of the lifecycle consumer can hold, for documents a, b, c (by index). */
function scenario(ids: string[], t0: number): Item[] {
  const [a, b, c] = ids as [string, string, string]
  return [
    { documentId: a, causeEvent: `${a}:received`, change: { status: 'DEPOSEE', reason: null, findings: [], at: t0 }, facts: {} },
    { documentId: b, causeEvent: `${b}:received`, change: { status: 'DEPOSEE', reason: null, findings: [], at: t0 + 1 }, facts: {} },
    // VALID verdict (facts alone), then a route, then the delivery: MISE_A_DISPOSITION.
    { documentId: a, causeEvent: `${a}:validated`, change: null, facts: { syntax: 'UBL', keys, findings: [{ ...finding('BR-W'), severity: 'warning' }] } },
    { documentId: a, causeEvent: `${a}:routed`, change: null, facts: { recipientAddress: '0009:21750001600019', serviceCode: 'SVC', resubmissionOf: null } },
    { documentId: a, causeEvent: `${a}:delivery`, change: { status: 'MISE_A_DISPOSITION', reason: null, findings: [], at: t0 + 5 }, facts: {} },
    // An INVALID verdict: findings and REJETEE; the same event again (a redelivery in the run) adds nothing.
    { documentId: b, causeEvent: `${b}:validated`, change: { status: 'REJETEE', reason: 'BR-01, BR-02', findings: [finding('BR-01'), finding('BR-02')], at: t0 + 6 }, facts: { syntax: 'UBL', findings: [finding('BR-01'), finding('BR-02')] } },
    { documentId: b, causeEvent: `${b}:validated`, change: { status: 'REJETEE', reason: 'BR-01, BR-02', findings: [finding('BR-01'), finding('BR-02')], at: t0 + 6 }, facts: { syntax: 'UBL', findings: [finding('BR-01'), finding('BR-02')] } },
    // After REJETEE the hub moves no further: ignored.
    { documentId: b, causeEvent: `${b}:delivery`, change: { status: 'MISE_A_DISPOSITION', reason: null, findings: [], at: t0 + 7 }, facts: {} },
    // c: its unroutable outcome seen before its `received` (other topics): DEPOSEE implied, then A_RECYCLER; the
    // late `received` adds nothing.
    { documentId: c, causeEvent: `${c}:unroutable`, change: { status: 'A_RECYCLER', reason: 'BT-46: unknown', findings: [finding('ROUTE-1')], at: t0 + 8 }, facts: { resubmissionOf: null } },
    { documentId: c, causeEvent: `${c}:received`, change: { status: 'DEPOSEE', reason: null, findings: [], at: t0 + 2 }, facts: {} },
  ]
}

describe('status changes applied a run at a time', () => {
  let db: Db
  let partnerId: string
  const prefix = `status-runs-${randomBytes(3).toString('hex')}`
  beforeAll(async () => {
    db = createDb(hub().databaseUrl, { application: 'status-runs-test' })
    partnerId = (await db.query<{ id: string }>(`INSERT INTO partners (name, role) VALUES ($1, 'partner') RETURNING id`, [prefix])).rows[0]!.id
  })
  afterAll(async () => {
    // The histories are append-only (a trigger refuses deletes): the test's documents stay in the test
    // database, under a partner of their own; only the outbox rows of its own prefix go.
    await withDb((c) => c.query('DELETE FROM outbox WHERE topic LIKE $1', [`${prefix}.%`]))
    await db.end()
  })

  const newDocuments = async (n: number, receivedAt: number) => {
    const ids = Array.from({ length: n }, () => randomUUID())
    await db.query(`INSERT INTO documents (id, partner_id, content_type, payload, size_bytes, sha256, received_at, status_at)
      SELECT unnest($1::uuid[]), $2, 'application/xml', '\\x3c612f3e', 4, 'x', $3, $3`, [ids, partnerId, new Date(receivedAt)])
    return ids
  }
  /** Everything the status service wrote for `ids`, with each id replaced by its place, so twins compare equal. */
  const state = async (ids: string[]) => {
    const place = (text: string) => ids.reduce((t, id, i) => t.split(id).join(`doc${i}`), text)
    const history = (await db.query('SELECT document_id, sequence, status, code, actor, at, reason, findings, cause_event, prev_hash, hash FROM status_history WHERE document_id = ANY($1::uuid[]) ORDER BY document_id, sequence', [ids])).rows
    const documents = (await db.query('SELECT id, status, status_at, syntax, keys, findings, recipient_address, service_code, resubmission_of FROM documents WHERE id = ANY($1::uuid[])', [ids])).rows
    const outbox = (await db.query('SELECT message_key, value FROM outbox WHERE topic = $1 AND message_key = ANY($2) ORDER BY id', [`${prefix}.document.status`, ids])).rows
    // Each chain holds: every hash is that of its row, and links to the previous one.
    for (const id of ids) {
      const chain = history.filter((h) => h.document_id === id)
      chain.forEach((h, i) => {
        expect(h.prev_hash).toBe(i === 0 ? null : chain[i - 1]!.hash)
        expect(h.hash).toBe(chainHash({ documentId: id, sequence: h.sequence, status: h.status, code: h.code, actor: h.actor, at: h.at.getTime(), reason: h.reason, findings: h.findings, prevHash: h.prev_hash }))
      })
    }
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ hash: _h, prev_hash: _p, ...r }) => JSON.parse(place(JSON.stringify(r))))
    return {
      history: strip(history).sort((x, y) => `${x.document_id}${x.sequence}`.localeCompare(`${y.document_id}${y.sequence}`)),
      documents: JSON.parse(place(JSON.stringify(documents))).sort((x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id)),
      outbox: outbox.map((o) => { const { hash: _h, prevHash: _p, ...v } = o.value; return JSON.parse(place(JSON.stringify({ key: o.message_key, ...v }))) })
        .sort((x, y) => `${x.key}${x.sequence}`.localeCompare(`${y.key}${y.sequence}`)),
    }
  }

  test('one run leaves exactly what the same events leave one by one, and a redelivered run changes nothing', async () => {
    const t0 = Date.now() - 60_000
    const single = await newDocuments(3, t0 - 1_000)
    const twins = await newDocuments(3, t0 - 1_000)
    for (const item of scenario(single, t0)) await applyChange(db, prefix, item.documentId, item.causeEvent, item.change, item.facts)
    const outcomes = await applyChanges(db, prefix, scenario(twins, t0))

    const expected = await state(single)
    expect(expected.history.map((h: { document_id: string; status: string }) => `${h.document_id}:${h.status}`)).toEqual([
      'doc0:DEPOSEE', 'doc0:MISE_A_DISPOSITION', 'doc1:DEPOSEE', 'doc1:REJETEE', 'doc2:DEPOSEE', 'doc2:A_RECYCLER',
    ])
    expect(await state(twins)).toEqual(expected)
    expect(outcomes.find((o) => o.item.causeEvent === `${twins[1]}:delivery`)?.ignored).toBeTruthy()

    // The whole run again (a redelivery after a crash before the commit): nothing new.
    await applyChanges(db, prefix, scenario(twins, t0))
    expect(await state(twins)).toEqual(expected)
  })

  test('a run of facts alone is one statement with the same result; a document missing from the store fails the run and writes nothing', async () => {
    const t0 = Date.now() - 30_000
    const [single, twin] = [await newDocuments(1, t0), await newDocuments(1, t0)]
    const facts = (id: string): Item[] => [
      { documentId: id, causeEvent: `${id}:validated`, change: null, facts: { syntax: 'CII', keys, findings: [finding('W-1'), finding('W-2')] } },
      { documentId: id, causeEvent: `${id}:routed`, change: null, facts: { recipientAddress: '0009:1', serviceCode: null, findings: [finding('W-2'), finding('W-3')] } },
    ]
    for (const item of facts(single[0]!)) await applyChange(db, prefix, item.documentId, item.causeEvent, item.change, item.facts)
    await applyChanges(db, prefix, facts(twin[0]!))
    expect(await state(twin)).toEqual(await state(single))
    expect((await state(twin)).documents[0].findings.map((f: Finding) => f.ruleId)).toEqual(['W-1', 'W-2', 'W-3'])

    const [fresh] = await newDocuments(1, t0)
    const missing = randomUUID()
    const run: Item[] = [
      { documentId: fresh!, causeEvent: `${fresh}:received`, change: { status: 'DEPOSEE', reason: null, findings: [], at: t0 }, facts: {} },
      { documentId: missing, causeEvent: `${missing}:received`, change: { status: 'DEPOSEE', reason: null, findings: [], at: t0 }, facts: {} },
    ]
    await expect(applyChanges(db, prefix, run)).rejects.toThrow(/not in the document store/)
    expect((await state([fresh!])).history).toEqual([])
    await expect(applyChanges(db, prefix, facts(missing))).rejects.toThrow(/not in the document store/)
  })
})
