// Crash benchmark: `npm run bench:chaos [-- --n 2000 --kills 2 --concurrency 8]`. Not a timed test: it prints
// numbers. Starts the hub as `npm start` does (a child process group, its own run dir .facteur/chaos, topic
// prefix and database), registers a local HTTP receiver as recipient, posts N invoices with client retries
// (the same Idempotency-Key on every retry), kills the whole hub process group with SIGKILL K times while they
// flow, restarts it each time, waits for quiescence and prints: accepted, final, delivered, LOST (accepted and
// never delivered), duplicate deliveries and whether each duplicate carried the same Idempotency-Key.
import { parseArgs } from 'node:util'
import type { ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { randomSiret } from '../test/siret.js'
import { root, startBenchHub, startReceiver, type Delivery } from './bench-hub.js'

const { values } = parseArgs({ options: {
  n: { type: 'string', default: '2000' }, kills: { type: 'string', default: '2' }, concurrency: { type: 'string', default: '8' },
  'quiet-ms': { type: 'string', default: '20000' }, 'timeout-s': { type: 'string', default: '1200' }, keep: { type: 'boolean', default: false },
} })
const N = Number(values.n)
const KILLS = Number(values.kills)
const CONCURRENCY = Number(values.concurrency)
for (const [name, v] of [['--n', N], ['--kills', KILLS], ['--concurrency', CONCURRENCY]] as const) {
  if (!Number.isInteger(v) || v < (name === '--kills' ? 0 : 1)) { console.error(`${name} takes a whole number`); process.exit(2) }
}

const say = (line: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
const started = Date.now()

// ---- the recipient (records every delivery) and the hub, as `npm start` runs it (bench-hub.ts) ----
const receiver = await startReceiver()
const deliveries = receiver.deliveries
const receiverUrl = receiver.url
const bench = await startBenchHub('chaos')
const { gateway, keys, topicPrefix, runDir } = bench
const stamp = topicPrefix.slice('chaos-'.length)
let hub: ChildProcess | null = null
let generation = 0
const startHub = () => { generation++; return bench.start() }
const waitReady = () => bench.waitReady()
const killHub = () => bench.kill()

say(`run dir ${runDir}, topic prefix ${topicPrefix}, database ${new URL(bench.databaseUrl).pathname.slice(1)}, gateway ${gateway}, receiver ${receiverUrl}`)
hub = startHub()
say(`hub started (generation 1); ready in ${((await waitReady()) / 1000).toFixed(1)} s`)

const call = (method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gateway}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(30_000) })

// A B2B recipient at a fresh SIRET, delivering to the receiver.
const buyer = randomSiret()
const registered = await call('PUT', `/v1/directory/participants/0009:${buyer}`, keys.admin, { name: 'Chaos receiver', endpoint: receiverUrl })
if (registered.status >= 300) throw new Error(`registering the receiver failed: ${registered.status} ${await registered.text()}`)

// ---- the invoices: the fixture with our buyer and a unique invoice number (BT-1) each ----
const template = (await readFile(join(root, 'test', 'fixtures', 'ubl-invoice.xml'), 'utf8')).split('21750001600019').join(buyer)
const invoice = (i: number) => Buffer.from(template.replace(/(<cbc:ID>)([^<]*)(<\/cbc:ID>)/, (_m, a, b, c) => `${a}${b}-${stamp}-${i}${c}`))

type Post = { key: string; id: string | null; attempts: number; gaveUp: boolean }
const posts: Post[] = []
let posted = 0
let retries = 0
async function postOne(i: number): Promise<void> {
  const p: Post = { key: randomUUID(), id: null, attempts: 0, gaveUp: false }
  posts.push(p)
  const body = invoice(i)
  const deadline = Date.now() + 600_000
  while (Date.now() < deadline) {
    p.attempts++
    const res = await fetch(`${gateway}/v1/documents`, {
      method: 'POST', body, signal: AbortSignal.timeout(30_000),
      headers: { authorization: `Bearer ${keys.demo}`, 'content-type': 'application/xml', 'idempotency-key': p.key },
    }).catch(() => null)
    if (res && res.status === 202) { p.id = (await res.json() as { id: string }).id; posted++; return }
    if (res && res.status < 500 && res.status !== 429 && res.status !== 408) throw new Error(`deposit ${i} refused: ${res.status} ${await res.text()}`)
    await res?.text().catch(() => {})
    retries++
    // Same body, same Idempotency-Key: a deposit committed before a crash comes back as the same document.
    await sleep(250 + Math.random() * 500)
  }
  p.gaveUp = true
}

// ---- post while killing ----
const killAt = Array.from({ length: KILLS }, (_, k) => Math.floor((N * (k + 1)) / (KILLS + 1)))
const outages: { at: number; posted: number; readyAfterMs: number }[] = []
let next = 0
const workers = Array.from({ length: CONCURRENCY }, async () => {
  for (let i = next++; i < N; i = next++) await postOne(i)
})
const chaos = (async () => {
  for (const threshold of killAt) {
    while (posted < threshold) await sleep(20)
    const before = posted
    killHub()
    const t0 = Date.now()
    say(`killed the hub's process group with SIGKILL after ${before} accepted deposits`)
    await new Promise<void>((r) => { if (hub!.exitCode !== null || hub!.signalCode !== null) r(); else hub!.once('exit', () => r()) })
    hub = startHub()
    await waitReady()
    outages.push({ at: t0 - started, posted: before, readyAfterMs: Date.now() - t0 })
    say(`hub restarted (generation ${generation}); ready ${((Date.now() - t0) / 1000).toFixed(1)} s after the kill`)
  }
})()
await Promise.all([...workers, chaos])
const postedAt = Date.now()
say(`${posted} deposits accepted (${retries} client retries); waiting for quiescence`)

