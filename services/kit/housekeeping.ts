// Housekeeping: the inbox (`processed_events`), published outbox rows, delivered jobs and replayed dead letters
// grow with every event; rows older than FACTEUR_RETENTION_DAYS are deleted in small batches so no long
// transaction or lock ever holds the tables.
// Several gateways may run it at once: each batch takes its rows with FOR UPDATE SKIP LOCKED, so two instances
// delete different rows and never wait on each other.
//
// Why the retention must exceed the topics' retention: an inbox row is what makes a redelivered event change
// nothing. Kafka can redeliver an event for as long as the topic keeps it (a consumer group reset, an
// uncommitted offset after a crash, a replay from the topic), so a row deleted earlier than that would let a
// redelivery run again: a second delivery, a second status change. Kafka's default topic retention is 7 days;
// the default here is 30.
import type { Db } from './db.js'
import type { Logger } from './log.js'

const DAY_MS = 24 * 60 * 60 * 1000

/** Rows last touched before this instant are old enough to delete. */
export const retentionCutoff = (now: Date, retentionDays: number): Date => new Date(now.getTime() - retentionDays * DAY_MS)

export type PurgeOutcome = { deleted: number; batches: number; finished: boolean }

/**
 * Calls `deleteBatch(batch)` until it deletes fewer rows than asked (nothing old is left), `maxBatches` ran,
 * or `stopping()` says the process is shutting down. `finished` is false when rows may remain.
 */
export async function purgeInBatches(
  deleteBatch: (limit: number) => Promise<number>,
  options: { batch: number; maxBatches: number; pause?: () => Promise<void>; stopping?: () => boolean },
): Promise<PurgeOutcome> {
  let deleted = 0
  for (let batches = 0; batches < options.maxBatches; ) {
    if (options.stopping?.()) return { deleted, batches, finished: false }
    const n = await deleteBatch(options.batch)
    batches++
    deleted += n
    if (n < options.batch) return { deleted, batches, finished: true }
    // Between batches, give other queries the connection and the I/O.
    await options.pause?.()
  }
  return { deleted, batches: options.maxBatches, finished: false }
}

/** One batch per table, by primary key; SKIP LOCKED rows belong to another instance's batch. */
const deleteSql = {
  processedEvents: `DELETE FROM processed_events WHERE (consumer, event_id) IN (
      SELECT consumer, event_id FROM processed_events WHERE processed_at < $1 ORDER BY processed_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  // Only published rows: a pending row is a document not yet announced, and a set-aside row is a bug to look at.
  outbox: `DELETE FROM outbox WHERE id IN (
      SELECT id FROM outbox WHERE published_at < $1 ORDER BY published_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  // Only delivered jobs, with the same retention as the inbox that guards their `routed` event: a failed job is
  // the operator's to retry, a pending one is work. The attempts log (delivery_attempts) stays with the document.
  deliveryJobs: `DELETE FROM delivery_jobs WHERE id IN (
      SELECT id FROM delivery_jobs WHERE state = 'delivered' AND finished_at < $1 ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  // Only replayed dead letters: one not replayed yet is an open problem, whatever its age.
  deadLetters: `DELETE FROM dead_letters WHERE id IN (
      SELECT id FROM dead_letters WHERE replayed_at < $1 ORDER BY replayed_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  // The portal's sessions past their absolute expiry at once, and any idle since before the cutoff (the idle
  // timeout has ended them long before); setup links used or expired before the cutoff. Sign-in records stay.
  portalSessions: `DELETE FROM portal_sessions WHERE id_hash IN (
      SELECT id_hash FROM portal_sessions WHERE expires_at < now() OR last_seen_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  setupLinks: `DELETE FROM setup_links WHERE token_hash IN (
      SELECT token_hash FROM setup_links WHERE coalesce(used_at, expires_at) < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
} as const

export type HousekeepingTable = keyof typeof deleteSql
export type HousekeepingReport = Record<HousekeepingTable, PurgeOutcome>

/** Deletes, table by table, the rows older than `cutoff`. */
export async function housekeepOnce(db: Db, options: { cutoff: Date; batch?: number; maxBatches?: number; stopping?: () => boolean }): Promise<HousekeepingReport> {
  const report = {} as HousekeepingReport
  for (const table of Object.keys(deleteSql) as HousekeepingTable[]) {
    report[table] = await purgeInBatches(
      async (limit) => (await db.query(deleteSql[table], [options.cutoff, limit])).rowCount ?? 0,
      { batch: options.batch ?? 1_000, maxBatches: options.maxBatches ?? 1_000, stopping: options.stopping, pause: () => new Promise((r) => setTimeout(r, 20)) },
    )
  }
  return report
}

export type Housekeeping = {
  stop(): Promise<void>
  /** Rows deleted since start, per table (for /metrics). */
  deletedTotal(): Record<HousekeepingTable, number>
  /** When the last run ended, or null before the first. */
  lastRunAt(): Date | null
}

/**
 * Runs housekeepOnce at start and then every `intervalMs`. A failure (PostgreSQL down) is logged and the next
 * run tries again; nothing else depends on it.
 */
export function startHousekeeping(options: { db: Db; log: Logger; intervalMs: number; retentionDays: number; now?: () => Date }): Housekeeping {
  const log = options.log.child({ component: 'housekeeping' })
  const now = options.now ?? (() => new Date())
  const totals = Object.fromEntries(Object.keys(deleteSql).map((t) => [t, 0])) as Record<HousekeepingTable, number>
  let lastRunAt: Date | null = null
  let stopped = false
  let running: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout | null = null

  const runOnce = async () => {
    const cutoff = retentionCutoff(now(), options.retentionDays)
    try {
      const report = await housekeepOnce(options.db, { cutoff, stopping: () => stopped })
      for (const table of Object.keys(report) as HousekeepingTable[]) totals[table] += report[table].deleted
      lastRunAt = now()
      const tables = Object.entries(report) as [HousekeepingTable, PurgeOutcome][]
      const deleted = tables.reduce((sum, [, r]) => sum + r.deleted, 0)
      log[deleted > 0 ? 'info' : 'debug']({ cutoff, ...Object.fromEntries(tables.map(([t, r]) => [t, r.deleted])), finished: tables.every(([, r]) => r.finished) },
        'housekeeping: old inbox, outbox, delivery job and replayed dead-letter rows deleted')
    } catch (error) {
      log.warn({ err: error }, 'housekeeping failed; will try again at the next interval')
    }
  }
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => { running = runOnce().finally(schedule) }, options.intervalMs)
    timer.unref()
  }
  running = runOnce().finally(schedule)

  return {
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
    },
    deletedTotal: () => ({ ...totals }),
    lastRunAt: () => lastRunAt,
  }
}
