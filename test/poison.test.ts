// No poison stalls (issue 10 §4): every event the hub can produce fits the broker's limit, a value that would not
// is refused as the message's own failure (never retried forever), the outbox sets such a row aside instead of
// blocking the rows behind it, and a document with thousands of findings is REJETEE with a bounded list on its
// events while the complete list stays in PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { api, fixture, hub, postDocument, waitForStatus, withDb, withInvoiceNumber } from './helpers.js'
import { loadConfig } from '../services/kit/config.js'
import { createLogger } from '../services/kit/log.js'
import { createDb, type Db } from '../services/kit/db.js'
import { connectKafka, TOPIC_MAX_MESSAGE_BYTES, type Bus, type Producer } from '../services/kit/kafka.js'
import { createCodec, type Codec } from '../services/kit/avro.js'
import { startOutboxRelay } from '../services/kit/outbox.js'
import { isInfraError } from '../services/kit/run-service.js'
import { allTopics } from '../services/kit/deps.js'
import { topics, topicName, dlqName } from '../schemas/topics.js'
import type { DeadLetter, DocumentKeys, DocumentStatus, DocumentValidated, Finding } from '../schemas/events.js'
import { capFindings, MAX_EVENT_BYTES, MAX_KEY_CHARS, TRUNCATED_RULE } from '../schemas/event-limits.js'

const log = createLogger('silent')
// Its own prefix: the events written here must not reach the shared hub's consumers.
const prefix = `${hub().topicPrefix}-poison`
const widest = (n: number) => '€'.repeat(n) // 3 bytes in UTF-8: the most bytes per character in these fields

/** Keys with every field at the length ingest accepts. */
const longestKeys = (): DocumentKeys => {
  const s = widest(MAX_KEY_CHARS)
  const party = { name: s, legalId: { scheme: s, value: s }, vatId: s, endpoint: { scheme: s, value: s } }
  return {
    invoiceNumber: s, issueDate: s, typeCode: s, currency: s, customizationId: s, profileId: s, buyerReference: s, orderReference: s,
    seller: party, buyer: party, totals: { lineExtension: s, taxExclusive: s, taxTotal: s, taxInclusive: s, payable: s },
  }
}

/** Far more findings than any event may carry, each as long as a rule pack could make it. */
const floodOfFindings = (): Finding[] => Array.from({ length: 20_000 }, (_, i) => ({
  ruleId: `BR-${i % 300}-${widest(200)}`, severity: i % 3 === 0 ? 'warning' : 'fatal', location: widest(5_000), message: widest(10_000),
  pack: widest(500), packVersion: widest(100), line: i,
}))

