// Scaling out on Kafka (issue 11 §3): every service as its own process, two instances of each consumer
// service sharing its consumer group, on the shared broker and registry with a topic prefix and database of
// the test's own. Invoices flow while one instance of every consumer service is stopped (SIGTERM) and a new
// validation instance joins: each accepted invoice reaches MISE_A_DISPOSITION and the recipient receives it
// exactly once.
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createDb, ensureDatabase, migrate } from '../services/kit/db.js'
import { upsertPrincipal } from '../services/gateway/api-keys.js'
import { DEMO_SELLERS } from '../services/hub/hub.js'
import { freePort } from '../services/hub/local/processes.js'
import { fixture, randomSiret, withBuyerAddress } from './helpers.js'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const CONSUMERS = ['ingest', 'validation', 'routing', 'status', 'forwarder'] as const
const FIXTURE_BUYER = '21750001600019'

type Instance = { name: string; child: ChildProcess; log: string }

describe('two instances of every consumer service', () => {
  const run = `scale-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`
  const shared = inject('hub')
  const dbUrl = new URL(shared.databaseUrl)
  dbUrl.pathname = `/facteur_${run.replaceAll('-', '_')}`
  const keys = { demo: `fct_${randomBytes(24).toString('base64url')}`, admin: `fct_${randomBytes(24).toString('base64url')}` }
  const logDir = join(root, '.facteur', 'test', 'logs', run)
  const instances: Instance[] = []
  let gateway = ''
  let env: Record<string, string> = {}

  // The recipient: counts what it receives per document.
  const received = new Map<string, number>()
  const receiver = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const id = String(req.headers['x-facteur-document-id'] ?? '')
      received.set(id, (received.get(id) ?? 0) + 1)
      res.writeHead(200).end()
    })
  })

  const start = (name: string): Instance => {
    const log = join(logDir, `${name}-${instances.filter((i) => i.name === name).length + 1}.log`)
    const out = openSync(log, 'a')
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'services', name, 'main.ts')], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', out, out] })
    closeSync(out)
    const instance = { name, child, log }
    instances.push(instance)
    return instance
  }
  /** Resolves once the instance logged `message` (its consumers joined their groups: 'consuming'). */
  const logged = async (instance: Instance, message: string, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const lines = readFileSync(instance.log, 'utf8').split('\n').filter(Boolean)
      if (lines.some((l) => l.includes(`"msg":"${message}"`))) return
      if (instance.child.exitCode !== null) throw new Error(`${instance.name} exited (${instance.child.exitCode}); see ${instance.log}`)
      await sleep(200)
    }
    throw new Error(`${instance.name} did not log '${message}' within ${timeoutMs} ms; its log ends with: ${readFileSync(instance.log, 'utf8').slice(-1500) || '(nothing)'}`)
  }
  const stopped = (instance: Instance) => new Promise<number | null>((r) => {
    if (instance.child.exitCode !== null) r(instance.child.exitCode)
    else instance.child.once('exit', (code) => r(code))
  })

  beforeAll(async () => {
    mkdirSync(logDir, { recursive: true })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    const port = await freePort()
    gateway = `http://127.0.0.1:${port}`
    env = {
      FACTEUR_KAFKA_BROKERS: shared.kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: shared.registryUrl, DATABASE_URL: dbUrl.toString(),
      FACTEUR_TOPIC_PREFIX: run, FACTEUR_HTTP_PORT: String(port), FACTEUR_HEALTH_PORT: '0', FACTEUR_LOG_LEVEL: 'info',
      FACTEUR_VALIDATION_WORKERS: '1', FACTEUR_DELIVERY_ALLOWED_HOSTS: '127.0.0.1', FACTEUR_TOPIC_PARTITIONS: '4',
      FACTEUR_RATE_LIMIT_PER_SECOND: '100000', FACTEUR_RATE_LIMIT_BURST: '100000',
    }
    // What `npm start` seeds before the services start: the schema, a partner key bound to the fixtures' seller, the admin key.
    await ensureDatabase(dbUrl.toString())
    const db = createDb(dbUrl.toString())
    await migrate(db)
    await upsertPrincipal(db, 'demo', 'partner', keys.demo, { sellers: DEMO_SELLERS })
    await upsertPrincipal(db, 'admin', 'admin', keys.admin)
    await db.end()
    // The gateway first (it creates the topics), then two instances of each consumer service.
    const gw = start('gateway')
    await logged(gw, 'gateway listening')
    const consumers = CONSUMERS.flatMap((name) => [start(name), start(name)])
    // Up once its health endpoints are: every consumer of the service runs, and SIGTERM is handled from then
    // on (service-main.ts); a SIGTERM before that ends a starting process without a graceful stop.
    await Promise.all(consumers.map((c) => logged(c, 'health endpoints up')))
  }, 300_000)

  afterAll(async () => {
    for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGTERM')
    await Promise.all(instances.map((i) => Promise.race([stopped(i), sleep(30_000).then(() => i.child.kill('SIGKILL'))])))
    receiver.close()
    const admin = new URL(shared.databaseUrl)
    admin.pathname = '/postgres'
    const client = new pg.Client({ connectionString: admin.toString() })
    await client.connect()
    await client.query(`DROP DATABASE IF EXISTS ${dbUrl.pathname.slice(1)} WITH (FORCE)`).catch(() => {})
    await client.end()
  }, 120_000)

  test('every accepted invoice is delivered exactly once while an instance of each service stops and one joins', async () => {
    const call = (method: string, path: string, key: string, body?: Buffer | object) => fetch(`${gateway}${path}`, {
      method, body: Buffer.isBuffer(body) ? body : body ? JSON.stringify(body) : undefined,
      headers: { authorization: `Bearer ${key}`, 'content-type': Buffer.isBuffer(body) ? 'application/xml' : 'application/json' },
    })
    const siret = randomSiret()
    const registered = await call('PUT', `/v1/directory/participants/0009:${siret}`, keys.admin, { name: 'Scale-out recipient', endpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/inbox` })
    expect(registered.status, await registered.text()).toBe(201)
    const template = (await fixture('ubl-invoice.xml')).toString('utf8')
    const invoice = (i: number) => withBuyerAddress(Buffer.from(template.replace('<cbc:ID>FCT-2026-0001</cbc:ID>', `<cbc:ID>${run}-${i}</cbc:ID>`)), FIXTURE_BUYER, siret)

    const ids: string[] = []
    const post = async (i: number) => {
      const res = await call('POST', '/v1/documents', keys.demo, invoice(i))
      expect(res.status).toBe(202)
      ids.push(((await res.json()) as { id: string }).id)
    }
    const N = 90
    for (let i = 0; i < N; i++) {
      await post(i)
      if (i === 30) {
        // One instance of every consumer service stops mid-run (finishing and committing what it holds); its
        // partitions go to the other instance in the rebalance.
        const leaving = CONSUMERS.map((name) => instances.find((x) => x.name === name && x.child.exitCode === null)!)
        for (const x of leaving) x.child.kill('SIGTERM')
        expect(await Promise.all(leaving.map(stopped))).toEqual(leaving.map(() => 0))
      }
      if (i === 60) start('validation') // a new instance joins: another rebalance
      await sleep(50)
    }

    const deadline = Date.now() + 180_000
    let statuses: Record<string, number> = {}
    while (Date.now() < deadline) {
      const client = new pg.Client({ connectionString: dbUrl.toString() })
      await client.connect()
      const { rows } = await client.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM documents WHERE id = ANY($1::uuid[]) GROUP BY status', [ids])
      await client.end()
      statuses = Object.fromEntries(rows.map((r) => [r.status, r.n]))
      if (statuses.MISE_A_DISPOSITION === N) break
      await sleep(500)
    }
    expect(statuses).toEqual({ MISE_A_DISPOSITION: N })
    expect(ids.filter((id) => received.get(id) !== 1).map((id) => ({ id, received: received.get(id) ?? 0 }))).toEqual([])
    expect(received.size).toBe(N)
  }, 400_000)
})
