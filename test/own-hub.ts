// A hub of a test file's own, for settings the shared hub of test/setup.ts does not have (short delivery
// timeouts and leases, small concurrency): the shared broker and registry, its own topic prefix and its own
// database (so its partners, keys and jobs never meet the shared hub's), dropped at the end.
import { expect, inject } from 'vitest'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { loadConfig, type Config } from '../services/kit/config.js'
import { createLogger } from '../services/kit/log.js'
import { startHub } from '../services/hub/hub.js'
import { fixture, randomSiret, withBuyerAddress } from './helpers.js'

const FIXTURE_BUYER = '21750001600019'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))

export type OwnHub = {
  url: string; keys: { demo: string; admin: string }; config: Config; databaseUrl: string; topicPrefix: string; env: Record<string, string>
  api(method: string, path: string, options?: { key?: string; body?: Buffer | object; headers?: Record<string, string> }): Promise<{ status: number; json: any; text: string }>
  waitForStatus(id: string, statuses: string[], timeoutMs?: number): Promise<any>
  /** A B2B recipient at a fresh SIRET delivering to `endpoint`; its SIRET. */
  newRecipient(endpoint: string): Promise<string>
  /** The UBL fixture addressed to the recipient `siret`, posted and accepted (202); the document id. */
  postInvoice(siret: string): Promise<string>
  db<T>(work: (client: pg.Client) => Promise<T>): Promise<T>
  stop(): Promise<void>
}

export async function startOwnHub(name: string, settings: Record<string, string>): Promise<OwnHub> {
  const shared = inject('hub')
  const run = `${name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
  const database = `facteur_${run.replaceAll('-', '_')}`
  const dbUrl = new URL(shared.databaseUrl)
  dbUrl.pathname = `/${database}`
  const env: Record<string, string> = {
    FACTEUR_KAFKA_BROKERS: shared.kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: shared.registryUrl, DATABASE_URL: dbUrl.toString(),
    FACTEUR_TOPIC_PREFIX: run, FACTEUR_HTTP_PORT: '0', FACTEUR_LOG_LEVEL: 'debug', FACTEUR_VALIDATION_WORKERS: '1',
    FACTEUR_DELIVERY_ALLOWED_HOSTS: '127.0.0.1', FACTEUR_DROP_ROOT: tmpdir(),
    FACTEUR_RATE_LIMIT_PER_SECOND: '100000', FACTEUR_RATE_LIMIT_BURST: '100000',
    ...settings,
  }
  const config = loadConfig(env)
  const keys = { demo: `fct_${randomBytes(24).toString('base64url')}`, admin: `fct_${randomBytes(24).toString('base64url')}` }
  const log = createLogger('debug', { run }, join(root, '.facteur', 'test', 'logs', `hub-${run}.log`))
  const hub = await startHub({ config, log, keys })

  const api: OwnHub['api'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? keys.demo}`, ...(options.headers ?? {}) }
    let body: Buffer | string | undefined
    if (Buffer.isBuffer(options.body)) { body = options.body; headers['content-type'] ??= 'application/xml' }
    else if (options.body !== undefined) { body = JSON.stringify(options.body); headers['content-type'] = 'application/json' }
    const res = await fetch(hub.url + path, { method, headers, body })
    const text = await res.text()
    let json: any = null
    try { json = JSON.parse(text) } catch { /* not JSON */ }
    return { status: res.status, json, text }
  }
  const waitForStatus: OwnHub['waitForStatus'] = async (id, statuses, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs
    let last: any = null
    while (Date.now() < deadline) {
      const res = await api('GET', `/v1/documents/${id}`)
      last = res.json
      if (res.status === 200 && statuses.includes(last.status)) return last
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`document ${id} did not reach ${statuses.join('|')} within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`)
  }
  const newRecipient: OwnHub['newRecipient'] = async (endpoint) => {
    const siret = randomSiret()
    const registered = await api('PUT', `/v1/directory/participants/0009:${siret}`, { key: keys.admin, body: { name: `${name} test recipient`, endpoint } })
    expect(registered.status, registered.text).toBe(201)
    return siret
  }
  const postInvoice: OwnHub['postInvoice'] = async (siret) => {
    const posted = await api('POST', '/v1/documents', { body: withBuyerAddress(await fixture('ubl-invoice.xml'), FIXTURE_BUYER, siret) })
    expect(posted.status, posted.text).toBe(202)
    return posted.json.id as string
  }
  const db: OwnHub['db'] = async (work) => {
    const client = new pg.Client({ connectionString: dbUrl.toString() })
    await client.connect()
    try { return await work(client) } finally { await client.end() }
  }
  return {
    url: hub.url, keys, config, databaseUrl: dbUrl.toString(), topicPrefix: run, env, api, waitForStatus, newRecipient, postInvoice, db,
    async stop() {
      await hub.stop()
      log.flush()
      const admin = new URL(shared.databaseUrl)
      admin.pathname = '/postgres'
      const client = new pg.Client({ connectionString: admin.toString() })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {})
      await client.end()
    },
  }
}
