// The operator's replays, on PostgreSQL alone (the admin API and `npx facteur dlq|deliveries` share them):
//   - a dead letter is replayed by queueing its original event again on its original topic, through the outbox;
//     the consumer that failed never recorded it as processed, so it handles it again, while every consumer
//     that did process it skips it (inbox), so a plain redelivery still changes nothing;
//   - a failed delivery is retried by re-arming its job: a new generation, attempts from zero, due now; the
//     forwarder's runner sends it again with the same document id and Idempotency-Key, and its outcome has a
//     new event id (`<doc>:delivery:<generation>`) so the status service does not skip it.
// Each replay of a document stuck in ECHEC_DISTRIBUTION or EN_ERREUR appends RELANCEE (who replayed what) to its
// history and the auditors' chain, in the same transaction, so the history reads ECHEC_DISTRIBUTION → RELANCEE →
// MISE_A_DISPOSITION.
import { inTransaction, type Db, type Tx } from '../kit/db.js'
import { enqueue } from '../kit/outbox.js'
import { insertStatus, nextRow } from '../kit/status-history.js'
import { topics, topicName, type TopicKey } from '../../schemas/topics.js'
import { replayedFrom, statuses, type Status } from '../../schemas/lifecycle.js'

/** Which dead letters or jobs an operation concerns; exactly one selector (`all` must be said). */
export type DeadLetterSelector = { id: string } | { topic: string } | { documentId: string } | { all: true }
export type DeliverySelector = { id: string } | { documentId: string } | { endpoint: string } | { all: true }

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Exactly one of `id` (one job, e.g. a document's receipt without the document), `documentId` (every failed job of
 * the document: itself and its receipts), `endpoint` or `all: true`: a retry of everything is never implied.
 */
export function parseDeliverySelector(body: unknown): Parsed<DeliverySelector> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const given = ['id', 'documentId', 'endpoint', 'all'].filter((k) => b[k] !== undefined)
  if (given.length !== 1) return { ok: false, message: 'give exactly one of `id`, `documentId`, `endpoint` or `"all": true`' }
  if (b.id !== undefined) return (typeof b.id === 'string' || typeof b.id === 'number') && /^\d{1,18}$/.test(String(b.id)) ? { ok: true, value: { id: String(b.id) } } : { ok: false, message: '`id` is a delivery job id (digits)' }
  if (b.documentId !== undefined) return typeof b.documentId === 'string' && UUID.test(b.documentId) ? { ok: true, value: { documentId: b.documentId } } : { ok: false, message: '`documentId` is a document id (UUID)' }
  if (b.endpoint !== undefined) return typeof b.endpoint === 'string' && b.endpoint.length > 0 ? { ok: true, value: { endpoint: b.endpoint } } : { ok: false, message: '`endpoint` is the endpoint as listed (GET /v1/admin/deliveries)' }
  return b.all === true ? { ok: true, value: { all: true } } : { ok: false, message: '`all` must be true' }
}

export type Skipped = { id: string; documentId: string | null; reason: string }

const JOBS_CHANNEL = 'facteur_delivery_jobs' // services/forwarder/store.ts listens on it

const ownTopics = (prefix: string) => Object.values(topics).map((spec) => topicName(prefix, spec))

/** `document.validated`, `validated` or the runtime name `<prefix>.document.validated`: the runtime name, or null. */
export function resolveTopic(prefix: string, name: string): string | null {
  for (const [key, spec] of Object.entries(topics)) {
    if (name === key || name === spec.name || name === topicName(prefix, spec)) return topicName(prefix, spec)
  }
  return null
}

const topicKeyOf = (prefix: string, runtime: string): TopicKey | null =>
  (Object.keys(topics) as TopicKey[]).find((k) => topicName(prefix, topics[k]) === runtime) ?? null

export type DeadLetterRow = {
  id: string; topic: string; partition: number; offset: string; consumer: string; documentId: string | null; error: string
  attempts: number; failedAt: string; replayable: boolean; replays: number; replayedAt: string | null; replayedBy: string | null
}

