// Accepted means durable: the gateway writes the document and its event in one transaction, and the event
// reaches Kafka through the relay even when it was not running (standing in for Kafka being down) at the time.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { hub, withDb } from './helpers.js'
import { loadConfig } from '../services/kit/config.js'
import { createLogger } from '../services/kit/log.js'
import { createDb, type Db } from '../services/kit/db.js'
import { connectKafka, type Bus } from '../services/kit/kafka.js'
import { createCodec } from '../services/kit/avro.js'
import { startOutboxRelay } from '../services/kit/outbox.js'
import { createApp } from '../services/gateway/app.js'
import { topics, topicName } from '../schemas/topics.js'

describe('transactional outbox', () => {
  let db: Db
  let server: http.Server
  let url: string
  let bus: Bus
  const log = createLogger('silent')
  // A separate prefix: this test's gateway writes rows that the shared hub's relay must not publish.
  const prefix = `${hub().topicPrefix}-outbox`

  beforeAll(async () => {
    const config = loadConfig({ DATABASE_URL: hub().databaseUrl, FACTEUR_TOPIC_PREFIX: prefix, FACTEUR_KAFKA_BROKERS: hub().kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: hub().registryUrl })
    db = createDb(hub().databaseUrl)
    // A gateway with no relay at all: Kafka is out of its reach, yet it must accept.
    const app = createApp({ config, db, log, checks: {} })
    server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    bus = connectKafka({ brokers: config.kafkaBrokers, clientId: 'outbox-test', log })
    await bus.ensureTopics([{ name: topicName(prefix, topics.received), partitions: 1 }])
  })
  afterAll(async () => {
    server?.close()
    await bus?.close()
    await db?.end()
  })

  test('a document accepted while nothing relays is published once the relay runs', async () => {
    const res = await fetch(`${url}/v1/documents`, {
      method: 'POST', headers: { authorization: `Bearer ${hub().demoKey}`, 'content-type': 'application/xml' },
      body: '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>OUTBOX-1</ID></Invoice>',
    })
    expect(res.status).toBe(202)
    const { id } = await res.json() as { id: string }
    const row = await withDb(async (c) => (await c.query('SELECT topic, published_at FROM outbox WHERE message_key = $1', [id])).rows[0])
    expect(row).toEqual({ topic: topicName(prefix, topics.received), published_at: null })

    const codec = await createCodec({ registryUrl: hub().registryUrl, topicPrefix: prefix })
    const producer = await bus.producer()
    const consumer = await bus.consumer({ group: `outbox-test-${Date.now()}`, topics: [topicName(prefix, topics.received)] })
    const seen = new Promise<any>((resolve) => {
      void consumer.run(async (m) => {
        const event = await codec.decode(m.topic, m.value!) as { documentId: string }
        if (event.documentId === id) resolve(event)
      })
    })
    const relay = startOutboxRelay({ db, producer, codec, log, pollMs: 50, topicPrefix: prefix })
    try {
      const event = await seen
      expect(event).toMatchObject({ eventId: `${id}:received`, documentId: id, contentType: 'application/xml' })
      await expect.poll(() => withDb(async (c) => (await c.query('SELECT published_at FROM outbox WHERE message_key = $1', [id])).rows[0].published_at), { timeout: 10_000 }).not.toBeNull()
    } finally {
      await relay.stop()
    }
  })
})
