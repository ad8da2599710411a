// What an operator scrapes and follows (issue 11 §5): GET /metrics has the stages' counters and histograms and
// the consumer groups' lag beside the gauges it had, a service run alone serves its own /metrics, and one
// document's W3C trace context travels from the partner's request through the Kafka headers of its events to
// the recipient's HTTP delivery and into every service's log lines.
import { describe, expect, test } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { api, fixture, hub, postDocument, randomSiret, registerParticipant, waitForStatus, withBuyerAddress, withDb } from './helpers.js'
import { connectKafka } from '../services/kit/kafka.js'
import { createLogger } from '../services/kit/log.js'
import { parseTraceparent } from '../services/kit/trace.js'
import { topics, topicName } from '../schemas/topics.js'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const FINAL = ['MISE_A_DISPOSITION', 'REJETEE', 'A_RECYCLER', 'EN_ERREUR', 'ECHEC_DISTRIBUTION']

type Sample = { name: string; labels: Record<string, string>; value: number }

/** The samples of a Prometheus text exposition (0.0.4), and the names of its TYPE lines in order. */
function parseExposition(text: string): { samples: Sample[]; types: string[] } {
  const samples: Sample[] = []
  const types: string[] = []
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) \S+$/.exec(line)
    if (type) { types.push(type[1]!); continue }
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) })
  }
  return { samples, types }
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there are none). */
const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) => samples
  .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  .reduce((n, s) => n + s.value, 0)

async function scrape() {
  // Public like /healthz: no key.
  const res = await api('GET', '/metrics', { key: null })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/)
  return { text: res.text, ...parseExposition(res.text) }
}

