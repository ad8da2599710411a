// The forwarder's PostgreSQL side: delivery jobs (added by the consumers, leased and finished by the runner),
// the attempt log for operators, and the stored receipts it delivers.
import { inTransaction, type Db, type Tx } from '../kit/db.js'
import { outboxRow, OUTBOX_CHANNEL } from '../kit/outbox.js'
import { pickJobs, deliveryEventId, type Transition } from './jobs.js'

/** LISTEN/NOTIFY channel: a job was added or re-armed (the runner wakes at once instead of at its next poll). */
export const JOBS_CHANNEL = 'facteur_delivery_jobs'

export type JobKind = 'document' | 'receipt'

/** `format`: what the recipient asked to receive (`factur-x`: a CII invoice as a Factur-X PDF; default the original). */
export type NewJob = { topicPrefix: string; kind: JobKind; documentId: string; receiptSequence: number; partnerId: string; endpoint: string; format?: DeliveryFormat }
export type DeliveryFormat = 'original' | 'factur-x'

export type ClaimedJob = {
  id: string; kind: JobKind; documentId: string; receiptSequence: number; partnerId: string; endpoint: string; format: DeliveryFormat
  generation: number; /** this attempt's number within its generation (1-based) */ attempt: number; owner: string
}

/**
 * Records the job for a document or receipt to deliver. Idempotent on its natural key (kind, document,
 * receipt sequence): a redelivered `routed` or `receipt` event adds nothing, whatever state the job is in.
 */