/** Dead letters of the hub `prefix`, newest first; `replayed` false: only those never replayed, true: only the replayed. */
export async function listDeadLetters(db: Db, prefix: string, filter: { topic?: string; documentId?: string; replayed?: boolean; limit?: number }): Promise<DeadLetterRow[]> {
  const { rows } = await db.query<{ id: string; topic: string; partition: number; offset: string; consumer: string; document_id: string | null; error: string; attempts: number; failed_at: Date; replayable: boolean; replays: number; replayed_at: Date | null; replayed_by: string | null }>(
    `SELECT id, topic, "partition", "offset", consumer, document_id, error, attempts, failed_at, event IS NOT NULL AS replayable, replays, replayed_at, replayed_by
       FROM dead_letters
      WHERE topic = ANY($1) AND ($2::text IS NULL OR topic = $2) AND ($3::text IS NULL OR document_id = $3) AND ($4::boolean IS NULL OR (replayed_at IS NOT NULL) = $4)
      ORDER BY id DESC LIMIT $5`,
    [ownTopics(prefix), filter.topic ?? null, filter.documentId ?? null, filter.replayed ?? null, filter.limit ?? 100])
  return rows.map((r) => ({
    id: String(r.id), topic: r.topic, partition: r.partition, offset: r.offset, consumer: r.consumer, documentId: r.document_id,
    error: r.error, attempts: r.attempts, failedAt: r.failed_at.toISOString(), replayable: r.replayable, replays: r.replays,
    replayedAt: r.replayed_at?.toISOString() ?? null, replayedBy: r.replayed_by,
  }))
}

/**
 * The dead letters `selector` concerns now (what a replay would take), with whether each can be replayed: by id, the
 * letter even if it was replayed before; by topic, document or all, the letters never replayed.
 */
export async function deadLettersSelected(db: Db, prefix: string, selector: DeadLetterSelector): Promise<{ id: string; replayable: boolean }[]> {
  const { rows } = await db.query<{ id: string; replayable: boolean }>(
    `SELECT id, event IS NOT NULL AS replayable FROM dead_letters WHERE topic = ANY($1) AND (
        ($2::bigint IS NOT NULL AND id = $2) OR
        ($2::bigint IS NULL AND replayed_at IS NULL AND ($3::text IS NULL OR topic = $3) AND ($4::text IS NULL OR document_id = $4))
      ) ORDER BY id`,
    [ownTopics(prefix), 'id' in selector ? selector.id : null, 'topic' in selector ? selector.topic : null, 'documentId' in selector ? selector.documentId : null])
  return rows.map((r) => ({ id: String(r.id), replayable: r.replayable }))
}

/**
 * Replays the selected dead letters, one transaction each: the original event back on its topic (outbox), the
 * letter marked replayed by `by`, and RELANCEE on the document when it is stuck. By id, a letter is replayed
 * even if it was before (the cause was fixed again); by topic, document or all, only the letters never replayed.
 */
