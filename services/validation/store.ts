// The validation service's one write to PostgreSQL: the complete findings of a document when they are more than
// an event may carry (schemas/event-limits.ts). Idempotent, so a redelivered `parsed` event writes the same row.
import type { Db } from '../kit/db.js'
import type { Finding } from '../../schemas/events.js'

export async function storeAllFindings(db: Db, documentId: string, stage: string, findings: readonly Finding[]): Promise<void> {
  await db.query(
    `INSERT INTO document_findings (document_id, stage, total, findings) VALUES ($1, $2, $3, $4)
     ON CONFLICT (document_id, stage) DO UPDATE SET total = EXCLUDED.total, findings = EXCLUDED.findings, recorded_at = now()`,
    [documentId, stage, findings.length, JSON.stringify(findings)])
}
