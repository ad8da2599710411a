// Transactional outbox (the gateway's half of "accepted means durable"): the event is written in the same
// PostgreSQL transaction as the document, and a relay publishes committed rows to Kafka afterwards. If Kafka
// is down when a partner posts, the document is still accepted and its event goes out once Kafka is back.
import type { Db, Tx } from './db.js'
import type { Codec } from './avro.js'
import { isRecordRefused, type Producer } from './kafka.js'
import type { Logger } from './log.js'
import { topics, topicName, type TopicKey } from '../../schemas/topics.js'
import type { EventOf } from '../../schemas/events.js'
import { startPollLoop } from './poll-loop.js'

const CHANNEL = 'facteur_outbox'

/** Adds an event to the outbox inside the caller's transaction; the relay is woken at commit. */
export async function enqueue<K extends TopicKey>(tx: Tx, topicPrefix: string, topic: K, value: EventOf[K] & { documentId: string }): Promise<void> {
  await tx.query('INSERT INTO outbox (topic, message_key, value) VALUES ($1, $2, $3)', [topicName(topicPrefix, topics[topic]), value.documentId, JSON.stringify(value)])
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
      const { rows } = await client.query<{ id: string; topic: string; message_key: string; value: unknown }>(
        `SELECT id, topic, message_key, value FROM outbox WHERE published_at IS NULL AND set_aside_at IS NULL AND topic = ANY($2)
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, [batch, ownTopics])
      if (rows.length === 0) { await client.query('COMMIT'); return 0 }
      const messages: { id: string; topic: string; key: string; value: Buffer }[] = []
      const setAside: { id: string; error: string }[] = []
      for (const r of rows) {
        try {
          messages.push({ id: r.id, topic: r.topic, key: r.message_key, value: codec.encode(r.topic, r.value) })
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