export async function replayDeadLetters(db: Db, prefix: string, selector: DeadLetterSelector, by: string): Promise<{ replayed: { id: string; topic: string; documentId: string | null }[]; skipped: Skipped[] }> {
  const rows = await deadLettersSelected(db, prefix, selector)
  const replayed: { id: string; topic: string; documentId: string | null }[] = []
  const skipped: Skipped[] = []
  for (const { id } of rows) {
    const outcome = await inTransaction(db, async (tx) => {
      const letter = (await tx.query<{ topic: string; document_id: string | null; event: (Record<string, unknown> & { documentId: string }) | null; consumer: string; replays: number }>(
        'SELECT topic, document_id, event, consumer, replays FROM dead_letters WHERE id = $1 FOR UPDATE', [id])).rows[0]!
      const key = topicKeyOf(prefix, letter.topic)
      if (!key || !letter.event || typeof letter.event.documentId !== 'string') {
        return { ok: false as const, documentId: letter.document_id, reason: 'its value is not a valid event of its topic (it failed to decode): fix what produced it, it cannot be replayed as it is' }
      }
      await enqueue(tx, prefix, key, letter.event as never)
      await tx.query('UPDATE dead_letters SET replayed_at = now(), replayed_by = $2, replays = replays + 1 WHERE id = $1', [id, by])
      await recordReplay(tx, prefix, letter.event.documentId, `replay:dead-letter:${id}:${letter.replays + 1}`,
        `${by} replayed the message ${letter.consumer} failed on (${letter.topic}, dead letter ${id})`)
      return { ok: true as const, documentId: letter.event.documentId, topic: letter.topic }
    })
    if (outcome.ok) replayed.push({ id, topic: outcome.topic, documentId: outcome.documentId })
    else skipped.push({ id, documentId: outcome.documentId, reason: outcome.reason })
  }
  return { replayed, skipped }
}

export type DeliveryRow = {
  id: string; kind: 'document' | 'receipt'; documentId: string; receiptSequence: number | null; endpoint: string; state: string; generation: number
  attempts: number; nextAttemptAt: string | null; lastError: string | null; createdAt: string; finishedAt: string | null; retriedAt: string | null; retriedBy: string | null
}

/** Delivery jobs of the hub `prefix`, newest first: the endpoint and the last answer are shown to the admin only. */
export async function listDeliveries(db: Db, prefix: string, filter: { state?: string; documentId?: string; endpoint?: string; limit?: number }): Promise<DeliveryRow[]> {
  const { rows } = await db.query<{ id: string; kind: 'document' | 'receipt'; document_id: string; receipt_sequence: number; endpoint: string; state: string; generation: number; attempts: number; next_attempt_at: Date; last_error: string | null; created_at: Date; finished_at: Date | null; retried_at: Date | null; retried_by: string | null }>(
    `SELECT id, kind, document_id, receipt_sequence, endpoint, state, generation, attempts, next_attempt_at, last_error, created_at, finished_at, retried_at, retried_by
       FROM delivery_jobs
      WHERE topic_prefix = $1 AND ($2::text IS NULL OR state = $2) AND ($3::uuid IS NULL OR document_id = $3) AND ($4::text IS NULL OR endpoint = $4)
      ORDER BY id DESC LIMIT $5`,
    [prefix, filter.state ?? null, filter.documentId ?? null, filter.endpoint ?? null, filter.limit ?? 100])
  return rows.map((r) => ({
    id: String(r.id), kind: r.kind, documentId: r.document_id, receiptSequence: r.kind === 'receipt' ? r.receipt_sequence : null, endpoint: r.endpoint,
    state: r.state, generation: r.generation, attempts: r.attempts, nextAttemptAt: r.state === 'pending' ? r.next_attempt_at.toISOString() : null,
    lastError: r.last_error, createdAt: r.created_at.toISOString(), finishedAt: r.finished_at?.toISOString() ?? null,
    retriedAt: r.retried_at?.toISOString() ?? null, retriedBy: r.retried_by,
  }))
}

/**
 * The delivery jobs `selector` concerns now (what a retry would take): the failed ones; by id, the job whatever its
 * state, so that a job no longer failed is reported as skipped, with its state, rather than silently left alone.
 */