describe('event size limits on the real broker', () => {
  let bus: Bus
  let producer: Producer
  let codec: Codec
  let db: Db

  beforeAll(async () => {
    const config = loadConfig({ FACTEUR_TOPIC_PREFIX: prefix, FACTEUR_KAFKA_BROKERS: hub().kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: hub().registryUrl, DATABASE_URL: hub().databaseUrl, FACTEUR_TOPIC_PARTITIONS: '1' })
    bus = connectKafka({ brokers: config.kafkaBrokers, clientId: 'poison-test', log })
    await bus.ensureTopics(allTopics(config))
    producer = await bus.producer()
    codec = await createCodec({ registryUrl: config.schemaRegistryUrl, topicPrefix: prefix })
    db = createDb(hub().databaseUrl)
  })
  afterAll(async () => {
    await bus?.close()
    await db?.end()
  })

  const readBack = async (topic: string, key: string) => {
    const seen: Buffer[] = []
    const reader = await bus.readTopic(topic, { follow: false, onMessage: async (m) => { if (m.key === key && m.value) seen.push(m.value) } })
    await reader.done
    return seen
  }

  test('the largest validated and status events the hub can produce fit, and come back whole', async () => {
    const capped = capFindings(floodOfFindings())
    expect(capped.truncated).toBe(true)
    const validated: DocumentValidated = {
      eventId: 'largest:validated', documentId: 'largest', partnerId: widest(36), syntax: 'ubl-invoice', keys: longestKeys(), verdict: 'INVALID',
      packs: ['en16931-ubl:1.3.16@native', 'peppol-bis-billing-3-ubl:2025.11@native', 'fr-ctc-ubl:1.3.0@native', 'fr-b2g:1.0.0@native'], findings: capped.findings, validatedAt: Date.now(),
    }
    const status: DocumentStatus = {
      eventId: 'largest:status:2', documentId: 'largest', sequence: 2, status: 'REJETEE', code: '213', actor: 'hub', at: Date.now(),
      reason: widest(1_000), findings: capped.findings, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64),
    }
    for (const [key, event] of [['validated', validated], ['status', status]] as const) {
      const topic = topicName(prefix, topics[key])
      const value = codec.encode(topic, event)
      expect(value.length, `${key} event size`).toBeLessThanOrEqual(MAX_EVENT_BYTES)
      await producer.send([{ topic, key: event.documentId, value }])
      const [back] = await readBack(topic, event.documentId)
      const decoded = JSON.parse(JSON.stringify(await codec.decode(topic, back!))) as Record<string, unknown>
      const sent = JSON.parse(JSON.stringify(event)) as Record<string, unknown>
      for (const field of Object.keys(sent)) expect(decoded[field], field).toEqual(sent[field])
    }
  })

  test('a dead letter wrapping the largest event fits its topic', async () => {
    const topic = dlqName(prefix, topics.validated)
    const letter: DeadLetter = {
      documentId: 'letter', topic: topicName(prefix, topics.validated), partition: 0, offset: '123', consumer: 'routing',
      error: widest(4_000), attempts: 3, value: Buffer.alloc(MAX_EVENT_BYTES, 1), failedAt: Date.now(),
    }
    await producer.send([{ topic, key: 'letter', value: codec.encode(topic, letter) }])
    const [back] = await readBack(topic, 'letter')
    expect(((await codec.decode(topic, back!)) as DeadLetter).value.length).toBe(MAX_EVENT_BYTES)
  })

  test('a value over the limit is refused before it is sent, as the message\'s own failure', async () => {
    const topic = topicName(prefix, topics.status)
    const error = await producer.send([{ topic, key: 'too-big', value: Buffer.alloc(MAX_EVENT_BYTES + 1) }]).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'EVENT_TOO_LARGE' })
    expect(isInfraError(error)).toBe(false)
    expect(TOPIC_MAX_MESSAGE_BYTES).toBeGreaterThan(MAX_EVENT_BYTES)
  })

  test('many events at once are split into batches the broker accepts', async () => {
    const topic = topicName(prefix, topics.status)
    // 12 events of 200 KB for one key (one partition): 2.4 MB, above the topic's max.message.bytes if sent as one batch.
    const messages = Array.from({ length: 12 }, (_, i) => ({ topic, key: 'batch', value: Buffer.concat([Buffer.from([i]), Buffer.alloc(200_000)]) }))
    await producer.send(messages)
    const back = await readBack(topic, 'batch')
    expect(back.map((v) => v[0])).toEqual(messages.map((_, i) => i))
  })

  test('the outbox sets aside a row Kafka cannot take and publishes the rows behind it', async () => {
    const topic = topicName(prefix, topics.status)
    const big = { eventId: 'big:status:1', documentId: 'big', sequence: 1, status: 'DEPOSEE', code: '200', actor: 'hub', at: Date.now(), reason: 'x'.repeat(MAX_EVENT_BYTES + 10), findings: [] }
    const next = { ...big, eventId: 'next:status:1', documentId: 'next', reason: null }
    const ids = await withDb(async (c) => (await c.query<{ id: string }>(
      'INSERT INTO outbox (topic, message_key, value) VALUES ($1, $2, $3), ($1, $4, $5) RETURNING id', [topic, 'big', JSON.stringify(big), 'next', JSON.stringify(next)])).rows.map((r) => r.id))
    const relay = startOutboxRelay({ db, producer, codec, log, pollMs: 50, topicPrefix: prefix })
    try {
      await expect.poll(() => withDb(async (c) => (await c.query('SELECT published_at IS NOT NULL AS published, set_aside_at IS NOT NULL AS set_aside FROM outbox WHERE id = ANY($1::bigint[]) ORDER BY id', [ids])).rows), { timeout: 20_000 })
        .toEqual([{ published: false, set_aside: true }, { published: true, set_aside: false }])
      const error = await withDb(async (c) => (await c.query('SELECT last_error FROM outbox WHERE id = $1', [ids[0]])).rows[0].last_error)
      expect(error).toMatch(/over the 1048576-byte limit/)
      expect(await readBack(topic, 'next')).toHaveLength(1)
    } finally {
      await relay.stop()
    }
  })
})

describe('a document with thousands of findings', () => {
  /** The fixture plus `n` zero-amount lines without an item name: each breaks BR-25, the totals stay right. */
  const manyBadLines = async (n: number) => {
    const line = (i: number) => `<cac:InvoiceLine><cbc:ID>N${i}</cbc:ID><cbc:InvoicedQuantity unitCode="C62">0</cbc:InvoicedQuantity>`
      + '<cbc:LineExtensionAmount currencyID="EUR">0.00</cbc:LineExtensionAmount><cac:Item><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID>'
      + '<cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>'
      + '<cac:Price><cbc:PriceAmount currencyID="EUR">0.00</cbc:PriceAmount></cac:Price></cac:InvoiceLine>\n'
    const xml = withInvoiceNumber(await fixture('ubl-invoice.xml')).toString('utf8')
    return Buffer.from(xml.replace('</Invoice>', `${Array.from({ length: n }, (_, i) => line(i)).join('')}</Invoice>`))
  }

  test('is REJETEE with at most 500 findings on its events, and every finding kept in PostgreSQL', async () => {
    const posted = await postDocument(await manyBadLines(1_500))
    expect(posted.status).toBe(202)
    const id = posted.json.id as string
    const doc = await waitForStatus(id, ['REJETEE', 'EN_ERREUR'], 90_000)
    expect(doc.status).toBe('REJETEE')
    expect(doc.findings.length).toBeLessThanOrEqual(500)
    expect(doc.findings.filter((f: Finding) => f.ruleId === 'BR-25').length).toBe(499)
    const summary = doc.findings.find((f: Finding) => f.ruleId === TRUNCATED_RULE)
    expect(summary.message).toContain('1500 findings in all (1500 fatal)')
    expect(summary.message).toContain('BR-25 ×1500')
    const stored = await withDb(async (c) => (await c.query('SELECT total, jsonb_array_length(findings) AS n FROM document_findings WHERE document_id = $1 AND stage = $2', [id, 'validation'])).rows[0])
    expect(stored).toEqual({ total: 1500, n: 1500 })
    // The status event carries the same bounded list, and the sender's rejection receipt is built from it.
    await expect.poll(async () => (await api('GET', `/v1/documents/${id}/receipts`)).json?.receipts?.map((r: any) => `${r.kind}:${r.responseCode}`), { timeout: 30_000 })
      .toEqual(['mlr:RE'])
  }, 120_000)
})
