// The forwarder's attempt log: what was tried, when, and what the endpoint said (for operators).
import type { Db } from '../kit/db.js'
import type { AttemptReport } from './deliver.js'

export async function recordAttempt(db: Db, documentId: string, endpoint: string, a: AttemptReport): Promise<void> {
  await db.query('INSERT INTO delivery_attempts (document_id, attempt, endpoint, outcome, detail) VALUES ($1, $2, $3, $4, $5)',
    [documentId, a.attempt, endpoint, a.outcome, a.detail.slice(0, 2000)])
}

/** A stored receipt (claim check), by the status event it answers. */
export async function loadReceipt(db: Db, documentId: string, sequence: number): Promise<string> {
  const row = (await db.query<{ xml: string }>('SELECT xml FROM receipts WHERE document_id = $1 AND sequence = $2', [documentId, sequence])).rows[0]
  if (!row) throw new Error(`receipt ${documentId}#${sequence} is not in the receipts table`)
  return row.xml
}

export async function recordReceiptDelivery(db: Db, documentId: string, sequence: number, outcome: { delivered: boolean; attempts: number; detail: string }): Promise<void> {
  await db.query('UPDATE receipts SET delivered_at = CASE WHEN $3 THEN now() END, attempts = attempts + $4, last_error = CASE WHEN $3 THEN NULL ELSE $5 END WHERE document_id = $1 AND sequence = $2',
    [documentId, sequence, outcome.delivered, outcome.attempts, outcome.detail.slice(0, 2000)])
}
