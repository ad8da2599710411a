// What the integration tests do as outsiders: call the HTTP API, watch a document's status, read a topic.
import { inject } from 'vitest'
import { readFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { randomUUID } from 'node:crypto'
import pg from 'pg'

export const hub = () => inject('hub')

const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url))
export const fixture = (name: string) => readFile(join(fixturesDir, name))
export type FixtureEntry = { file: string; syntax?: string; buyer?: string; expect: { outcome: string; fatal?: string[]; warning?: string[] }; note?: string }
export const fixtureManifest = async (): Promise<FixtureEntry[]> => JSON.parse(await readFile(join(fixturesDir, 'manifest.json'), 'utf8'))

export async function api(method: string, path: string, options: { key?: string | null; body?: Buffer | string | object; contentType?: string; headers?: Record<string, string> } = {}) {
  const key = options.key === undefined ? hub().demoKey : options.key
  const headers: Record<string, string> = { ...(options.headers ?? {}) }
  if (key) headers.authorization = `Bearer ${key}`
  let body: Buffer | string | undefined
  if (Buffer.isBuffer(options.body) || typeof options.body === 'string') {
    body = options.body
    headers['content-type'] = options.contentType ?? 'application/xml'
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] = options.contentType ?? 'application/json'
  }
  const res = await fetch(hub().url + path, { method, headers, body })
  const text = await res.text()
  let json: any = null
  try { json = JSON.parse(text) } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text }
}

export const postDocument = (body: Buffer | string, options: { key?: string | null; idempotencyKey?: string; contentType?: string } = {}) =>
  api('POST', '/v1/documents', { key: options.key, body, contentType: options.contentType, headers: options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {} })

export const getDocument = (id: string, key?: string | null) => api('GET', `/v1/documents/${id}`, { key })

/** Polls the document until its status is one of `statuses` (or fails saying where it stopped). */
export async function waitForStatus(id: string, statuses: string[], timeoutMs = 60_000, key?: string): Promise<any> {
  const deadline = Date.now() + timeoutMs
  let last: any = null
  while (Date.now() < deadline) {
    const res = await getDocument(id, key)
    last = res.json
    if (res.status === 200 && statuses.includes(last.status)) return last
    await new Promise((r) => setTimeout(r, 150))
  }
  throw new Error(`document ${id} did not reach ${statuses.join('|')} within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`)
}

/** A fresh recipient folder and its file: endpoint. */
export async function dropFolder(): Promise<{ dir: string; endpoint: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'facteur-recipient-'))
  return { dir, endpoint: pathToFileURL(dir).href }
}

export const registerParticipant = (address: string, endpoint: string, name = 'Test recipient') =>
  api('PUT', `/v1/directory/participants/${address}`, { key: hub().adminKey, body: { name, endpoint } })

/**
 * A fixture addressed to the test's own recipient: the buyer SIRET (or address) is replaced everywhere, and
 * the invoice number (BT-1) gets a unique suffix, since the hub rejects a second delivery of one number.
 */
export function withBuyerAddress(xml: Buffer, from: string, to: string): Buffer {
  const text = xml.toString('utf8')
  if (!text.includes(from)) throw new Error(`fixture does not contain ${from}`)
  return withInvoiceNumber(Buffer.from(text.split(from).join(to)))
}

/** The fixtures' seller SIRET (BT-30, BT-34), replaced by `siret`: a partner sends from its own addresses. */
export const FIXTURE_SELLER = '73282932000074'
export function withSellerSiret(xml: Buffer, siret: string): Buffer {
  const text = xml.toString('utf8')
  if (!text.includes(FIXTURE_SELLER)) throw new Error(`fixture does not contain the seller SIRET ${FIXTURE_SELLER}`)
  return Buffer.from(text.split(FIXTURE_SELLER).join(siret))
}

/** The document with its invoice number (BT-1) suffixed, or set to `number`. */
export function withInvoiceNumber(xml: Buffer, number?: string): Buffer {
  const text = xml.toString('utf8')
  const bt1 = /(<cbc:ID>)([^<]*)(<\/cbc:ID>)|(<rsm:ExchangedDocument>\s*<ram:ID>)([^<]*)(<\/ram:ID>)/
  const m = bt1.exec(text)
  if (!m) throw new Error('no invoice number (BT-1) found')
  const current = m[2] ?? m[5]!
  const next = number ?? `${current}-${randomUUID().slice(0, 8)}`
  return Buffer.from(text.replace(bt1, (_all, a, _b, c, d, _e, f) => (a ? `${a}${next}${c}` : `${d}${next}${f}`)))
}

/** A fresh, valid-looking SIRET (14 digits, Luhn key correct) for a test's own recipient. */
export { randomSiret } from './siret.js'

export async function withDb<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: hub().databaseUrl })
  await client.connect()
  try { return await work(client) } finally { await client.end() }
}

export const uniqueId = () => randomUUID()
