// The receipts' PostgreSQL side: what a receipt needs to know about its document and sender, and the
// receipts table (claim check for the forwarder, and what GET /v1/documents/{id}/receipts reads).
import type { Db } from '../kit/db.js'
import type { DocumentKeys } from '../../schemas/events.js'
import type { Receipt } from './receipts.js'

export type ReceiptContext = { partnerId: string; partnerName: string; partnerAddress: string | null; keys: DocumentKeys | null; senderEndpoint: string | null }

export async function receiptContext(db: Db, documentId: string): Promise<ReceiptContext | null> {
  const row = (await db.query<{ partner_id: string; name: string; keys: DocumentKeys | null; endpoint: string | null; address: string | null }>(
    `SELECT d.partner_id, p.name, d.keys,
            (SELECT pa.address FROM partner_addresses pa WHERE pa.partner_id = d.partner_id ORDER BY pa.address LIMIT 1) AS address,
            (SELECT pt.endpoint FROM partner_addresses pa JOIN participants pt ON pt.address = pa.address
              WHERE pa.partner_id = d.partner_id ORDER BY pa.address LIMIT 1) AS endpoint
       FROM documents d JOIN partners p ON p.id = d.partner_id WHERE d.id = $1`, [documentId])).rows[0]
  return row ? { partnerId: row.partner_id, partnerName: row.name, partnerAddress: row.address, keys: row.keys, senderEndpoint: row.endpoint } : null
}

/** Stores the receipt once (a redelivered status event finds it there). */
export async function storeReceipt(db: Db, documentId: string, sequence: number, status: string, receipt: Receipt, issuedAt: number, endpoint: string | null) {
  await db.query(
    `INSERT INTO receipts (document_id, sequence, status, kind, response_code, xml, issued_at, endpoint)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (document_id, sequence) DO NOTHING`,
    [documentId, sequence, status, receipt.kind, receipt.responseCode, receipt.xml, new Date(issuedAt), endpoint])
}
