// The forwarder's attempt log: what was tried, when, and what the endpoint said (for operators).
import type { Db } from '../kit/db.js'
import type { AttemptReport } from './deliver.js'

export async function recordAttempt(db: Db, documentId: string, endpoint: string, a: AttemptReport): Promise<void> {
  await db.query('INSERT INTO delivery_attempts (document_id, attempt, endpoint, outcome, detail) VALUES ($1, $2, $3, $4, $5)',
    [documentId, a.attempt, endpoint, a.outcome, a.detail.slice(0, 2000)])
}
