// Restarts keep everything (issue 10 §1): the broker's kept data dir across a clean stop and a SIGKILL, a hub
// stopped and started again on the same database, topics and consumer groups, and a broker killed -9 while
// documents flow. One broker of this file's own (its data dir kept between the steps, killed at will), the
// shared registry and a database of its own, so the shared hub of test/setup.ts is never disturbed.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { inject } from 'vitest'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { spawn } from 'node:child_process'
import { Kafka, logLevel } from 'kafkajs'
import pg from 'pg'
import { startKafka, recordedClusterId, type KafkaServer } from '../services/hub/local/kafka.js'
import { isAlive } from '../services/hub/local/processes.js'
import { loadConfig, type Config } from '../services/kit/config.js'
import { createLogger } from '../services/kit/log.js'
import { startHub, type Hub } from '../services/hub/hub.js'
import { fixture, randomSiret, withBuyerAddress } from './helpers.js'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const shared = () => inject('hub')
const run = randomBytes(3).toString('hex')
const base = join(root, '.facteur', 'test', `restart-${run}`)
const kafkaDir = join(base, 'kafka')
const dataDir = join(kafkaDir, 'data')
// Under the hub's FACTEUR_DROP_ROOT: file:// endpoints elsewhere are refused.
const dropRoot = join(base, 'inbox')

let kafka: KafkaServer | null = null
const startOwnKafka = async () => { kafka = await startKafka({ dir: kafkaDir, logFile: join(base, 'kafka.log') }); return kafka }

/** Kills the broker's JVM with SIGKILL (no shutdown hook runs: an unclean stop) and waits until it is gone. */
async function killKafka(): Promise<void> {
  const pid = kafka!.server.pid
  process.kill(pid, 'SIGKILL')
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100)
  expect(isAlive(pid)).toBe(false)
  kafka = null
}

beforeAll(async () => { await mkdir(dropRoot, { recursive: true }) })
afterAll(async () => {
  await kafka?.server.stop()
  await rm(base, { recursive: true, force: true })
})

describe('the broker keeps its data dir across restarts', () => {
  const topic = `restart-${run}`
  const group = `restart-group-${run}`
  const client = (brokers: string) => new Kafka({ clientId: 'restart-test', brokers: [brokers], logLevel: logLevel.NOTHING })

  /** What a restart must keep: the cluster id, the topic, the group's committed offset and the messages after it. */
  async function stateOf(brokers: string) {
    // A broker just started answers "the coordinator is loading" for its first seconds (retriable).
    for (let attempt = 1; ; attempt++) {
      try { return await readState(brokers) } catch (error) {
        if (!(error as { retriable?: boolean }).retriable || attempt >= 60) throw error
        await sleep(500)
      }
    }
  }
  async function readState(brokers: string) {
    const admin = client(brokers).admin()
    await admin.connect()
    try {
      const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions[0]!.offset
      const end = (await admin.fetchTopicOffsets(topic))[0]!.high
      const { clusterId } = await admin.describeCluster()
      return { topics: (await admin.listTopics()).filter((t) => t === topic), committed, end, clusterId }
    } finally { await admin.disconnect() }
  }

  /** The values the group has not consumed yet (from its committed offset to the end), read without committing. */
  async function unconsumed(brokers: string, expected: number): Promise<string[]> {
    const consumer = client(brokers).consumer({ groupId: group })
    const values: string[] = []
    await consumer.connect()
    await consumer.subscribe({ topics: [topic] })
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => { values.push(message.value!.toString()) } })
    for (let i = 0; i < 300 && values.length < expected; i++) await sleep(100)
    await consumer.disconnect()
    return values
  }

  test('same cluster id, topic, committed offset and unconsumed messages after a clean stop and after SIGKILL', async () => {
    const first = await startOwnKafka()
    const id = recordedClusterId(dataDir)
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    const admin = client(first.brokers).admin()
    await admin.connect()
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] })
    await admin.disconnect()
    const producer = client(first.brokers).producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    await producer.send({ topic, acks: -1, messages: ['m0', 'm1', 'm2'].map((value) => ({ key: 'k', value })) })
    await producer.disconnect()
    // The group consumed m0 and m1: its committed offset is 2, and m2 waits for it.
    const setter = client(first.brokers).admin()
    await setter.connect()
    await setter.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '2' }] })
    await setter.disconnect()
    const before = await stateOf(first.brokers)
    expect(before).toMatchObject({ topics: [topic], committed: '2', end: '3' })

    // A clean stop (SIGTERM), then `npm start` again on the same dir: it used to fail with "Invalid cluster.id".
    await first.server.stop()
    kafka = null
    const second = await startOwnKafka()
    expect(second.brokers).toBe(first.brokers)
    expect(recordedClusterId(dataDir)).toBe(id)
    expect(await stateOf(second.brokers)).toEqual(before)
    expect(await unconsumed(second.brokers, 1)).toEqual(['m2'])

    // A message acknowledged (acks=all) just before the JVM is killed with SIGKILL is still there after the restart.
    const late = client(second.brokers).producer({ idempotent: true, maxInFlightRequests: 1 })
    await late.connect()
    await late.send({ topic, acks: -1, messages: [{ key: 'k', value: 'm3' }] })
    await late.disconnect()
    await killKafka()
    const third = await startOwnKafka()
    expect(third.brokers).toBe(first.brokers)
    expect(recordedClusterId(dataDir)).toBe(id)
    expect(await stateOf(third.brokers)).toEqual({ ...before, end: '4' })
    expect(await unconsumed(third.brokers, 2)).toEqual(['m2', 'm3'])
  }, 240_000)
})

