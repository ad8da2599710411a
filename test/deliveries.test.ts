// Deliveries are durable jobs off the consumer path (issue 10 §2): a recipient that hangs holds only its own
// slots while other recipients' documents flow and arrive promptly, and a job whose forwarder died mid-attempt
// (its lease held, never finished) is taken again once the lease expires. On a hub of this file's own, with a
// long HTTP timeout (so a hanging recipient really hangs), a short lease and few delivery slots.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { dropFolder } from './helpers.js'
import { startOwnHub, type OwnHub } from './own-hub.js'
import { connectKafka } from '../services/kit/kafka.js'
import { createCodec } from '../services/kit/avro.js'
import { createLogger } from '../services/kit/log.js'
import { topics, topicName } from '../schemas/topics.js'
import { createDb } from '../services/kit/db.js'
import { startDeliveryRunner } from '../services/forwarder/runner.js'
import { httpChannel } from '../services/forwarder/channels/http.js'
import { dropFolderChannel } from '../services/forwarder/channels/drop-folder.js'


describe('delivery jobs', () => {
  let hub: OwnHub
  beforeAll(async () => {
    hub = await startOwnHub('deliveries', {
      FACTEUR_DELIVERY_TIMEOUT_MS: '30000', FACTEUR_DELIVERY_LEASE_MS: '40000', FACTEUR_DELIVERY_ATTEMPTS: '2', FACTEUR_DELIVERY_BACKOFF_MS: '100',
      FACTEUR_DELIVERY_CONCURRENCY: '4', FACTEUR_DELIVERY_PER_ENDPOINT: '2', FACTEUR_DELIVERY_POLL_MS: '100',
    })
  }, 240_000)
  afterAll(async () => { await hub?.stop() }, 120_000)

  const newRecipient = (endpoint: string) => hub.newRecipient(endpoint)
  const post = (siret: string) => hub.postInvoice(siret)

  test('a recipient that accepts and never answers delays only its own documents', async () => {
    // Accepts every connection and never answers; counts how many are open at once.
    let open = 0
    let mostAtOnce = 0
    let requests = 0
    const hanging = http.createServer((req) => {
      requests++
      open++
      mostAtOnce = Math.max(mostAtOnce, open)
      req.socket.on('close', () => { open-- })
    })
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r))
    const healthy = http.createServer((req, res) => { req.resume().on('end', () => res.writeHead(202).end('ok')) })
    await new Promise<void>((r) => healthy.listen(0, '127.0.0.1', r))
    try {
      const stuck = await newRecipient(`http://127.0.0.1:${(hanging.address() as AddressInfo).port}/inbox`)
      const fine = await newRecipient(`http://127.0.0.1:${(healthy.address() as AddressInfo).port}/inbox`)
      // The hanging recipient's documents first: without per-endpoint slots they would take all 4 slots.
      const stuckIds = await Promise.all(Array.from({ length: 6 }, () => post(stuck)))
      await waitUntil(() => requests >= 2, 60_000, 'the hanging recipient to be called')
      const started = Date.now()
      const fineIds = await Promise.all(Array.from({ length: 4 }, () => post(fine)))
      const docs = await Promise.all(fineIds.map((id) => hub.waitForStatus(id, ['MISE_A_DISPOSITION', 'ECHEC_DISTRIBUTION', 'EN_ERREUR', 'REJETEE'], 25_000)))
      const elapsed = Date.now() - started
      expect(docs.map((d) => d.status)).toEqual(['MISE_A_DISPOSITION', 'MISE_A_DISPOSITION', 'MISE_A_DISPOSITION', 'MISE_A_DISPOSITION'])
      // Well within the 30 s a hanging attempt lasts: nothing waited behind the hanging recipient.
      expect(elapsed).toBeLessThan(25_000)
      process.stderr.write(`[deliveries] 4 documents to a healthy recipient delivered in ${elapsed} ms while another recipient hung\n`)
      // The hanging recipient never held more than its per-endpoint slots, and its documents are still pending.
      expect(mostAtOnce).toBe(2)
      const states = await hub.db(async (c) => (await c.query<{ state: string }>('SELECT state FROM delivery_jobs WHERE document_id = ANY($1)', [stuckIds])).rows.map((r) => r.state))
      expect(states).toEqual(stuckIds.map(() => 'pending'))
      for (const id of stuckIds) expect((await hub.api('GET', `/v1/documents/${id}`)).json.status).toBe('DEPOSEE')
    } finally {
      hanging.closeAllConnections()
      hanging.close()
      healthy.close()
    }
  })

  test('a job whose forwarder died mid-attempt is taken again once its lease expires, with the same Idempotency-Key', async () => {
    const received: { documentId: string; key: string; at: number }[] = []
    const recipient = http.createServer((req, res) => {
      req.resume().on('end', () => {
        received.push({ documentId: String(req.headers['x-facteur-document-id']), key: String(req.headers['idempotency-key']), at: Date.now() })
        res.writeHead(200).end()
      })
    })
    await new Promise<void>((r) => recipient.listen(0, '127.0.0.1', r))
    try {
      const endpoint = `http://127.0.0.1:${(recipient.address() as AddressInfo).port}/inbox`
      // The state a forwarder killed -9 during its first attempt leaves behind: the job claimed (attempt 1
      // counted, leased for a few seconds by a runner that no longer exists) and never finished.
      const id = randomUUID()
      const leaseEnds = await hub.db(async (c) => {
        const partner = (await c.query("SELECT id FROM partners WHERE name = 'demo'")).rows[0].id
        await c.query("INSERT INTO documents (id, partner_id, content_type, payload, size_bytes, sha256) VALUES ($1, $2, 'application/xml', '\\x3c612f3e', 4, 'x')", [id, partner])
        const { rows } = await c.query(
          `INSERT INTO delivery_jobs (topic_prefix, kind, document_id, receipt_sequence, partner_id, endpoint, attempts, locked_until, locked_by)
           VALUES ($1, 'document', $2, 0, $3, $4, 1, now() + interval '4 seconds', 'forwarder-killed-mid-attempt') RETURNING locked_until`,
          [hub.topicPrefix, id, partner, endpoint])
        return (rows[0].locked_until as Date).getTime()
      })
      const doc = await hub.waitForStatus(id, ['MISE_A_DISPOSITION', 'ECHEC_DISTRIBUTION', 'EN_ERREUR'], 30_000)
      expect(doc.status).toBe('MISE_A_DISPOSITION')
      // Not before the lease ran out, once, with the document id as idempotency key.
      expect(received).toHaveLength(1)
      expect(received[0]).toMatchObject({ documentId: id, key: id })
      expect(received[0]!.at).toBeGreaterThanOrEqual(leaseEnds - 50)
      const job = await hub.db(async (c) => (await c.query('SELECT state, attempts, locked_by FROM delivery_jobs WHERE document_id = $1', [id])).rows[0])
      expect(job).toEqual({ state: 'delivered', attempts: 2, locked_by: null })
    } finally {
      recipient.close()
    }
  })

  test('a forwarder process killed with SIGKILL mid-attempt: another runner takes its job once the lease expires', async () => {
    // The recipient hangs on the first request (the killed runner's attempt) and answers the next ones.
    const seen: { key: string; at: number }[] = []
    const recipient = http.createServer((req, res) => {
      seen.push({ key: String(req.headers['idempotency-key']), at: Date.now() })
      if (seen.length > 1) req.resume().on('end', () => res.writeHead(200).end())
    })
    await new Promise<void>((r) => recipient.listen(0, '127.0.0.1', r))
    // A hub prefix of this test's own, so that only the two runners below compete for the job.
    const prefix = `${hub.topicPrefix}-kill`
    const lease = { FACTEUR_DELIVERY_LEASE_MS: 3000 }
    const runnerScript = `
      const { startDeliveryRunner } = await import(${JSON.stringify(fileURLToPath(new URL('../services/forwarder/runner.ts', import.meta.url)))})
      const { httpChannel } = await import(${JSON.stringify(fileURLToPath(new URL('../services/forwarder/channels/http.ts', import.meta.url)))})
      const { createDb } = await import(${JSON.stringify(fileURLToPath(new URL('../services/kit/db.ts', import.meta.url)))})
      const { createLogger } = await import(${JSON.stringify(fileURLToPath(new URL('../services/kit/log.ts', import.meta.url)))})
      const http = httpChannel({ timeoutMs: 60000, allowedHosts: ['127.0.0.1'] })
      startDeliveryRunner({ db: createDb(process.env.DATABASE_URL), log: createLogger('silent'), channels: { http, file: http }, topicPrefix: ${JSON.stringify(prefix)},
        concurrency: 4, perEndpoint: 2, leaseMs: ${lease.FACTEUR_DELIVERY_LEASE_MS}, pollMs: 50, maxAttempts: 3, backoffMs: 100 })`
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', runnerScript], { env: { ...process.env, DATABASE_URL: hub.databaseUrl }, stdio: 'inherit' })
    let survivor: ReturnType<typeof startDeliveryRunner> | null = null
    const db = createDb(hub.databaseUrl)
    try {
      const id = randomUUID()
      const endpoint = `http://127.0.0.1:${(recipient.address() as AddressInfo).port}/inbox`
      await db.query("INSERT INTO documents (id, partner_id, content_type, payload, size_bytes, sha256) VALUES ($1, (SELECT id FROM partners WHERE name = 'demo'), 'application/xml', '\\x3c612f3e', 4, 'x')", [id])
      await db.query("INSERT INTO delivery_jobs (topic_prefix, kind, document_id, partner_id, endpoint) VALUES ($1, 'document', $2, 'p', $3)", [prefix, id, endpoint])
      await waitUntil(() => seen.length === 1, 60_000, 'the first runner\'s attempt')
      child.kill('SIGKILL')
      await new Promise((r) => child.once('exit', r))
      const killedAt = Date.now()
      const leased = (await db.query('SELECT attempts, locked_until FROM delivery_jobs WHERE document_id = $1', [id])).rows[0]
      expect(leased.attempts).toBe(1)
      survivor = startDeliveryRunner({
        db, log: createLogger('silent'), channels: { http: httpChannel({ timeoutMs: 2000, allowedHosts: ['127.0.0.1'] }), file: dropFolderChannel(tmpdir()) }, topicPrefix: prefix,
        concurrency: 4, perEndpoint: 2, leaseMs: lease.FACTEUR_DELIVERY_LEASE_MS, pollMs: 50, maxAttempts: 3, backoffMs: 100,
      })
      await waitUntilAsync(async () => (await db.query("SELECT 1 FROM delivery_jobs WHERE document_id = $1 AND state = 'delivered'", [id])).rowCount === 1, 30_000, 'the job to be delivered by the surviving runner')
      // Taken again only once the dead runner's lease ran out, with the same key; its outcome is queued (outbox).
      expect(seen.map((s) => s.key)).toEqual([id, id])
      expect(seen[1]!.at).toBeGreaterThanOrEqual((leased.locked_until as Date).getTime() - 50)
      process.stderr.write(`[deliveries] job of a runner killed -9 delivered ${seen[1]!.at - killedAt} ms after the kill (lease ${lease.FACTEUR_DELIVERY_LEASE_MS} ms)\n`)
      expect((await db.query('SELECT attempts FROM delivery_jobs WHERE document_id = $1', [id])).rows[0].attempts).toBe(2)
      expect((await db.query("SELECT value->>'eventId' AS e, value->>'outcome' AS o FROM outbox WHERE message_key = $1", [id])).rows).toEqual([{ e: `${id}:delivery`, o: 'DELIVERED' }])
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
      await survivor?.stop()
      await db.end()
      recipient.closeAllConnections()
      recipient.close()
    }
  })

  test('a second routed event for a document adds no second job and no second delivery', async () => {
    const inbox = await dropFolder()
    const siret = await newRecipient(inbox.endpoint)
    const id = await post(siret)
    await hub.waitForStatus(id, ['MISE_A_DISPOSITION'], 60_000)
    // As if routing ran twice (a new event id, so the forwarder's inbox does not skip it): the job's natural key
    // (document, kind) is what keeps it to one delivery.
    const bus = connectKafka({ brokers: hub.config.kafkaBrokers, clientId: 'deliveries-test', log: createLogger('silent') })
    try {
      const producer = await bus.producer()
      const codec = await createCodec({ registryUrl: hub.config.schemaRegistryUrl, topicPrefix: hub.topicPrefix })
      const topic = topicName(hub.topicPrefix, topics.routed)
      const partner = await hub.db(async (c) => (await c.query("SELECT id FROM partners WHERE name = 'demo'")).rows[0].id as string)
      await producer.send([{ topic, key: id, value: codec.encode(topic, {
        eventId: `${id}:routed:again`, documentId: id, partnerId: partner, recipientAddress: `0009:${siret}`, recipientName: 'Delivery test recipient',
        endpoint: inbox.endpoint, routedAt: Date.now(), serviceCode: null, resubmissionOf: null,
      }) }])
      await waitUntilAsync(async () => (await hub.db(async (c) => (await c.query("SELECT 1 FROM processed_events WHERE consumer = 'forwarder' AND event_id = $1", [`${id}:routed:again`])).rowCount)) === 1, 30_000, 'the forwarder to consume the second routed event')
    } finally {
      await bus.close()
    }
    const counts = await hub.db(async (c) => (await c.query(
      'SELECT (SELECT count(*)::int FROM delivery_jobs WHERE document_id = $1) AS jobs, (SELECT count(*)::int FROM delivery_attempts WHERE document_id = $1) AS attempts', [id])).rows[0])
    expect(counts).toEqual({ jobs: 1, attempts: 1 })
    expect(await readdir(inbox.dir)).toEqual([`${id}.xml`])
  })
})

async function waitUntilAsync(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
