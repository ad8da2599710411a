// At-least-once, idempotent: a redelivered event changes nothing; a message a consumer cannot process goes
// to its dead-letter topic, the document shows EN_ERREUR, and the consumer carries on with the next one.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { randomUUID } from 'node:crypto'
import { api, dropFolder, fixture, hub, postDocument, randomSiret, registerParticipant, waitForStatus, withBuyerAddress, withDb } from './helpers.js'
import { connectKafka, type Bus, type Producer } from '../services/kit/kafka.js'
import { createCodec, type Codec } from '../services/kit/avro.js'
import { createLogger } from '../services/kit/log.js'
import { topics, topicName } from '../schemas/topics.js'

describe('redelivery and dead letters', () => {
  let bus: Bus
  let producer: Producer
  let codec: Codec
  beforeAll(async () => {
    bus = connectKafka({ brokers: hub().kafkaBrokers.split(','), clientId: 'redelivery-test', log: createLogger('silent') })
    producer = await bus.producer()
    codec = await createCodec({ registryUrl: hub().registryUrl, topicPrefix: hub().topicPrefix })
  })
  afterAll(async () => { await bus?.close() })

  test('a received event delivered twice produces one history and one delivery', async () => {
    const siret = randomSiret()
    const inbox = await dropFolder()
    await registerParticipant(`0009:${siret}`, inbox.endpoint)
    const posted = await postDocument(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
    const id = posted.json.id as string
    await waitForStatus(id, ['MISE_A_DISPOSITION'])
    // Replay the document's `received` event exactly as the outbox relay published it.
    const topic = topicName(hub().topicPrefix, topics.received)
    const event = await withDb(async (db) => (await db.query('SELECT value FROM outbox WHERE message_key = $1 AND topic = $2', [id, topic])).rows[0].value)
    await producer.send([{ topic, key: id, value: codec.encode(topic, event) }])
    // Give the replay time to pass every stage (one document takes well under a second end to end here).
    await new Promise((r) => setTimeout(r, 3000))
    const history = await withDb(async (db) => (await db.query('SELECT status FROM status_history WHERE document_id = $1 ORDER BY sequence', [id])).rows)
    expect(history.map((r) => r.status)).toEqual(['DEPOSEE', 'MISE_A_DISPOSITION'])
    const attempts = await withDb(async (db) => (await db.query('SELECT count(*)::int AS n FROM delivery_attempts WHERE document_id = $1', [id])).rows[0].n)
    expect(attempts).toBe(1)
  })

  test('an undecodable message is dead-lettered, the document shows EN_ERREUR, and the next document still flows', async () => {
    // A document the gateway never announced, so only our poisoned message concerns it.
    const id = randomUUID()
    await withDb(async (db) => {
      const partner = (await db.query("SELECT id FROM partners WHERE name = 'demo'")).rows[0].id
      await db.query("INSERT INTO documents (id, partner_id, content_type, payload, size_bytes, sha256) VALUES ($1, $2, 'application/xml', '\\x3c612f3e', 4, 'x')", [id, partner])
    })
    const topic = topicName(hub().topicPrefix, topics.received)
    await producer.send([{ topic, key: id, value: Buffer.from('{"not": "avro"}') }])

    const doc = await waitForStatus(id, ['EN_ERREUR'], 60_000)
    expect(doc.history.at(-1).reason).toMatch(/processing failed in (ingest|status) \(.*document\.received\) after 3 attempt\(s\): .*not a Confluent-framed Avro value/)
    // Kept for the operator, who cannot replay it as it is: it is not an event of its topic.
    const letters = await api('GET', `/v1/admin/dead-letters?documentId=${id}`, { key: hub().adminKey })
    expect(letters.json.deadLetters.length).toBeGreaterThan(0)
    expect(letters.json.deadLetters.every((d: { replayable: boolean; topic: string }) => !d.replayable && d.topic === topic)).toBe(true)
    const replay = await api('POST', '/v1/admin/dead-letters/replay', { key: hub().adminKey, body: { documentId: id } })
    expect(replay.json.replayed).toEqual([])
    expect(replay.json.skipped[0].reason).toMatch(/not a valid event of its topic/)

    const siret = randomSiret()
    const inbox = await dropFolder()
    await registerParticipant(`0009:${siret}`, inbox.endpoint)
    const next = await postDocument(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
    expect((await waitForStatus(next.json.id, ['MISE_A_DISPOSITION', 'REJETEE', 'EN_ERREUR'])).status).toBe('MISE_A_DISPOSITION')
  })
})