// ---- quiescence: every accepted document final, and nothing new delivered for quiet-ms ----
const finals = ['MISE_A_DISPOSITION', 'REJETEE', 'A_RECYCLER', 'ECHEC_DISTRIBUTION', 'EN_ERREUR']
const db = new pg.Client({ connectionString: bench.databaseUrl })
await db.connect()
const acceptedIds = posts.filter((p) => p.id).map((p) => p.id!)
let lastChange = Date.now()
let lastSeen = ''
const quietMs = Number(values['quiet-ms'])
const timeoutAt = Date.now() + Number(values['timeout-s']) * 1000
let byStatus: Record<string, number> = {}
for (;;) {
  const { rows } = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM documents WHERE id = ANY($1::uuid[]) GROUP BY status', [acceptedIds])
  byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]))
  const seen = `${JSON.stringify(byStatus)}|${deliveries.length}`
  if (seen !== lastSeen) { lastSeen = seen; lastChange = Date.now() }
  const final = rows.filter((r) => finals.includes(r.status)).reduce((s, r) => s + r.n, 0)
  if (final === acceptedIds.length && Date.now() - lastChange >= quietMs) break
  if (Date.now() > timeoutAt) { say('timed out waiting for quiescence'); break }
  await sleep(1_000)
}
const quietAt = Date.now()

// ---- the numbers ----
const byDoc = new Map<string, Delivery[]>()
for (const d of deliveries) byDoc.set(d.documentId, [...(byDoc.get(d.documentId) ?? []), d])
const accepted = new Set(acceptedIds)
const lost = acceptedIds.filter((id) => !byDoc.has(id))
const duplicates = [...byDoc].filter(([, ds]) => ds.length > 1)
const sameKey = duplicates.filter(([, ds]) => ds.every((d) => d.idempotencyKey === ds[0]!.idempotencyKey))
const unknown = [...byDoc.keys()].filter((id) => !accepted.has(id))
const { rows: [stored] } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM documents')
const lostStatuses = lost.length ? (await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM documents WHERE id = ANY($1::uuid[]) GROUP BY status', [lost])).rows : []
const final = Object.entries(byStatus).filter(([s]) => finals.includes(s)).reduce((s, [, n]) => s + n, 0)
const summary = {
  n: N, kills: KILLS, concurrency: CONCURRENCY,
  accepted: acceptedIds.length, gaveUp: posts.filter((p) => p.gaveUp).length, clientRetries: retries, storedDocuments: stored!.n,
  reachedFinalStatus: final, byStatus,
  delivered: byDoc.size, deliveriesReceived: deliveries.length,
  LOST: lost.length, lostByStatus: Object.fromEntries(lostStatuses.map((r) => [r.status, r.n])),
  duplicateDeliveries: duplicates.reduce((s, [, ds]) => s + ds.length - 1, 0), documentsDeliveredMoreThanOnce: duplicates.length,
  duplicatesWithSameIdempotencyKey: sameKey.length, duplicatesWithDifferentKey: duplicates.length - sameKey.length,
  deliveriesOfUnknownDocuments: unknown.length,
  outages: outages.map((o) => ({ killedAfterSeconds: +(o.at / 1000).toFixed(1), acceptedBeforeKill: o.posted, readyAgainAfterSeconds: +(o.readyAfterMs / 1000).toFixed(1) })),
  secondsPosting: +((postedAt - started) / 1000).toFixed(1), secondsToQuiescence: +((quietAt - postedAt - (final === acceptedIds.length ? quietMs : 0)) / 1000).toFixed(1),
}
console.log(JSON.stringify(summary, null, 2))
console.log([
  '',
  `accepted                 ${summary.accepted} of ${N} (client retries ${retries}, gave up ${summary.gaveUp})`,
  `reached a final status   ${final} ${JSON.stringify(byStatus)}`,
  `delivered                ${byDoc.size} documents (${deliveries.length} deliveries received)`,
  `LOST                     ${lost.length}${lost.length ? ` (now ${JSON.stringify(summary.lostByStatus)}; e.g. ${lost.slice(0, 3).join(', ')})` : ''}`,
  `duplicate deliveries     ${summary.duplicateDeliveries} over ${duplicates.length} documents; same Idempotency-Key on every copy: ${sameKey.length}, different: ${duplicates.length - sameKey.length}`,
  `kills                    ${outages.map((o) => `after ${o.posted} accepted, ready again in ${(o.readyAfterMs / 1000).toFixed(1)} s`).join('; ') || 'none'}`,
].join('\n'))

// ---- stop: the hub gracefully (SIGTERM), then the receiver; the database is dropped unless --keep ----
await db.end()
await bench.stop({ keep: values.keep })
receiver.close()
if (values.keep) say(`kept: database ${new URL(bench.databaseUrl).pathname.slice(1)}, run dir ${runDir}`)
process.exit(0)