describe('a hub restarted on its kept state', () => {
  const topicPrefix = `restart-${run}`
  const database = `facteur_restart_${run}`
  const databaseUrl = () => { const u = new URL(shared().databaseUrl); u.pathname = `/${database}`; return u.toString() }
  const keys = { demo: `fct_${randomBytes(24).toString('base64url')}`, admin: `fct_${randomBytes(24).toString('base64url')}` }
  const log = createLogger('debug', { run: topicPrefix }, join(root, '.facteur', 'test', 'logs', `hub-${topicPrefix}.log`))
  let hub: Hub | null = null
  let config: Config
  const siret = randomSiret()
  const inbox = join(dropRoot, siret)

  const call = async (method: string, path: string, options: { key?: string; body?: Buffer | object; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? keys.demo}`, ...options.headers }
    let body: Buffer | string | undefined
    if (Buffer.isBuffer(options.body)) { body = options.body; headers['content-type'] = 'application/xml' } else if (options.body) { body = JSON.stringify(options.body); headers['content-type'] = 'application/json' }
    const res = await fetch(hub!.url + path, { method, headers, body })
    const text = await res.text()
    return { status: res.status, text, json: (() => { try { return JSON.parse(text) } catch { return null } })() as any }
  }
  /** Posts one invoice for our recipient, retrying (same Idempotency-Key) while the gateway cannot answer. */
  const post = async (): Promise<string> => {
    const xml = withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret)
    const key = randomBytes(8).toString('hex')
    for (let attempt = 1; ; attempt++) {
      const res = await call('POST', '/v1/documents', { body: xml, headers: { 'idempotency-key': key } }).catch((error) => ({ status: 0, text: String(error), json: null }))
      if (res.status === 202) return res.json.id
      if (attempt >= 20) throw new Error(`deposit failed: ${res.status} ${res.text}`)
      await sleep(500)
    }
  }
  const statusOf = async (id: string) => (await call('GET', `/v1/documents/${id}`)).json?.status as string | undefined
  async function waitAll(ids: string[], status: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let waiting = ids
    while (waiting.length > 0 && Date.now() < deadline) {
      const seen = await Promise.all(waiting.map(async (id) => [id, await statusOf(id).catch(() => undefined)] as const))
      waiting = seen.filter(([, s]) => s !== status).map(([id]) => id)
      if (waiting.length > 0) await sleep(500)
    }
    if (waiting.length > 0) {
      const seen = await Promise.all(waiting.slice(0, 5).map(async (id) => `${id}: ${await statusOf(id).catch((e) => String(e))}`))
      throw new Error(`${waiting.length} of ${ids.length} document(s) did not reach ${status} within ${timeoutMs / 1000} s, e.g. ${seen.join('; ')}`)
    }
  }
  const delivered = async () => (await readdir(inbox)).filter((f) => /^[0-9a-f-]{36}\.xml$/.test(f)).map((f) => f.slice(0, 36))
  const metric = async (line: RegExp) => {
    const text = await (await fetch(`${hub!.url}/metrics`)).text()
    const m = line.exec(text)
    if (!m) throw new Error(`no ${line} in /metrics:\n${text}`)
    return Number(m[1])
  }

  beforeAll(async () => {
    kafka ??= await startOwnKafka()
    await mkdir(inbox, { recursive: true })
    config = loadConfig({
      FACTEUR_KAFKA_BROKERS: kafka.brokers, FACTEUR_SCHEMA_REGISTRY_URL: shared().registryUrl, DATABASE_URL: databaseUrl(),
      FACTEUR_TOPIC_PREFIX: topicPrefix, FACTEUR_HTTP_PORT: '0', FACTEUR_LOG_LEVEL: 'debug', FACTEUR_VALIDATION_WORKERS: '1',
      FACTEUR_DELIVERY_ATTEMPTS: '3', FACTEUR_DELIVERY_BACKOFF_MS: '100', FACTEUR_DROP_ROOT: dropRoot, FACTEUR_SHUTDOWN_TIMEOUT_MS: '20000',
    })
    hub = await startHub({ config, log, keys })
    const registered = await call('PUT', `/v1/directory/participants/0009:${siret}`, { key: keys.admin, body: { name: 'Restart recipient', endpoint: pathToFileURL(inbox).href } })
    expect(registered.status, registered.text).toBe(201)
  }, 240_000)
  afterAll(async () => {
    await hub?.stop()
    log.flush()
    const admin = new URL(shared().databaseUrl)
    admin.pathname = '/postgres'
    const client = new pg.Client({ connectionString: admin.toString() })
    await client.connect()
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {})
    await client.end()
  }, 60_000)

  test('documents before a stop stay queryable, documents posted as it stops and after the restart are all delivered', async () => {
    const before = await Promise.all(Array.from({ length: 5 }, post))
    await waitAll(before, 'MISE_A_DISPOSITION', 60_000)
    // Posted just before the stop: some are still on their way through the stages when the hub stops.
    const inFlight = await Promise.all(Array.from({ length: 5 }, post))
    await hub!.stop()
    hub = await startHub({ config, log, keys })
    const after = await Promise.all(Array.from({ length: 5 }, post))
    await waitAll([...inFlight, ...after], 'MISE_A_DISPOSITION', 90_000)
    for (const id of before) expect(await statusOf(id)).toBe('MISE_A_DISPOSITION')
    expect((await delivered()).sort()).toEqual([...before, ...inFlight, ...after].sort())
    // The same numbers from outside: every document of this database is delivered, the outbox is empty.
    expect(await metric(/^facteur_documents\{status="MISE_A_DISPOSITION"\} (\d+)$/m)).toBe(15)
    expect(await metric(/^facteur_outbox_pending (\d+)$/m)).toBe(0)
  }, 240_000)

  test('the broker killed -9 mid-flow and restarted: every accepted document reaches MISE_A_DISPOSITION', async () => {
    const outageMs = Number(process.env.FACTEUR_TEST_OUTAGE_MS ?? 10_000)
    const ids: string[] = []
    const posting = (async () => { for (let i = 0; i < 30; i++) { ids.push(await post()); await sleep(100) } })()
    while (ids.length < 10) await sleep(50)
    await killKafka()
    // During the outage the gateway still accepts (PostgreSQL is up): the events wait in the outbox, and
    // /readyz says so.
    await sleep(Math.min(outageMs, 5_000))
    const ready = await call('GET', '/readyz')
    expect(ready.status).toBe(503)
    expect(ready.json.failures.kafka ?? ready.json.failures.outbox).toBeTruthy()
    await sleep(Math.max(0, outageMs - 5_000))
    await posting
    expect(await metric(/^facteur_outbox_pending (\d+)$/m)).toBeGreaterThan(0)
    await startOwnKafka()
    await waitAll(ids, 'MISE_A_DISPOSITION', 180_000)
    expect(await delivered()).toEqual(expect.arrayContaining(ids))
    // Once the relay has caught up, readiness comes back by itself (receipts may still be flowing: wait for quiet).
    let again = await call('GET', '/readyz')
    for (let i = 0; i < 120 && !(again.status === 200 && again.json.outbox.pending === 0); i++) { await sleep(500); again = await call('GET', '/readyz') }
    expect(again.status, again.text).toBe(200)
    expect(again.json.outbox).toEqual({ pending: 0, oldestPendingSeconds: 0, setAside: 0 })
  }, 300_000)

  test('a service run alone stops within FACTEUR_SHUTDOWN_TIMEOUT_MS on SIGTERM although Kafka is down, and says what was pending', async () => {
    const timeoutMs = 4_000
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'services/ingest/main.ts')], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FACTEUR_KAFKA_BROKERS: kafka!.brokers, FACTEUR_SCHEMA_REGISTRY_URL: shared().registryUrl, DATABASE_URL: databaseUrl(),
        FACTEUR_TOPIC_PREFIX: topicPrefix, FACTEUR_HEALTH_PORT: '0', FACTEUR_LOG_LEVEL: 'info', FACTEUR_SHUTDOWN_TIMEOUT_MS: String(timeoutMs) },
    })
    let output = ''
    child.stdout!.on('data', (d) => { output += d })
    child.stderr!.on('data', (d) => { output += d })
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    try {
      for (let i = 0; i < 1200 && !/"msg":"consuming"/.test(output); i++) await sleep(100)
      expect(output).toMatch(/"msg":"consuming"/)
      await killKafka()
      const t0 = Date.now()
      child.kill('SIGTERM')
      const code = await exited
      const took = Date.now() - t0
      // Within the deadline and a little (the process's own exit); either it finished or it names what was pending.
      expect(took).toBeLessThan(timeoutMs + 3_000)
      expect(output).toMatch(/"msg":"stopping: finishing in-flight work"/)
      if (code === 0) expect(output).toMatch(/"msg":"stopped"/)
      else expect(output).toMatch(/"pending":"[^"]+".*"msg":"shutdown deadline passed/)
    } finally {
      child.kill('SIGKILL')
    }
  }, 180_000)
})
