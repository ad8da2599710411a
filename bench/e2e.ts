// End-to-end throughput benchmark: `npm run bench:e2e [-- options]`. Not a timed test: it prints numbers.
// Starts the hub as `npm start` does (bench-hub.ts: its own run dir, topic prefix and database), registers a
// local HTTP receiver as the recipient of every invoice, and runs
//   (a) a fixed offered rate (open loop: each deposit leaves at its scheduled time, whatever the earlier ones
//       are doing, and its latency counts from that time): HTTP 202 latency, accept → delivered latency (from
//       each document's status history: DEPOSEE → MISE_A_DISPOSITION), errors;
//   (b) a saturation run (closed loop, --clients deposits in flight): sustained delivered per second.
// Both check that every accepted document reached MISE_A_DISPOSITION and was delivered exactly once, and print
// the resident memory of the hub's Node processes at rest and under load. The invoices are UBL, EN 16931 and
// Peppol clean, of about 10 KB (the fixture with --lines invoice lines), each with its own number.
//   --rate 100 --seconds 60           the fixed-rate run
//   --saturate-seconds 60 --clients 32  the saturation run (0 seconds: skipped)
//   --hub-args "--processes --replicas 2"  passed to services/hub/main.ts
//   --env KEY=VALUE,KEY=VALUE         hub settings for this run
//   --profile                          the hub runs with --cpu-prof (profiles in .facteur/bench-e2e/prof) and
//                                      PostgreSQL's pg_stat_statements is read when the server preloads it
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { largeUblInvoice } from '../test/large-invoice.js'
import { randomSiret } from '../test/siret.js'
import { cpuPerDocument, cpuSeconds, nodeRssMb, quantiles, root, startBenchHub, startReceiver } from './bench-hub.js'
import { compiledPath } from '../bin/build.mjs'

const { values } = parseArgs({ options: {
  rate: { type: 'string', default: '100' }, seconds: { type: 'string', default: '60' },
  'saturate-seconds': { type: 'string', default: '60' }, clients: { type: 'string', default: '32' },
  lines: { type: 'string', default: '9' }, 'hub-args': { type: 'string', default: '' }, env: { type: 'string', default: '' },
  profile: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false }, 'drain-timeout-s': { type: 'string', default: '300' },
} })
const RATE = Number(values.rate)
const SECONDS = Number(values.seconds)
const SATURATE = Number(values['saturate-seconds'])
const CLIENTS = Number(values.clients)
const LINES = Number(values.lines)
for (const [name, v] of [['--rate', RATE], ['--seconds', SECONDS], ['--saturate-seconds', SATURATE], ['--clients', CLIENTS], ['--lines', LINES]] as const) {
  if (!Number.isFinite(v) || v < 0) { console.error(`${name} takes a number ≥ 0`); process.exit(2) }
}
const say = (line: string) => process.stderr.write(`[e2e ${new Date().toISOString().slice(11, 19)}] ${line}\n`)

const extraEnv = Object.fromEntries(values.env.split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
if (values.profile) {
  const dir = join('.facteur', 'bench-e2e-prof')
  mkdirSync(dir, { recursive: true })
}
const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${join('.facteur', 'bench-e2e-prof')}`] : []
const compiled = compiledPath(join(root, 'services/hub/main.ts'))
say(compiled ? 'the hub runs compiled (dist/ is current)' : 'the hub runs through tsx: dist/ is missing or older than the sources (npm run build)')
const receiver = await startReceiver()
const hub = await startBenchHub('bench-e2e', extraEnv, values['hub-args'].split(' ').filter(Boolean), nodeArgs)
say(`gateway ${hub.gateway}, topic prefix ${hub.topicPrefix}, receiver ${receiver.url}${values['hub-args'] ? `, hub args ${values['hub-args']}` : ''}`)
hub.start()
say(`hub ready in ${((await hub.waitReady()) / 1000).toFixed(1)} s`)

const db = new pg.Client({ connectionString: hub.databaseUrl })
await db.connect()
const statements = values.profile && await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').then(() => db.query('SELECT pg_stat_statements_reset()')).then(() => true, (e) => { say(`pg_stat_statements unavailable (${e.message}); set shared_preload_libraries = 'pg_stat_statements' on the server to read it`); return false })

const buyer = randomSiret()
const registered = await fetch(`${hub.gateway}/v1/directory/participants/0009:${buyer}`, {
  method: 'PUT', headers: { authorization: `Bearer ${hub.keys.admin}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'Benchmark receiver', endpoint: receiver.url }),
})
if (registered.status >= 300) throw new Error(`registering the receiver failed: ${registered.status} ${await registered.text()}`)

const stamp = randomBytes(3).toString('hex')
const template = largeUblInvoice(LINES, 'BENCH-NUMBER').split('21750001600019').join(buyer)
say(`invoice: UBL, ${LINES} lines, ${Buffer.byteLength(template)} bytes`)
let sequence = 0
const nextInvoice = () => Buffer.from(template.replace('BENCH-NUMBER', `E2E-${stamp}-${++sequence}`))

