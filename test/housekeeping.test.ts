// Housekeeping on the real PostgreSQL (issue 10 §6): inbox rows and published outbox rows older than the
// retention go, recent ones and unpublished or set-aside outbox rows stay, and two instances running at once
// delete each old row once without waiting on each other.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { randomBytes } from 'node:crypto'
import { hub, withDb } from './helpers.js'
import { createDb, type Db } from '../services/kit/db.js'
import { createLogger } from '../services/kit/log.js'
import { housekeepOnce, retentionCutoff, startHousekeeping } from '../services/kit/housekeeping.js'

const DAY = 24 * 60 * 60 * 1000

describe('housekeeping', () => {
  let db: Db
  // Rows of this test only: their own consumer name and topic, so the shared database's rows are told apart.
  const consumer = `housekeeping-test-${randomBytes(4).toString('hex')}`
  const topic = `${consumer}.document.received`
  beforeAll(() => { db = createDb(hub().databaseUrl, { application: 'housekeeping-test' }) })
  afterAll(async () => {
    await withDb((c) => c.query('DELETE FROM processed_events WHERE consumer = $1', [consumer]).then(() => c.query('DELETE FROM outbox WHERE topic = $1', [topic])))
    await db.end()
  })

  /** `old` inbox rows processed 40 days ago and `recent` ones of today; outbox rows of each kind likewise. */
  async function seed(old: number, recent: number) {
    await withDb(async (c) => {
      await c.query(`INSERT INTO processed_events (consumer, event_id, processed_at)
        SELECT $1, 'old-' || i, now() - interval '40 days' FROM generate_series(1, $2) i
        UNION ALL SELECT $1, 'recent-' || i, now() - interval '1 day' FROM generate_series(1, $3) i`, [consumer, old, recent])
      await c.query(`INSERT INTO outbox (topic, message_key, value, created_at, published_at)
        SELECT $1, 'old-' || i, '{}'::jsonb, now() - interval '41 days', now() - interval '40 days' FROM generate_series(1, $2) i
        UNION ALL SELECT $1, 'recent-' || i, '{}'::jsonb, now() - interval '1 day', now() - interval '1 day' FROM generate_series(1, $3) i`, [topic, old, recent])
      // Old but never published (Kafka down for 40 days, or set aside as a bug): a document not yet announced.
      await c.query(`INSERT INTO outbox (topic, message_key, value, created_at) VALUES ($1, 'pending', '{}', now() - interval '40 days')`, [topic])
      await c.query(`INSERT INTO outbox (topic, message_key, value, created_at, set_aside_at) VALUES ($1, 'set-aside', '{}', now() - interval '40 days', now() - interval '40 days')`, [topic])
    })
  }
  const left = () => withDb(async (c) => ({
    inbox: (await c.query('SELECT event_id FROM processed_events WHERE consumer = $1 ORDER BY event_id', [consumer])).rows.map((r) => r.event_id as string),
    outbox: (await c.query('SELECT message_key FROM outbox WHERE topic = $1 ORDER BY message_key', [topic])).rows.map((r) => r.message_key as string),
  }))
  const clear = () => withDb((c) => c.query('DELETE FROM processed_events WHERE consumer = $1', [consumer]).then(() => c.query('DELETE FROM outbox WHERE topic = $1', [topic])))

  test('rows older than the retention go, batch by batch; recent, unpublished and set-aside rows stay', async () => {
    await clear()
    await seed(25, 3)
    const report = await housekeepOnce(db, { cutoff: retentionCutoff(new Date(), 30), batch: 10 })
    // Other tests' rows in the shared database are all recent: only ours are old enough.
    expect(report.processedEvents).toEqual({ deleted: 25, batches: 3, finished: true })
    expect(report.outbox).toEqual({ deleted: 25, batches: 3, finished: true })
    expect(await left()).toEqual({ inbox: ['recent-1', 'recent-2', 'recent-3'], outbox: ['pending', 'recent-1', 'recent-2', 'recent-3', 'set-aside'] })
  })

  test('two instances at once delete every old row exactly once', async () => {
    await clear()
    await seed(200, 2)
    const cutoff = retentionCutoff(new Date(), 30)
    const [a, b] = await Promise.all([housekeepOnce(db, { cutoff, batch: 7 }), housekeepOnce(db, { cutoff, batch: 7 })])
    expect(a.processedEvents.deleted + b.processedEvents.deleted).toBe(200)
    expect(a.outbox.deleted + b.outbox.deleted).toBe(200)
    expect(await left()).toEqual({ inbox: ['recent-1', 'recent-2'], outbox: ['pending', 'recent-1', 'recent-2', 'set-aside'] })
  })

  test('delivered jobs and replayed dead letters older than the retention go; failed and pending jobs and open dead letters stay', async () => {
    const marker = `${consumer}-jobs`
    const documentId = await withDb(async (c) => {
      const partner = (await c.query<{ id: string }>(`INSERT INTO partners (name, role) VALUES ($1, 'partner') RETURNING id`, [marker])).rows[0]!.id
      const doc = (await c.query<{ id: string }>(`INSERT INTO documents (id, partner_id, content_type, payload, size_bytes, sha256)
        VALUES (gen_random_uuid(), $1, 'application/xml', '\\x3c782f3e', 4, 'x') RETURNING id`, [partner])).rows[0]!.id
      await c.query(`INSERT INTO delivery_jobs (topic_prefix, kind, document_id, receipt_sequence, partner_id, endpoint, state, finished_at) VALUES
        ($1, 'receipt', $2, 1, $3, 'mailbox:', 'delivered', now() - interval '40 days'),
        ($1, 'receipt', $2, 2, $3, 'mailbox:', 'delivered', now() - interval '1 day'),
        ($1, 'receipt', $2, 3, $3, 'mailbox:', 'failed', now() - interval '40 days'),
        ($1, 'document', $2, 0, $3, 'mailbox:', 'pending', NULL)`, [marker, doc, partner])
      await c.query(`INSERT INTO dead_letters (topic, "partition", "offset", consumer, document_id, error, attempts, value, failed_at, replayed_at) VALUES
        ($1, 0, '1', $1, $2, 'old, replayed', 3, '\\x00', now() - interval '41 days', now() - interval '40 days'),
        ($1, 0, '2', $1, $2, 'recent, replayed', 3, '\\x00', now() - interval '2 days', now() - interval '1 day'),
        ($1, 0, '3', $1, $2, 'old, never replayed', 3, '\\x00', now() - interval '40 days', NULL)`, [marker, doc])
      return doc
    })
    try {
      const report = await housekeepOnce(db, { cutoff: retentionCutoff(new Date(), 30) })
      expect(report.deliveryJobs.deleted).toBeGreaterThanOrEqual(1)
      const jobs = await withDb(async (c) => (await c.query('SELECT state, receipt_sequence FROM delivery_jobs WHERE topic_prefix = $1 ORDER BY receipt_sequence', [marker])).rows)
      expect(jobs).toEqual([{ state: 'pending', receipt_sequence: 0 }, { state: 'delivered', receipt_sequence: 2 }, { state: 'failed', receipt_sequence: 3 }])
      const letters = await withDb(async (c) => (await c.query('SELECT error FROM dead_letters WHERE topic = $1 ORDER BY "offset"', [marker])).rows.map((r) => r.error))
      expect(letters).toEqual(['recent, replayed', 'old, never replayed'])
    } finally {
      await withDb(async (c) => {
        await c.query('DELETE FROM delivery_jobs WHERE topic_prefix = $1', [marker])
        await c.query('DELETE FROM dead_letters WHERE topic = $1', [marker])
        await c.query('DELETE FROM documents WHERE id = $1', [documentId])
        await c.query('DELETE FROM partners WHERE name = $1', [marker])
      })
    }
  })

  test('portal sessions past their expiry or idle since before the cutoff go, and used or expired setup links; live ones stay', async () => {
    const marker = `${consumer}-portal@example.org`
    const ids = await withDb(async (c) => {
      const person = (await c.query<{ id: string }>(`INSERT INTO people (email, name) VALUES ($1, 'Housekeeping') RETURNING id`, [marker])).rows[0]!.id
      await c.query(`INSERT INTO portal_sessions (id_hash, person_id, stage, csrf, expires_at, last_seen_at) VALUES
        ($1 || '-expired', $2, 'signed-in', 'x', now() - interval '1 minute', now() - interval '2 hours'),
        ($1 || '-idle', $2, 'anonymous', 'x', now() + interval '1 hour', now() - interval '40 days'),
        ($1 || '-live', $2, 'signed-in', 'x', now() + interval '1 hour', now())`, [marker, person])
      await c.query(`INSERT INTO setup_links (token_hash, person_id, expires_at, used_at) VALUES
        ($1 || '-used-long-ago', $2, now() - interval '39 days', now() - interval '40 days'),
        ($1 || '-expired-long-ago', $2, now() - interval '35 days', NULL),
        ($1 || '-open', $2, now() + interval '1 day', NULL)`, [marker, person])
      return person
    })
    try {
      const report = await housekeepOnce(db, { cutoff: retentionCutoff(new Date(), 30) })
      expect(report.portalSessions.deleted).toBeGreaterThanOrEqual(2)
      const sessions = await withDb(async (c) => (await c.query('SELECT id_hash FROM portal_sessions WHERE person_id = $1', [ids])).rows.map((r) => r.id_hash))
      expect(sessions).toEqual([`${marker}-live`])
      const links = await withDb(async (c) => (await c.query('SELECT token_hash FROM setup_links WHERE person_id = $1', [ids])).rows.map((r) => r.token_hash))
      expect(links).toEqual([`${marker}-open`])
    } finally {
      await withDb((c) => c.query('DELETE FROM people WHERE id = $1', [ids]))
    }
  })

  test('the periodic task runs at start with FACTEUR_RETENTION_DAYS and counts what it deleted', async () => {
    await clear()
    await seed(5, 1)
    const housekeeping = startHousekeeping({ db, log: createLogger('silent'), intervalMs: 60_000, retentionDays: 30 })
    try {
      for (let i = 0; i < 100 && housekeeping.lastRunAt() === null; i++) await new Promise((r) => setTimeout(r, 100))
      expect(housekeeping.lastRunAt()).not.toBeNull()
      // The portal's tables may hold other files' rows: only these four are this test's.
      expect(housekeeping.deletedTotal()).toMatchObject({ processedEvents: 5, outbox: 5, deliveryJobs: 0, deadLetters: 0 })
      expect(await left()).toEqual({ inbox: ['recent-1'], outbox: ['pending', 'recent-1', 'set-aside'] })
    } finally {
      await housekeeping.stop()
    }
  })
})
