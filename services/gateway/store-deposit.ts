// Accepting a deposit: the document and its `received` event in one transaction (the outbox relays the event),
// so that an answer of 202 means the deposit is durable. One place for every way in: POST /v1/documents and the
// Chorus Pro-compatible `deposer/flux` (cpro-routes.ts). The checks (deposit.ts) come before.
import { randomUUID } from 'node:crypto'
import { inTransaction, type Db, type Tx } from '../kit/db.js'
import { enqueue } from '../kit/outbox.js'
import { TRACEPARENT } from '../kit/trace.js'

export type NewDeposit = {
  partnerId: string; body: Buffer; contentType: string; sha256: string; sizeBytes: number
  /** The partner's key for retries: the same key gives the same document, never a second one. */
  idempotencyKey: string | null
  traceparent: string
}
/** `replay`: the Idempotency-Key was seen before; `sha256` is then the first document's (compare it). */
export type StoredDeposit = { replay: boolean; id: string; sha256: string; status: string; receivedAt: Date }

/** `also`: more writes in the same transaction, for a new document only (e.g. the Chorus Pro flux number). */
export async function storeDeposit(db: Db, topicPrefix: string, d: NewDeposit, also?: (tx: Tx, id: string) => Promise<void>): Promise<StoredDeposit> {
  return inTransaction(db, async (tx) => {
    if (d.idempotencyKey) {
      // Serialise concurrent retries of one key; the unique index is the final guard.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${d.partnerId}/${d.idempotencyKey}`])
      const { rows } = await tx.query<{ id: string; sha256: string; status: string; received_at: Date }>(
        'SELECT id, sha256, status, received_at FROM documents WHERE partner_id = $1 AND idempotency_key = $2', [d.partnerId, d.idempotencyKey])
      const existing = rows[0]
      if (existing) return { replay: true, id: existing.id, sha256: existing.sha256, status: existing.status, receivedAt: existing.received_at }
    }
    const id = randomUUID()
    const receivedAt = new Date()
    await tx.query(
      `INSERT INTO documents (id, partner_id, idempotency_key, content_type, payload, size_bytes, sha256, received_at, status_at, traceparent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)`,
      [id, d.partnerId, d.idempotencyKey, d.contentType, d.body, d.sizeBytes, d.sha256, receivedAt, d.traceparent])
    await enqueue(tx, topicPrefix, 'received', {
      eventId: `${id}:received`, documentId: id, partnerId: d.partnerId, contentType: d.contentType,
      sizeBytes: d.sizeBytes, sha256: d.sha256, receivedAt: receivedAt.getTime(),
    }, { [TRACEPARENT]: d.traceparent })
    await also?.(tx, id)
    return { replay: false, id, sha256: d.sha256, status: 'DEPOSEE', receivedAt }
  })
}