export async function addJob(db: Db, job: NewJob): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO delivery_jobs (topic_prefix, kind, document_id, receipt_sequence, partner_id, endpoint, format) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (kind, document_id, receipt_sequence) DO NOTHING`,
    [job.topicPrefix, job.kind, job.documentId, job.receiptSequence, job.partnerId, job.endpoint, job.format ?? 'original'])
  if (rowCount === 1) await db.query('SELECT pg_notify($1, $2)', [JOBS_CHANNEL, job.topicPrefix])
  return rowCount === 1
}

/**
 * Leases due jobs of `topicPrefix` for `owner`: at most `slots`, at most `perEndpoint` in flight per endpoint
 * counting the leases of every runner. Claims are serialised per hub by a transaction-level advisory lock,
 * so the in-flight counts are exact with N forwarders; the lease (locked_until) is what lets another runner
 * take a job whose runner died mid-attempt. The attempt counter moves at claim time: an attempt that may have
 * reached the recipient before its runner died counts.
 */
export async function claimJobs(db: Db, options: { topicPrefix: string; owner: string; slots: number; perEndpoint: number; leaseMs: number }): Promise<ClaimedJob[]> {
  if (options.slots <= 0) return []
  return inTransaction(db, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`facteur-delivery-claim:${options.topicPrefix}`])
    // At most perEndpoint candidates per endpoint, so one recipient's backlog cannot fill the candidate window;
    // each with the attempts in flight to its endpoint (leases not expired, any runner).
    const { rows } = await tx.query<{ id: string; endpoint: string; in_flight: number }>(
      `WITH in_flight AS (
         SELECT endpoint, count(*)::int AS n FROM delivery_jobs WHERE topic_prefix = $1 AND state = 'pending' AND locked_until > now() GROUP BY endpoint)
       SELECT due.id, due.endpoint, COALESCE(in_flight.n, 0) AS in_flight FROM (
         SELECT id, endpoint, next_attempt_at, row_number() OVER (PARTITION BY endpoint ORDER BY next_attempt_at, id) AS rank
           FROM delivery_jobs
          WHERE topic_prefix = $1 AND state = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until <= now())
       ) due LEFT JOIN in_flight USING (endpoint) WHERE rank <= $2 ORDER BY next_attempt_at, id LIMIT 1000`,
      [options.topicPrefix, options.perEndpoint])
    const inFlight = new Map(rows.map((r) => [r.endpoint, r.in_flight]))
    const picked = pickJobs(rows, inFlight, { slots: options.slots, perEndpoint: options.perEndpoint })
    if (picked.length === 0) return []
    const claimed = await tx.query<{ id: string; kind: JobKind; document_id: string; receipt_sequence: number; partner_id: string; endpoint: string; format: DeliveryFormat; generation: number; attempts: number }>(
      `UPDATE delivery_jobs SET locked_until = now() + make_interval(secs => $2::double precision / 1000), locked_by = $3, attempts = attempts + 1
        WHERE id = ANY($1::bigint[]) RETURNING id, kind, document_id, receipt_sequence, partner_id, endpoint, format, generation, attempts`,
      [picked.map((p) => p.id), options.leaseMs, options.owner])
    return claimed.rows.map((r) => ({
      id: r.id, kind: r.kind, documentId: r.document_id, receiptSequence: r.receipt_sequence, partnerId: r.partner_id,
      endpoint: r.endpoint, format: r.format, generation: r.generation, attempt: r.attempts, owner: options.owner,
    }))
  })
}

// A job's new state after an attempt, only under this runner's lease ($1-$7: finishParams).
const FINISH_JOB = `UPDATE delivery_jobs SET state = $4, next_attempt_at = COALESCE($5, next_attempt_at), locked_until = NULL, locked_by = NULL,
         last_error = CASE WHEN $4 = 'delivered' THEN NULL ELSE $6 END, finished_at = CASE WHEN $7 THEN now() END
   WHERE id = $1 AND locked_by = $2 AND generation = $3 AND state = 'pending'`

const finishParams = (job: ClaimedJob, t: Transition) =>
  [job.id, job.owner, job.generation, t.state, t.state === 'pending' ? new Date(t.nextAttemptAt) : null, t.detail.slice(0, 2000), t.state !== 'pending']

/**
 * Records one attempt and its consequence, in one transaction: the attempt row, the job's new state, and on
 * a final outcome the `delivery` event (outbox) or the receipt's delivery. Fenced by the lease: if another
 * runner took the job meanwhile (this one outlived its lease), the job is left to it ('lost'), and only the
 * attempt is recorded.
 */
export async function finishAttempt(db: Db, topicPrefix: string, job: ClaimedJob, t: Transition): Promise<'recorded' | 'lost'> {
  if (job.kind === 'receipt') return finishReceiptAttempt(db, job, t)
  const final = t.state !== 'pending'
  const event = final ? outboxRow(topicPrefix, 'delivery', {
    eventId: deliveryEventId(job.documentId, job.generation), documentId: job.documentId, partnerId: job.partnerId,
    outcome: t.state === 'delivered' ? 'DELIVERED' : 'FAILED', endpoint: job.endpoint, attempts: t.attempts, detail: t.detail.slice(0, 2000), at: Date.now(),
  }) : null
  // One statement, so one transaction: the attempt row always; the job's new state only under this runner's
  // lease; the `delivery` event (outbox, relay woken) only with that state.
  const { rows } = await db.query<{ recorded: number }>(
    `WITH job AS (${FINISH_JOB} RETURNING id),
     attempt AS (
       INSERT INTO delivery_attempts (document_id, attempt, endpoint, outcome, detail, generation) VALUES ($8, $9, $10, $11, $6, $3)),
     event AS (
       INSERT INTO outbox (topic, message_key, value) SELECT $12, $8, $13::jsonb FROM job WHERE $12::text IS NOT NULL RETURNING id)
     SELECT (SELECT count(*) FROM job)::int AS recorded, (SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM event LIMIT 1) AS notified`,
    [...finishParams(job, t),
      job.documentId, job.attempt, job.endpoint, t.state === 'pending' ? 'retry-later' : t.state === 'delivered' ? 'delivered' : 'failed',
      event?.topic ?? null, event?.value ?? null])
  return rows[0]!.recorded === 1 ? 'recorded' : 'lost'
}

/** A receipt's attempt: the job's new state under this runner's lease, and the receipt's delivery record. */
async function finishReceiptAttempt(db: Db, job: ClaimedJob, t: Transition): Promise<'recorded' | 'lost'> {
  return inTransaction(db, async (tx) => {
    const { rowCount } = await tx.query(FINISH_JOB, finishParams(job, t))
    if (rowCount !== 1) return 'lost'
    await recordReceiptAttempt(tx, job, t)
    return 'recorded'
  })
}

/** A receipt that cannot be delivered stays available through the API and never changes the document's status. */
async function recordReceiptAttempt(tx: Tx, job: ClaimedJob, t: Transition): Promise<void> {
  await tx.query(
    `UPDATE receipts SET delivered_at = CASE WHEN $3 THEN now() END, attempts = attempts + 1, last_error = CASE WHEN $3 THEN NULL ELSE $4 END
      WHERE document_id = $1 AND sequence = $2`,
    [job.documentId, job.receiptSequence, t.state === 'delivered', t.detail.slice(0, 2000)])
}

/** A stored receipt (claim check), by the status event it answers. */
export async function loadReceipt(db: Db, documentId: string, sequence: number): Promise<string> {
  const row = (await db.query<{ xml: string }>('SELECT xml FROM receipts WHERE document_id = $1 AND sequence = $2', [documentId, sequence])).rows[0]
  if (!row) throw new Error(`receipt ${documentId}#${sequence} is not in the receipts table`)
  return row.xml
}
