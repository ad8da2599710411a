// Dead letters of every stage, kept in PostgreSQL (table dead_letters) as the status service reads them from
// the `<topic>.dlq` topics: listable and replayable by an operator without scanning topics
// (`npx facteur dlq list|replay`, GET /v1/admin/dead-letters).
import type { Db } from '../kit/db.js'
import type { DeadLetter } from '../../schemas/events.js'

/**
 * Records `letter` once (a redelivered dead letter adds nothing). `event` is the original value decoded, or
 * null when it is not a valid event of its topic; the replay re-publishes it through the outbox.
 */
export async function recordDeadLetter(db: Db, letter: DeadLetter, event: unknown): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO dead_letters (topic, "partition", "offset", consumer, document_id, error, attempts, value, event, failed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (topic, "partition", "offset", consumer) DO NOTHING`,
    [letter.topic, letter.partition, letter.offset, letter.consumer, letter.documentId, letter.error.slice(0, 4000), letter.attempts, letter.value,
      event === null ? null : JSON.stringify(event), new Date(letter.failedAt)])
  return rowCount === 1
}

export async function documentExists(db: Db, documentId: string): Promise<boolean> {
  // Not a UUID: a key no gateway gave, so no document of the store.
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(documentId)) return false
  return (await db.query('SELECT 1 FROM documents WHERE id = $1', [documentId])).rowCount === 1
}