export async function deliveriesSelected(db: Db, prefix: string, selector: DeliverySelector): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM delivery_jobs WHERE topic_prefix = $1 AND (
        ($2::bigint IS NOT NULL AND id = $2) OR
        ($2::bigint IS NULL AND state = 'failed' AND ($3::uuid IS NULL OR document_id = $3) AND ($4::text IS NULL OR endpoint = $4))
      ) ORDER BY id`,
    [prefix, 'id' in selector ? selector.id : null, 'documentId' in selector ? selector.documentId : null, 'endpoint' in selector ? selector.endpoint : null])
  return rows.map((r) => String(r.id))
}

/**
 * Re-arms the selected failed delivery jobs, one transaction each, and records RELANCEE on each document.
 * A document job is retried only once its failure is in its history (ECHEC_DISTRIBUTION): before that, the
 * late failure event would land after the retry and leave the document there whatever the retry gives.
 */
export async function retryDeliveries(db: Db, prefix: string, selector: DeliverySelector, by: string): Promise<{ retried: { id: string; documentId: string; kind: string; generation: number }[]; skipped: Skipped[] }> {
  const rows = (await deliveriesSelected(db, prefix, selector)).map((id) => ({ id }))
  const retried: { id: string; documentId: string; kind: string; generation: number }[] = []
  const skipped: Skipped[] = []
  for (const { id } of rows) {
    const outcome = await inTransaction(db, async (tx) => {
      const job = (await tx.query<{ kind: string; document_id: string; state: string; generation: number }>(
        'SELECT kind, document_id, state, generation FROM delivery_jobs WHERE id = $1 FOR UPDATE', [id])).rows[0]!
      if (job.state !== 'failed') return { ok: false as const, documentId: job.document_id, reason: `it is ${job.state} now` }
      if (job.kind === 'document') {
        const status = (await tx.query<{ status: string }>('SELECT status FROM documents WHERE id = $1 FOR UPDATE', [job.document_id])).rows[0]?.status
        if (status !== 'ECHEC_DISTRIBUTION') return { ok: false as const, documentId: job.document_id, reason: `the document is ${status ?? 'missing'}, not ECHEC_DISTRIBUTION yet; retry in a moment` }
      }
      const generation = job.generation + 1
      await tx.query(
        `UPDATE delivery_jobs SET state = 'pending', generation = $2, attempts = 0, next_attempt_at = now(), locked_until = NULL, locked_by = NULL,
                finished_at = NULL, retried_at = now(), retried_by = $3 WHERE id = $1`, [id, generation, by])
      if (job.kind === 'document') {
        await recordReplay(tx, prefix, job.document_id, `replay:delivery:${generation}`, `${by} retried the delivery to the recipient (round ${generation})`)
      }
      await tx.query('SELECT pg_notify($1, $2)', [JOBS_CHANNEL, prefix])
      return { ok: true as const, documentId: job.document_id, kind: job.kind, generation }
    })
    if (outcome.ok) retried.push({ id, documentId: outcome.documentId, kind: outcome.kind, generation: outcome.generation })
    else skipped.push({ id, documentId: outcome.documentId, reason: outcome.reason })
  }
  return { retried, skipped }
}

/**
 * RELANCEE on the document's history (and the auditors' stream, through the outbox) when it is stuck in a
 * status a replay leaves (replayedFrom); otherwise the history is left as it is. The document row is locked,
 * as every writer of the history does, so sequences and hashes never interleave.
 */
async function recordReplay(tx: Tx, prefix: string, documentId: string, cause: string, reason: string): Promise<void> {
  const doc = (await tx.query<{ status: string }>('SELECT status FROM documents WHERE id = $1 FOR UPDATE', [documentId])).rows[0]
  if (!doc || !replayedFrom.includes(doc.status as Status)) return
  const last = (await tx.query<{ sequence: number; hash: string | null }>(
    'SELECT sequence, hash FROM status_history WHERE document_id = $1 ORDER BY sequence DESC LIMIT 1', [documentId])).rows[0] ?? null
  const row = nextRow(documentId, last, { status: 'RELANCEE', code: statuses.RELANCEE.code, actor: statuses.RELANCEE.by, at: Date.now(), reason, findings: [] })
  await insertStatus(tx, documentId, row, cause)
  await enqueue(tx, prefix, 'status', { eventId: `${documentId}:status:${row.sequence}`, documentId, ...row })
  await tx.query('UPDATE documents SET status = $2, status_at = $3 WHERE id = $1', [documentId, row.status, new Date(row.at)])
}
