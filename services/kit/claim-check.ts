// Claim check: Kafka events carry the document id; the bytes stay in PostgreSQL (table `documents`),
// written once by the gateway and read here by every stage that needs them.
import type { Db } from './db.js'

/** With when the gateway accepted it and the trace it started for it (kit/trace.ts; null before migration 012). */
export type StoredDocument = { contentType: string; bytes: Buffer; receivedAt: Date; traceparent: string | null }

export async function loadDocument(db: Db, documentId: string): Promise<StoredDocument> {
  const { rows } = await db.query<{ content_type: string; payload: Buffer; received_at: Date; traceparent: string | null }>(
    'SELECT content_type, payload, received_at, traceparent FROM documents WHERE id = $1', [documentId])
  const row = rows[0]
  if (!row) throw new Error(`document ${documentId} is not in the document store`)
  return { contentType: row.content_type, bytes: row.payload, receivedAt: row.received_at, traceparent: row.traceparent }
}
