// Transactional outbox (the gateway's half of "accepted means durable"): the event is written in the same
// PostgreSQL transaction as the document, and a relay publishes committed rows to Kafka afterwards. If Kafka
// is down when a partner posts, the document is still accepted and its event goes out once Kafka is back.
// A row's `headers` go out as Kafka headers; a row without them gets a span of its document's trace
// (documents.traceparent), so every event of a document, whoever wrote it, carries the document's trace.
import type { Db, Tx } from './db.js'
import type { Codec } from './avro.js'
import { isRecordRefused, type Producer } from './kafka.js'
import type { Logger } from './log.js'
import { topics, topicName, type TopicKey } from '../../schemas/topics.js'
import type { EventOf } from '../../schemas/events.js'
import { startPollLoop } from './poll-loop.js'
import { childSpan, formatTraceparent, parseTraceparent, TRACEPARENT } from './trace.js'

/** LISTEN/NOTIFY channel of the relay: a NOTIFY in a committed transaction wakes it at once. */
export const OUTBOX_CHANNEL = 'facteur_outbox'
const CHANNEL = OUTBOX_CHANNEL

/** An outbox row's topic, message key and JSON value (for a writer that inserts it in a statement of its own). */
export const outboxRow = <K extends TopicKey>(topicPrefix: string, topic: K, value: EventOf[K] & { documentId: string }) =>
  ({ topic: topicName(topicPrefix, topics[topic]), key: value.documentId, value: JSON.stringify(value) })

/** Adds an event (and its Kafka headers) to the outbox inside the caller's transaction; the relay is woken at commit. */
export async function enqueue<K extends TopicKey>(tx: Tx, topicPrefix: string, topic: K, value: EventOf[K] & { documentId: string }, headers?: Record<string, string>): Promise<void> {
  const row = outboxRow(topicPrefix, topic, value)
  await tx.query('INSERT INTO outbox (topic, message_key, value, headers) VALUES ($1, $2, $3, $4)', [row.topic, row.key, row.value, headers ? JSON.stringify(headers) : null])
  await tx.query(`NOTIFY ${CHANNEL}`)
}

/** enqueue for many events of one topic in one statement; the relay is woken once at commit. */
export async function enqueueMany<K extends TopicKey>(tx: Tx, topicPrefix: string, topic: K, values: readonly (EventOf[K] & { documentId: string })[]): Promise<void> {
  if (values.length === 0) return
  const rows = values.map((v) => outboxRow(topicPrefix, topic, v))
  await tx.query('INSERT INTO outbox (topic, message_key, value) SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])', [rows.map((r) => r.topic), rows.map((r) => r.key), rows.map((r) => r.value)])
  await tx.query(`NOTIFY ${CHANNEL}`)
}

export type Relay = { stop(): Promise<void>; pending(): Promise<number>; lastError(): string | null }

/**
 * Publishes committed outbox rows of `topicPrefix`'s topics in id order (per-key order holds), marking each
 * published once acked. A row whose value does not fit its schema is set aside (logged), never retried forever.
 */
export function startOutboxRelay(options: { db: Db; producer: Producer; codec: Codec; log: Logger; pollMs: number; topicPrefix: string; batch?: number }): Relay {
  const { db, producer, codec, pollMs } = options
  const ownTopics = Object.values(topics).map((spec) => topicName(options.topicPrefix, spec))
  const log = options.log.child({ component: 'outbox-relay' })
  const batch = options.batch ?? 200

  const relayOnce = async (): Promise<number> => {
    const client = await db.connect()
    try {
      await client.query('BEGIN')
      // SKIP LOCKED: several gateways may relay side by side without publishing a row twice at once.
      // The document's trace only for a row without headers (keys are document ids; anything else joins nothing).
      const { rows } = await client.query<{ id: string; topic: string; message_key: string; value: unknown; headers: Record<string, string> | null; traceparent: string | null }>(
        `SELECT o.id, o.topic, o.message_key, o.value, o.headers, d.traceparent
           FROM outbox o LEFT JOIN documents d
             ON o.headers IS NULL AND d.id = CASE WHEN o.message_key ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN o.message_key::uuid END
          WHERE o.published_at IS NULL AND o.set_aside_at IS NULL AND o.topic = ANY($2)
          ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED`, [batch, ownTopics])
      if (rows.length === 0) { await client.query('COMMIT'); return 0 }
      const messages: { id: string; topic: string; key: string; value: Buffer; headers?: Record<string, string> }[] = []
      const setAside: { id: string; error: string }[] = []
      for (const r of rows) {
        try {
          const documentTrace = parseTraceparent(r.traceparent)
          const headers = r.headers ?? (documentTrace ? { [TRACEPARENT]: formatTraceparent(childSpan(documentTrace)) } : undefined)
          messages.push({ id: r.id, topic: r.topic, key: r.message_key, value: codec.encode(r.topic, r.value), ...(headers ? { headers } : {}) })
        } catch (error) {
          log.error({ documentId: r.message_key, topic: r.topic, err: error }, 'outbox row does not fit its schema; set aside')
          setAside.push({ id: r.id, error: String((error as Error).message) })
        }
      }
      let published = messages.map((m) => m.id)
      try {
        await producer.send(messages)
      } catch (error) {
        // Only a refusal of the records themselves is worth looking for the guilty row; anything else (the broker
        // away, a producer replaced, an error nobody classified) keeps every row queued for the next round:
        // an accepted document's event is never set aside on a guess.
        if (!isRecordRefused(error)) {
          await client.query('ROLLBACK')
          await db.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id), String((error as Error).message)])
          throw error
        }
        // The broker refused the batch for something in it (a record too large, …): it would refuse it again, and
        // every row behind it would wait forever. Send the rows one by one, in order; set aside each one refused.
        published = []
        for (const m of messages) {
          try {
            await producer.send([m])
            published.push(m.id)
          } catch (single) {
            if (!isRecordRefused(single)) break
            log.error({ documentId: m.key, topic: m.topic, bytes: m.value.length, err: single }, 'outbox row refused by Kafka; set aside')
            setAside.push({ id: m.id, error: String((single as Error).message) })
          }
        }
      }
      for (const a of setAside) await client.query('UPDATE outbox SET set_aside_at = now(), attempts = attempts + 1, last_error = $2 WHERE id = $1', [a.id, a.error.slice(0, 2000)])
      await client.query('UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::bigint[])', [published])
      await client.query('COMMIT')
      const done = new Set(published)
      for (const r of rows) if (done.has(r.id)) log.debug({ documentId: r.message_key, topic: r.topic }, 'outbox row published')
      return rows.length
    } finally {
      client.release()
    }
  }

  const loop = startPollLoop({
    db, channel: CHANNEL, pollMs, log, failing: 'outbox relay cannot publish; documents stay queued',
    round: async () => (await relayOnce()) === batch,
  })

  return {
    stop: () => loop.stop(),
    async pending() {
      return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND set_aside_at IS NULL AND topic = ANY($1)', [ownTopics])).rows[0]?.n ?? 0)
    },
    lastError: () => loop.lastError(),
  }
}