type Deposit = { id: string | null; status: number; ms: number; acceptedAt: number }
async function deposit(scheduledAt: number): Promise<Deposit> {
  const body = nextInvoice()
  const res = await fetch(`${hub.gateway}/v1/documents`, {
    method: 'POST', body, headers: { authorization: `Bearer ${hub.keys.demo}`, 'content-type': 'application/xml' }, signal: AbortSignal.timeout(60_000),
  }).catch((e: Error) => ({ status: 0, json: async () => ({ error: e.message }), text: async () => e.message }))
  const ms = performance.now() - scheduledAt
  const id = res.status === 202 ? ((await res.json()) as { id: string }).id : (await res.text(), null)
  return { id, status: res.status, ms, acceptedAt: Date.now() }
}

const rss = { rest: nodeRssMb(hub.child()!.pid!), peak: { total: 0, processes: 0 } }
const rssSampler = setInterval(() => { const r = nodeRssMb(hub.child()!.pid!); if (r.total > rss.peak.total) rss.peak = r }, 1_000)
say(`hub RSS at rest: ${rss.rest.total} MB over ${rss.rest.processes} Node process(es)`)

/** Waits until every accepted document of `ids` is final; returns the seconds it took after the last deposit. */
async function drain(ids: string[]): Promise<Record<string, number>> {
  const deadline = Date.now() + Number(values['drain-timeout-s']) * 1000
  for (;;) {
    const { rows } = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM documents WHERE id = ANY($1::uuid[]) GROUP BY status', [ids])
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]))
    const open = ids.length - ['MISE_A_DISPOSITION', 'REJETEE', 'A_RECYCLER', 'ECHEC_DISTRIBUTION', 'EN_ERREUR'].reduce((s, k) => s + (byStatus[k] ?? 0), 0)
    if (open === 0 || Date.now() > deadline) return byStatus
    await sleep(250)
  }
}

/** accept → delivered per document, in ms, from the status history. */
async function acceptToDelivered(ids: string[]): Promise<number[]> {
  const { rows } = await db.query<{ ms: number }>(
    `SELECT extract(epoch FROM (d.at - a.at)) * 1000 AS ms FROM status_history a JOIN status_history d ON d.document_id = a.document_id
     WHERE a.document_id = ANY($1::uuid[]) AND a.status = 'DEPOSEE' AND d.status = 'MISE_A_DISPOSITION'`, [ids])
  return rows.map((r) => Number(r.ms))
}

function checkDeliveries(ids: string[]) {
  const mine = new Set(ids)
  const counts = new Map<string, number>()
  for (const d of receiver.deliveries) if (mine.has(d.documentId)) counts.set(d.documentId, (counts.get(d.documentId) ?? 0) + 1)
  const missing = ids.filter((id) => !counts.has(id))
  const duplicates = [...counts.values()].filter((n) => n > 1).length
  return { delivered: counts.size, missing: missing.length, duplicates }
}

const fmt = (xs: number[]) => xs.map((x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 1 : 0) : '-')).join(' / ')
const results: Record<string, unknown> = {}

// ---- (a) fixed offered rate ----
if (SECONDS > 0 && RATE > 0) {
  say(`fixed rate: ${RATE}/s for ${SECONDS} s`)
  const total = Math.round(RATE * SECONDS)
  const cpu0 = cpuSeconds(hub.child()!.pid!)
  const t0 = performance.now() + 100
  const pending: Promise<Deposit>[] = []
  for (let i = 0; i < total; i++) {
    const at = t0 + (i * 1000) / RATE
    const wait = at - performance.now()
    if (wait > 1) await sleep(wait)
    pending.push(deposit(at))
  }
  const deposits = await Promise.all(pending)
  const postedSeconds = (performance.now() - t0) / 1000
  const ids = deposits.flatMap((d) => (d.id ? [d.id] : []))
  const errors = deposits.filter((d) => !d.id)
  const drainStart = Date.now()
  const byStatus = await drain(ids)
  const cpuMsPerDocument = cpuPerDocument(cpu0, cpuSeconds(hub.child()!.pid!), ids.length)
  const e2e = await acceptToDelivered(ids)
  const check = checkDeliveries(ids)
  results.fixedRate = {
    offeredPerSecond: RATE, seconds: SECONDS, deposits: total, achievedPerSecond: +(total / postedSeconds).toFixed(1),
    http202Ms: quantiles(deposits.filter((d) => d.id).map((d) => d.ms)), errors: errors.length,
    errorStatuses: Object.fromEntries([...new Set(errors.map((e) => e.status))].map((s) => [s, errors.filter((e) => e.status === s).length])),
    acceptToDeliveredMs: quantiles(e2e), byStatus, ...check, cpuMsPerDocument, drainSecondsAfterLastDeposit: +((Date.now() - drainStart) / 1000).toFixed(1),
  }
  say(`fixed rate done: ${JSON.stringify(results.fixedRate)}`)
}

