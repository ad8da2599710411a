// `kill -9` of the hub mid-flow (issue 10 §1): the hub runs as `npm start` runs it (services/hub/main.ts in a
// process group of its own) on the test's Kafka, registry and a database of its own; it is killed with SIGKILL
// while invoices flow, started again, and every accepted invoice is delivered, the same bytes under the same
// Idempotency-Key. bench/chaos.ts does the same at scale and counts duplicates.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { fixture, hub as shared, randomSiret, withBuyerAddress } from './helpers.js'
import { freePort } from '../services/hub/local/processes.js'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))

describe('the hub killed with SIGKILL mid-flow', () => {
  const stamp = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`
  const database = `facteur_crash_${stamp}`
  const keys = { demo: `fct_${randomBytes(24).toString('base64url')}`, admin: `fct_${randomBytes(24).toString('base64url')}` }
  const siret = randomSiret()
  const received: { id: string; key: string; sha: string }[] = []
  let receiver: http.Server
  let runDir: string
  let gateway: string
  let env: NodeJS.ProcessEnv
  let child: ChildProcess | null = null
  let generation = 0

  const databaseUrl = () => { const u = new URL(shared().databaseUrl); u.pathname = `/${database}`; return u.toString() }
  const adminQuery = async (sql: string) => {
    const u = new URL(shared().databaseUrl); u.pathname = '/postgres'
    const c = new pg.Client({ connectionString: u.toString() }); await c.connect()
    try { await c.query(sql) } finally { await c.end() }
  }
  const start = async () => {
    generation++
    const out = openSync(join(runDir, 'logs', `hub-${generation}.log`), 'a')
    child = spawn(process.execPath, ['--import', 'tsx', join(root, 'services/hub/main.ts')], { cwd: root, env, stdio: ['ignore', out, out], detached: true })
    closeSync(out)
    for (let i = 0; i < 600; i++) {
      const res = await fetch(`${gateway}/readyz`).catch(() => null)
      if (res?.status === 200) return
      if (child.exitCode !== null) throw new Error(`the hub exited with ${child.exitCode}; see ${runDir}/logs/hub-${generation}.log`)
      await sleep(250)
    }
    throw new Error(`the hub was not ready in 150 s; see ${runDir}/logs/hub-${generation}.log`)
  }
  const kill = async () => {
    const c = child!
    process.kill(-c.pid!, 'SIGKILL')
    if (c.exitCode === null && c.signalCode === null) await new Promise((r) => c.once('exit', r))
  }
  const call = (method: string, path: string, key: string, body?: Buffer | object, headers: Record<string, string> = {}) =>
    fetch(`${gateway}${path}`, {
      method, body: Buffer.isBuffer(body) ? body : body ? JSON.stringify(body) : undefined,
      headers: { authorization: `Bearer ${key}`, 'content-type': Buffer.isBuffer(body) ? 'application/xml' : 'application/json', ...headers },
    })
  /** Posts until accepted, with one Idempotency-Key for all its retries (the hub may be down in between). */
  const post = async (i: number) => {
    const xml = withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret)
    const key = `crash-${stamp}-${i}`
    for (let attempt = 0; attempt < 400; attempt++) {
      const res = await call('POST', '/v1/documents', keys.demo, xml, { 'idempotency-key': key }).catch(() => null)
      if (res?.status === 202) return ((await res.json()) as { id: string }).id
      await sleep(250)
    }
    throw new Error(`invoice ${i} was never accepted`)
  }

  beforeAll(async () => {
    await adminQuery(`CREATE DATABASE ${database}`)
    runDir = await mkdtemp(join(root, '.facteur', 'test', 'crash-'))
    mkdirSync(join(runDir, 'logs'), { recursive: true })
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        received.push({ id: String(req.headers['x-facteur-document-id']), key: String(req.headers['idempotency-key']), sha: Buffer.concat(chunks).toString('base64').slice(0, 40) })
        res.writeHead(200).end()
      })
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    gateway = `http://127.0.0.1:${await freePort()}`
    env = {
      ...process.env,
      // All three set: the hub uses them as they are (infra mode "external") and provisions nothing.
      FACTEUR_KAFKA_BROKERS: shared().kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: shared().registryUrl, DATABASE_URL: databaseUrl(),
      FACTEUR_RUN_DIR: runDir, FACTEUR_TOPIC_PREFIX: `crash-${stamp}`, FACTEUR_HTTP_PORT: new URL(gateway).port,
      FACTEUR_DEMO_API_KEY: keys.demo, FACTEUR_ADMIN_API_KEY: keys.admin, FACTEUR_VALIDATION_WORKERS: '1',
      FACTEUR_DELIVERY_ALLOWED_HOSTS: '127.0.0.1', FACTEUR_DELIVERY_BACKOFF_MS: '100', FACTEUR_DELIVERY_LEASE_MS: '20000',
    }
    await start()
    const put = await call('PUT', `/v1/directory/participants/0009:${siret}`, keys.admin, { name: 'Crash recipient', endpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in` })
    expect(put.status).toBe(201)
  }, 240_000)

  afterAll(async () => {
    if (child && child.exitCode === null) await kill().catch(() => {})
    receiver?.close()
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {})
  }, 60_000)

  test('every invoice accepted before, during and after the kill is delivered, under its own document id as key', async () => {
    const ids: string[] = []
    const posting = (async () => { for (let i = 0; i < 24; i++) ids.push(await post(i)) })()
    while (ids.length < 8) await sleep(50)
    await kill()
    await sleep(1_000)
    await start()
    await posting
    expect(new Set(ids).size).toBe(24)
    const deadline = Date.now() + 150_000
    const deliveredIds = () => new Set(received.map((r) => r.id))
    while (Date.now() < deadline && !ids.every((id) => deliveredIds().has(id))) await sleep(500)
    expect(ids.filter((id) => !deliveredIds().has(id)), `not delivered; logs in ${runDir}/logs`).toEqual([])
    // At-least-once: a copy delivered twice (an attempt cut by the kill) carries the same key and the same bytes.
    for (const r of received) expect(r.key).toBe(r.id)
    const byId = new Map<string, Set<string>>()
    for (const r of received) byId.set(r.id, (byId.get(r.id) ?? new Set()).add(r.sha))
    for (const [id, shas] of byId) expect(shas.size, id).toBe(1)
    // And each document says so.
    const statuses = async () => Promise.all(ids.map(async (id) => ((await (await call('GET', `/v1/documents/${id}`, keys.demo)).json()) as { status: string }).status))
    await expect.poll(statuses, { timeout: 60_000, interval: 500 }).toEqual(ids.map(() => 'MISE_A_DISPOSITION'))
  }, 400_000)
})
