// Claim check: Kafka events carry the document id; the bytes stay in PostgreSQL (table `documents`),
// written once by the gateway and read here by every stage that needs them. A container deposit (a Factur-X PDF)
// has two: the original, delivered as it came, and the invoice it carries, which ingest extracted.
import type { Db } from './db.js'

/**
 * `bytes`: the document as deposited (what is delivered); `invoice`: the business document, the XML the rules run on
 * (`bytes` itself for an XML deposit, the embedded CII of a Factur-X PDF once ingest extracted it). With when the
 * gateway accepted it and the trace it started for it (kit/trace.ts; null before migration 012).
 */
export type StoredDocument = { contentType: string; bytes: Buffer; invoice: Buffer; receivedAt: Date; traceparent: string | null }

export async function loadDocument(db: Db, documentId: string): Promise<StoredDocument> {
  const { rows } = await db.query<{ content_type: string; payload: Buffer; business_xml: Buffer | null; received_at: Date; traceparent: string | null }>(
    'SELECT content_type, payload, business_xml, received_at, traceparent FROM documents WHERE id = $1', [documentId])
  const row = rows[0]
  if (!row) throw new Error(`document ${documentId} is not in the document store`)
  return { contentType: row.content_type, bytes: row.payload, invoice: row.business_xml ?? row.payload, receivedAt: row.received_at, traceparent: row.traceparent }
}