describe('GET /metrics', () => {
  test('a delivered document moves the stage counters and histograms; every group\'s lag is there; the old gauges stay', async () => {
    const prefix = hub().topicPrefix
    const topic = (key: keyof typeof topics) => topicName(prefix, topics[key])
    const siret = randomSiret()
    const recipient = http.createServer((req, res) => { req.resume().on('end', () => res.writeHead(202).end()) })
    await new Promise<void>((r) => recipient.listen(0, '127.0.0.1', r))
    try {
      expect((await registerParticipant(`0009:${siret}`, `http://127.0.0.1:${(recipient.address() as AddressInfo).port}/inbox`)).status).toBe(201)
      const before = await scrape()
      const startedAt = Date.now()
      const posted = await postDocument(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
      expect(posted.status).toBe(202)
      const refused = await postDocument('{"not": "xml"}', { contentType: 'application/json' })
      expect(refused.status).toBe(415)
      const doc = await waitForStatus(posted.json.id, FINAL)
      expect(doc.status).toBe('MISE_A_DISPOSITION')
      const elapsed = (Date.now() - startedAt) / 1000
      const after = await scrape()
      const delta = (name: string, labels: Record<string, string> = {}) => total(after.samples, name, labels) - total(before.samples, name, labels)

      // One answer per family: the hand-rendered gauges and prom-client's registry do not overlap.
      expect(after.types.filter((name, i) => after.types.indexOf(name) !== i)).toEqual([])
      // What /metrics had before is still there.
      for (const name of ['facteur_outbox_pending', 'facteur_outbox_oldest_pending_seconds', 'facteur_delivery_jobs', 'facteur_documents', 'facteur_housekeeping_deleted_total', 'facteur_process_resident_memory_bytes']) {
        expect(after.types).toContain(name)
      }
      expect(total(after.samples, 'facteur_documents', { status: 'MISE_A_DISPOSITION' })).toBeGreaterThanOrEqual(1)

      // The gateway: our deposit accepted, our JSON refused with 415, the 202's latency observed.
      expect(delta('facteur_deposits_total', { outcome: 'accepted', status: '202' })).toBeGreaterThanOrEqual(1)
      expect(delta('facteur_deposits_total', { outcome: 'refused', status: '415' })).toBe(1)
      expect(delta('facteur_deposit_seconds_count', { outcome: 'accepted' })).toBeGreaterThanOrEqual(1)
      const depositSeconds = delta('facteur_deposit_seconds_sum', { outcome: 'accepted' })
      expect(depositSeconds).toBeGreaterThan(0)
      expect(depositSeconds / delta('facteur_deposit_seconds_count', { outcome: 'accepted' })).toBeLessThan(elapsed)

      // Each stage on its topic: messages processed, runs timed and sized, events aged.
      for (const [consumer, from] of [['ingest', 'received'], ['validation', 'parsed'], ['routing', 'validated'], ['forwarder', 'routed'], ['status', 'received']] as const) {
        const labels = { consumer, topic: topic(from) }
        expect(delta('facteur_consumer_messages_total', { ...labels, outcome: 'processed' }), `${consumer} processed`).toBeGreaterThanOrEqual(1)
        expect(delta('facteur_consumer_run_seconds_count', labels), `${consumer} runs`).toBeGreaterThanOrEqual(1)
        expect(delta('facteur_consumer_run_seconds_sum', labels), `${consumer} run time`).toBeGreaterThan(0)
        expect(delta('facteur_consumer_run_messages_sum', labels), `${consumer} run sizes`).toBeGreaterThanOrEqual(1)
        expect(delta('facteur_event_age_seconds_count', labels), `${consumer} event ages`).toBeGreaterThanOrEqual(1)
        expect(delta('facteur_event_age_seconds_sum', labels), `${consumer} event ages`).toBeGreaterThanOrEqual(0)
      }
      // A histogram's buckets are cumulative and end with +Inf = count.
      const runBuckets = after.samples.filter((s) => s.name === 'facteur_consumer_run_seconds_bucket' && s.labels.consumer === 'validation' && s.labels.topic === topic('parsed'))
      expect(runBuckets.map((s) => s.value)).toEqual([...runBuckets.map((s) => s.value)].sort((a, b) => a - b))
      expect(runBuckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: total(after.samples, 'facteur_consumer_run_seconds_count', { consumer: 'validation', topic: topic('parsed') }) })

      expect(delta('facteur_validation_seconds_count', { verdict: 'VALID' })).toBeGreaterThanOrEqual(1)
      expect(delta('facteur_delivery_attempts_total', { kind: 'document', outcome: 'delivered' })).toBeGreaterThanOrEqual(1)
      expect(delta('facteur_delivery_attempt_seconds_count', { kind: 'document', outcome: 'delivered' })).toBeGreaterThanOrEqual(1)
      expect(delta('facteur_accept_to_delivered_seconds_count')).toBeGreaterThanOrEqual(1)
      expect(delta('facteur_accept_to_delivered_seconds_sum')).toBeGreaterThan(0)

      // Consumer lag of every group of the hub, on each topic it reads; a number, never negative. (A scrape
      // while a partition's leader is not yet known everywhere leaves a group out: the next one has it.)
      const groups = [['ingest', 'received'], ['validation', 'parsed'], ['routing', 'validated'], ['forwarder', 'routed'], ['status', 'validated']] as const
      const lagOf = (samples: Sample[], group: string, from: keyof typeof topics) =>
        samples.filter((s) => s.name === 'facteur_consumer_lag' && s.labels.group === `${prefix}.${group}` && s.labels.topic === topic(from))
      let lags = after.samples
      for (let i = 0; i < 50 && groups.some(([g, t]) => lagOf(lags, g, t).length === 0); i++) { await sleep(200); lags = (await scrape()).samples }
      for (const [group, from] of groups) {
        const series = lagOf(lags, group, from)
        expect(series, `lag of ${prefix}.${group} on ${topic(from)}`).toHaveLength(1)
        expect(series[0]!.value).toBeGreaterThanOrEqual(0)
      }
      // Node's own, from prom-client: the event loop all six services share under `npm start`.
      expect(after.types).toContain('nodejs_eventloop_lag_seconds')
    } finally {
      recipient.close()
    }
  })

  test('a service run alone serves its own /metrics on its health port, with its group\'s lag', async () => {
    // Its own topic prefix: it must not take the shared hub's partitions.
    const prefix = `alone-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'services/ingest/main.ts')], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FACTEUR_KAFKA_BROKERS: hub().kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: hub().registryUrl, DATABASE_URL: hub().databaseUrl,
        FACTEUR_TOPIC_PREFIX: prefix, FACTEUR_HEALTH_PORT: '0', FACTEUR_LOG_LEVEL: 'info' },
    })
    let output = ''
    child.stdout!.on('data', (d) => { output += d })
    child.stderr!.on('data', (d) => { output += d })
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    try {
      let health: string | undefined
      for (let i = 0; i < 1200 && !health; i++) {
        health = /"health":"(http:\/\/[^"]+)\/readyz"/.exec(output)?.[1]
        if (!health) await sleep(100)
      }
      expect(health, output).toBeTruthy()
      const scrapeAlone = async () => {
        const res = await fetch(`${health}/metrics`)
        expect(res.status).toBe(200)
        return parseExposition(await res.text())
      }
      let { samples, types } = await scrapeAlone()
      expect(types).toContain('facteur_consumer_messages_total')
      expect(types).toContain('facteur_consumer_run_seconds')
      expect(types).toContain('process_cpu_user_seconds_total')
      // Its topics were created a moment ago: until their leaders are known everywhere the broker may answer
      // NOT_LEADER to the offsets request, and the scrape leaves the lag out. It comes on a later scrape.
      for (let i = 0; i < 50 && !samples.some((s) => s.name === 'facteur_consumer_lag'); i++) { await sleep(200); ({ samples, types } = await scrapeAlone()) }
      // Its own group, on its fresh topic: nothing to read.
      expect(samples.filter((s) => s.name === 'facteur_consumer_lag')).toEqual([
        { name: 'facteur_consumer_lag', labels: { group: `${prefix}.ingest`, topic: `${prefix}.document.received` }, value: 0 },
      ])
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  }, 120_000)
})

describe('the trace context', () => {
  test('the deposit\'s traceparent goes on through the Kafka headers, the delivery and the logs, one span per step', async () => {
    const prefix = hub().topicPrefix
    const received = topicName(prefix, topics.received)
    const validated = topicName(prefix, topics.validated)
    const traceId = randomBytes(16).toString('hex')
    const clientSpan = randomBytes(8).toString('hex')
    const siret = randomSiret()
    const deliveredWith: (string | undefined)[] = []
    const recipient = http.createServer((req, res) => {
      deliveredWith.push(req.headers.traceparent as string | undefined)
      req.resume().on('end', () => res.writeHead(202).end())
    })
    await new Promise<void>((r) => recipient.listen(0, '127.0.0.1', r))
    const bus = connectKafka({ brokers: hub().kafkaBrokers.split(','), clientId: 'trace-test', log: createLogger('silent') })
    try {
      expect((await registerParticipant(`0009:${siret}`, `http://127.0.0.1:${(recipient.address() as AddressInfo).port}/inbox`)).status).toBe(201)
      const posted = await api('POST', '/v1/documents', {
        body: withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret), headers: { traceparent: `00-${traceId}-${clientSpan}-01` },
      })
      expect(posted.status).toBe(202)
      const id = posted.json.id as string
      // A throw-away group reads both topics from their start (shared with the other files): ours is keyed by our id.
      const headers = new Map<string, Record<string, string>>()
      const consumer = await bus.consumer({ group: `trace-test-${Date.now()}`, topics: [received, validated] })
      void consumer.run(async (m) => { if (m.key === id) headers.set(m.topic, m.headers) })
      expect((await waitForStatus(id, FINAL)).status).toBe('MISE_A_DISPOSITION')
      for (let i = 0; i < 300 && headers.size < 2; i++) await sleep(100)

      const gateway = parseTraceparent(headers.get(received)?.traceparent)
      const validation = parseTraceparent(headers.get(validated)?.traceparent)
      expect(gateway, `traceparent on ${received}: ${JSON.stringify(headers.get(received))}`).not.toBeNull()
      expect(validation, `traceparent on ${validated}: ${JSON.stringify(headers.get(validated))}`).not.toBeNull()
      // The partner's trace throughout; each step its own span; the partner's sampled flag kept.
      expect(gateway).toMatchObject({ traceId, flags: '01' })
      expect(validation).toMatchObject({ traceId, flags: '01' })
      expect(new Set([clientSpan, gateway!.spanId, validation!.spanId]).size).toBe(3)
      // Stored with the document, as the gateway's span.
      const stored = await withDb(async (c) => (await c.query<{ traceparent: string }>('SELECT traceparent FROM documents WHERE id = $1', [id])).rows[0]?.traceparent)
      expect(stored).toBe(`00-${traceId}-${gateway!.spanId}-01`)
      // The recipient gets it with the document, in a span of its own.
      expect(deliveredWith).toHaveLength(1)
      const delivery = parseTraceparent(deliveredWith[0])
      expect(delivery).toMatchObject({ traceId })
      expect([clientSpan, gateway!.spanId, validation!.spanId]).not.toContain(delivery!.spanId)

      // `grep <traceId>` follows the document through every service (the hub's log is written asynchronously).
      let services = new Set<string>()
      for (let i = 0; i < 100; i++) {
        const lines = (await readFile(hub().logFile, 'utf8')).split('\n').filter((l) => l.includes(traceId))
        // The last line may be half-written.
        services = new Set(lines.flatMap((l) => { try { return [JSON.parse(l).service as string] } catch { return [] } }))
        if (['gateway', 'ingest', 'validation', 'routing', 'forwarder'].every((s) => services.has(s))) break
        await sleep(100)
      }
      // (The status service's lines are left out: when it handles a run of events at once, its lines name the
      // document only.)
      expect([...services].sort()).toEqual(expect.arrayContaining(['forwarder', 'gateway', 'ingest', 'routing', 'validation']))
    } finally {
      await bus.close()
      recipient.close()
    }
  })

  test('a deposit without a (valid) traceparent starts a new trace', async () => {
    const siret = randomSiret()
    const posted = await api('POST', '/v1/documents', {
      body: withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret), headers: { traceparent: `00-${'0'.repeat(32)}-${randomBytes(8).toString('hex')}-01` },
    })
    expect(posted.status).toBe(202)
    const stored = await withDb(async (c) => (await c.query<{ traceparent: string }>('SELECT traceparent FROM documents WHERE id = $1', [posted.json.id])).rows[0]?.traceparent)
    const trace = parseTraceparent(stored)
    expect(trace).not.toBeNull()
    expect(trace!.traceId).not.toBe('0'.repeat(32))
    expect(trace!.flags).toBe('01')
  })
})