// ---- (b) saturation ----
if (SATURATE > 0) {
  say(`saturation: ${CLIENTS} clients for ${SATURATE} s`)
  const ids: string[] = []
  let errors = 0
  const deliveredBefore = receiver.deliveries.length
  const cpu0 = cpuSeconds(hub.child()!.pid!)
  const t0 = Date.now()
  const end = t0 + SATURATE * 1000
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < end) {
      const d = await deposit(performance.now())
      if (d.id) ids.push(d.id); else { errors++; await sleep(50) }
    }
  }))
  const postedAt = Date.now()
  const byStatus = await drain(ids)
  const drainedAt = Date.now()
  const cpuMsPerDocument = cpuPerDocument(cpu0, cpuSeconds(hub.child()!.pid!), ids.length)
  const check = checkDeliveries(ids)
  // Sustained: deliveries in the steady window (after the first 10 s, up to the end of posting), per second.
  const steadyFrom = t0 + Math.min(10_000, SATURATE * 250)
  const steady = receiver.deliveries.slice(deliveredBefore).filter((d) => d.at >= steadyFrom && d.at <= postedAt).length / ((postedAt - steadyFrom) / 1000)
  results.saturation = {
    clients: CLIENTS, seconds: SATURATE, accepted: ids.length, acceptedPerSecond: +(ids.length / SATURATE).toFixed(1), errors,
    deliveredPerSecondSteady: +steady.toFixed(1), deliveredPerSecondOverall: +(check.delivered / ((drainedAt - t0) / 1000)).toFixed(1),
    backlogDrainSeconds: +((drainedAt - postedAt) / 1000).toFixed(1), acceptToDeliveredMs: quantiles(await acceptToDelivered(ids)), byStatus, ...check, cpuMsPerDocument,
  }
  say(`saturation done: ${JSON.stringify(results.saturation)}`)
}
clearInterval(rssSampler)
results.hubRssMb = { atRest: rss.rest.total, peakUnderLoad: rss.peak.total, nodeProcesses: rss.peak.processes }

if (statements) {
  const mine = `dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`
  const { rows } = await db.query<{ query: string; calls: string; total_ms: number; mean_ms: number }>(
    `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query, calls, round(total_exec_time::numeric, 0)::float AS total_ms, round(mean_exec_time::numeric, 3)::float AS mean_ms
     FROM pg_stat_statements WHERE ${mine} ORDER BY total_exec_time DESC LIMIT 20`)
  const { rows: [sum] } = await db.query<{ calls: string; ms: number }>(`SELECT sum(calls)::bigint AS calls, round(sum(total_exec_time)::numeric, 0)::float AS ms FROM pg_stat_statements WHERE ${mine}`)
  const documents = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM documents')).rows[0]!.n
  results.postgres = { statementsPerDocument: +(Number(sum!.calls) / documents).toFixed(1), executionMsPerDocument: +(sum!.ms / documents).toFixed(2), documents }
  results.topStatements = rows
}

console.log(JSON.stringify(results, null, 2))
const a = results.fixedRate as any
const b = results.saturation as any
console.log([
  '',
  ...(a ? [
    `fixed rate ${a.offeredPerSecond}/s for ${a.seconds} s (achieved ${a.achievedPerSecond}/s)`,
    `  HTTP 202 p50 / p95 / p99           ${fmt(a.http202Ms)} ms   errors ${a.errors}`,
    `  accept → delivered p50 / p95 / p99 ${fmt(a.acceptToDeliveredMs)} ms`,
    `  delivered ${a.delivered} of ${a.deposits - a.errors} accepted, missing ${a.missing}, delivered more than once ${a.duplicates}`,
    `  CPU ms per document                hub (Node) ${a.cpuMsPerDocument.hubNode}, JVMs ${a.cpuMsPerDocument.jvms}, PostgreSQL ${a.cpuMsPerDocument.postgres}`,
  ] : []),
  ...(b ? [
    `saturation, ${b.clients} clients for ${b.seconds} s: accepted ${b.acceptedPerSecond}/s`,
    `  delivered per second (steady)      ${b.deliveredPerSecondSteady}   (overall ${b.deliveredPerSecondOverall}, backlog drained ${b.backlogDrainSeconds} s after the last deposit)`,
    `  accept → delivered p50 / p95 / p99 ${fmt(b.acceptToDeliveredMs)} ms`,
    `  delivered ${b.delivered} of ${b.accepted} accepted, missing ${b.missing}, delivered more than once ${b.duplicates}`,
    `  CPU ms per document                hub (Node) ${b.cpuMsPerDocument.hubNode}, JVMs ${b.cpuMsPerDocument.jvms}, PostgreSQL ${b.cpuMsPerDocument.postgres}`,
  ] : []),
  ...(results.postgres ? [`PostgreSQL per document            ${(results.postgres as any).statementsPerDocument} statements, ${(results.postgres as any).executionMsPerDocument} ms executing`] : []),
  `hub RSS (Node processes)            ${rss.rest.total} MB at rest, ${rss.peak.total} MB peak under load (${rss.peak.processes} process(es))`,
].join('\n'))

await db.end()
await hub.stop({ keep: values.keep })
receiver.close()
const failed = [a, b].some((r) => r && (r.missing > 0 || r.duplicates > 0))
process.exit(failed ? 1 : 0)
