// The portal's document lists and pages at scale (`npm run bench:portal [-- --documents 200000 --runs 30
// --try "CREATE INDEX …"]`): a scratch database on the local PostgreSQL (DATABASE_URL's server, database
// `facteur_bench_portal_<pid>`, dropped at the end and on Ctrl-C) gets a month of a big public buyer: its public
// structures (the directory, one partner receiving for all) and a village's town hall that receives little, its
// suppliers (their own partners, or sellers bound to one platform partner), documents spread over them with a hub's
// mix of statuses, their history, portal deposits and people. Then the portal's own functions (documents.ts,
// people.ts) are timed as a clerk of the biggest structure, of the small one, the finance department of all of them,
// a big supplier, a small supplier behind the platform and on one document's page would call them: p50/p95/max over
// warm runs, and the plan of the slowest query and of any first page over 100 ms. `--try` applies DDL in the scratch
// database and times everything again, to measure an index before proposing it as a migration; `--plans` prints
// whole plans; `--keep` leaves the database for psql. Prints numbers; not a test.
import { parseArgs } from 'node:util'
import { loadavg } from 'node:os'
import pg from 'pg'
import { createDb, ensureDatabase, migrate, type Db } from '../services/kit/db.js'
import { cursorOf, documentFor, historyOf, listDocuments, parseListFilters, type Side } from '../services/gateway/portal/documents.js'
import { membershipsOf, type Membership } from '../services/gateway/portal/people.js'

const { values } = parseArgs({
  options: {
    documents: { type: 'string', default: '200000' }, suppliers: { type: 'string', default: '2000' }, structures: { type: 'string', default: '50' },
    runs: { type: 'string', default: '30' }, warmup: { type: 'string', default: '3' }, try: { type: 'string', multiple: true, default: [] },
    plans: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false },
  },
})
const documents = Number(values.documents)
const suppliers = Number(values.suppliers)
const structureCount = Number(values.structures)
const runs = Number(values.runs)
const warmup = Number(values.warmup)
for (const [name, v, min] of [['documents', documents, 1], ['suppliers', suppliers, 4], ['structures', structureCount, 1], ['runs', runs, 1], ['warmup', warmup, 0]] as const) {
  if (!Number.isInteger(v) || v < min) { console.error(`--${name} takes a whole number from ${min}`); process.exit(2) }
}

const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
const dbName = `facteur_bench_portal_${process.pid}`
const url = new URL(server.href)
url.pathname = `/${dbName}`
const seconds = (t: number) => ((performance.now() - t) / 1000).toFixed(1)

/** A valid SIRET (Luhn) from a 13-digit body. */
function siret(body: number): string {
  const b = String(body).padStart(13, '0')
  for (let check = 0; check < 10; check++) {
    const s = b + check
    const sum = [...s].reduce((acc, ch, i) => { const d = Number(ch); if (i % 2 === 1) return acc + d; const t = d * 2; return acc + (t > 9 ? t - 9 : t) }, 0)
    if (sum % 10 === 0) return s
  }
  throw new Error('unreachable')
}

// A hub's month: most invoices delivered and on their way through the buyer's processing and payment, a few
// rejected or waiting for correction, a handful in flight or failed. Weights in per mille.
const statusMix: [string, number][] = [
  ['DEPOSEE', 8], ['REJETEE', 30], ['A_RECYCLER', 15], ['ECHEC_DISTRIBUTION', 2], ['EN_ERREUR', 1],
  ['MISE_A_DISPOSITION', 290], ['PRISE_EN_CHARGE', 150], ['APPROUVEE', 120], ['APPROUVEE_PARTIELLEMENT', 7], ['EN_LITIGE', 15],
  ['SUSPENDUE', 10], ['COMPLETEE', 3], ['REFUSEE', 30], ['SERVICE_FAIT', 80], ['MANDATEE', 80], ['MISE_EN_PAIEMENT', 60],
  ['PAIEMENT_TRANSMIS', 69], ['ENCAISSEE', 30],
]
const statusCase = (() => {
  const total = statusMix.reduce((a, [, w]) => a + w, 0)
  let acc = 0
  return `CASE ${statusMix.map(([s, w]) => { acc += w; return `WHEN u < ${(acc / total).toFixed(6)} THEN '${s}'` }).join(' ')} ELSE 'MISE_A_DISPOSITION' END`
})()
const unrouted = `('DEPOSEE', 'REJETEE', 'A_RECYCLER')`
const afterApproval = `('SERVICE_FAIT', 'MANDATEE', 'MISE_EN_PAIEMENT', 'PAIEMENT_TRANSMIS', 'ENCAISSEE')`
const trades = ['Nettoyage', 'Informatique', 'Bâtiment', 'Fournitures', 'Transports', 'Conseil', 'Restauration', 'Énergie', 'Espaces verts', 'Imprimerie']
const towns = ['Lyon', 'Lille', 'Nantes', 'Rennes', 'Dijon', 'Metz', 'Tours', 'Nîmes', 'Brest', 'Pau', 'Caen', 'Agen', 'Albi']

/** Seeds the month; returns what the timed cases need to know of it. */
async function seed(db: Db) {
  const c = await db.connect()
  try {
    await c.query('SELECT setseed(0.42)')
    let t = performance.now()
    // Who is who, in scratch tables of this session: supplier n (1 the biggest) and structure n (1 the biggest).
    const supplierSirets = Array.from({ length: suppliers }, (_, i) => siret(4_000_000_000_000 + i * 97))
    // One more structure than asked: a small one (a village's town hall) that receives one document in 5 000.
    const structureSirets = Array.from({ length: structureCount + 1 }, (_, i) => siret(2_100_000_000_000 + i * 1_009))
    await c.query(`CREATE TEMP TABLE bench_suppliers AS
      SELECT n, (($1::text[])[n]) AS siret, ($2::text[])[1 + n % 10] || ' ' || ($3::text[])[1 + n % 13] || ' ' || n || ' SAS' AS name,
             n % 2 = 0 AS on_platform, NULL::uuid AS partner_id FROM generate_series(1, $4) n`, [supplierSirets, trades, towns, suppliers])
    await c.query(`CREATE TEMP TABLE bench_structures AS
      SELECT n, (($1::text[])[n]) AS siret, CASE n % 3 WHEN 0 THEN 'Commune de ' WHEN 1 THEN 'Lycée ' ELSE 'Centre hospitalier de ' END || ($2::text[])[1 + n % 13] || ' ' || n AS name,
             n % 2 = 1 AND n <= $3 AS with_services FROM generate_series(1, $3 + 1) n`, [structureSirets, towns, structureCount])
    const buyer = (await c.query<{ id: string }>(`INSERT INTO partners (name, role) VALUES ('Région Bench (acheteur public)', 'partner') RETURNING id`)).rows[0]!.id
    const platform = (await c.query<{ id: string }>(`INSERT INTO partners (name, role) VALUES ('Plateforme Bench (PDP)', 'partner') RETURNING id`)).rows[0]!.id
    await c.query(`WITH p AS (INSERT INTO partners (name, role) SELECT 'Fournisseur ' || siret, 'partner' FROM bench_suppliers WHERE NOT on_platform RETURNING id, name)
      UPDATE bench_suppliers s SET partner_id = p.id FROM p WHERE p.name = 'Fournisseur ' || s.siret`)
    await c.query('UPDATE bench_suppliers SET partner_id = $1 WHERE on_platform', [platform])
    await c.query(`INSERT INTO partner_sellers (partner_id, seller) SELECT partner_id, '0009:' || siret FROM bench_suppliers`)
    await c.query(`INSERT INTO structures (siret, name, commitment_required, service_required, payment_status_managed)
      SELECT siret, name, n % 3 = 0, with_services, n % 4 = 0 FROM bench_structures`)
    await c.query(`INSERT INTO structure_services (siret, code, name) SELECT siret, 'SERV-' || k, 'Service ' || k FROM bench_structures, generate_series(1, 5) k WHERE with_services`)
    await c.query(`INSERT INTO partner_addresses (address, partner_id) SELECT '0009:' || siret, $1 FROM bench_structures`, [buyer])
    console.log(`  partners, ${suppliers} suppliers (half behind one platform) and ${structureCount} + 1 small structures in ${seconds(t)} s`)

    // The documents: suppliers and structures skewed (a few big ones, a long tail), received over 30 days.
    t = performance.now()
    await c.query(`CREATE TEMP TABLE bench_docs AS
      SELECT i, gen_random_uuid() AS id, least($2, 1 + floor($2 * random() ^ 3))::int AS sup, CASE WHEN i % 5000 = 0 THEN $3 + 1 ELSE least($3, 1 + floor($3 * random() ^ 2))::int END AS st,
             random() AS u, random() AS a, random() AS v, random() AS w, random() AS x,
             now() - random() * interval '30 days' AS received_at FROM generate_series(1, $1) i`, [documents, suppliers, structureCount])
    await c.query(`ALTER TABLE bench_docs ADD COLUMN status text`)
    await c.query(`UPDATE bench_docs SET status = ${statusCase}`)
    const payload = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">${'<cac:InvoiceLine/>'.repeat(12)}</Invoice>`)
    const chunk = 50_000
    for (let lo = 1; lo <= documents; lo += chunk) {
      await c.query(`INSERT INTO documents (id, partner_id, content_type, payload, size_bytes, sha256, received_at, status, status_at, syntax, keys, findings, recipient_address, service_code)
        SELECT d.id, s.partner_id, 'application/xml', $3, $4, md5(d.id::text) || md5(d.i::text), d.received_at, d.status,
               d.received_at + (now() - d.received_at) * d.x,
               CASE WHEN d.status = 'DEPOSEE' THEN NULL WHEN d.v < 0.04 THEN 'ubl-creditnote' WHEN d.w < 0.3 THEN 'cii' ELSE 'ubl-invoice' END,
               CASE WHEN d.status = 'DEPOSEE' OR (d.status = 'REJETEE' AND d.a < 0.3) THEN NULL ELSE jsonb_build_object(
                 'invoiceNumber', 'F' || to_char(d.received_at, 'YYYYMM') || '-' || lpad(d.i::text, 7, '0'),
                 'issueDate', to_char(d.received_at - floor(d.x * 5) * interval '1 day', 'YYYY-MM-DD'),
                 'typeCode', CASE WHEN d.v < 0.04 THEN '381' ELSE '380' END, 'currency', 'EUR',
                 'customizationId', 'urn:cen.eu:en16931:2017', 'profileId', 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0',
                 'buyerReference', CASE WHEN b.with_services THEN 'SERV-' || (1 + floor(d.w * 5)) END,
                 'orderReference', CASE WHEN d.x < 0.7 THEN '13' || lpad(b.n::text, 2, '0') || lpad(floor(d.v * 20000)::text, 6, '0') END,
                 'seller', jsonb_build_object('name', s.name, 'legalId', jsonb_build_object('scheme', '0009', 'value', s.siret),
                   'vatId', 'FR' || lpad((s.n % 97)::text, 2, '0') || substr(s.siret, 1, 9), 'endpoint', jsonb_build_object('scheme', '0009', 'value', s.siret)),
                 'buyer', jsonb_build_object('name', b.name, 'legalId', jsonb_build_object('scheme', '0009', 'value', b.siret), 'vatId', NULL,
                   'endpoint', jsonb_build_object('scheme', '0009', 'value', b.siret)),
                 'totals', jsonb_build_object('lineExtension', t.ht::text, 'taxExclusive', t.ht::text, 'taxTotal', round(t.ht * 0.2, 2)::text,
                   'taxInclusive', (t.ht + round(t.ht * 0.2, 2))::text, 'payable', (t.ht + round(t.ht * 0.2, 2))::text)) END,
               CASE WHEN d.status IN ('REJETEE', 'A_RECYCLER') THEN '[{"ruleId":"BR-CO-15","severity":"fatal","location":"/Invoice","message":"Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109) + Invoice total VAT amount (BT-110).","pack":"en16931","line":null}]'::jsonb ELSE '[]'::jsonb END,
               CASE WHEN d.status NOT IN ${unrouted} THEN '0009:' || b.siret END,
               CASE WHEN d.status NOT IN ${unrouted} AND b.with_services THEN 'SERV-' || (1 + floor(d.w * 5)) END
          FROM bench_docs d JOIN bench_suppliers s ON s.n = d.sup JOIN bench_structures b ON b.n = d.st
               CROSS JOIN LATERAL (SELECT round(exp(3 + d.a * 9)::numeric, 2) AS ht) t
         WHERE d.i BETWEEN $1 AND $2`, [lo, Math.min(documents, lo + chunk - 1), payload, payload.length])
    }
    console.log(`  ${documents} documents in ${seconds(t)} s`)

    // Their history as the status service writes it: deposited, then delivered (or rejected), then the buyer's steps.
    t = performance.now()
    await c.query(`INSERT INTO status_history (document_id, sequence, status, code, actor, at, cause_event)
      SELECT id, 1, 'DEPOSEE', '200', 'hub', received_at, id || ':received' FROM bench_docs
      UNION ALL SELECT id, 2, CASE WHEN status IN ('REJETEE', 'A_RECYCLER', 'ECHEC_DISTRIBUTION', 'EN_ERREUR') THEN status ELSE 'MISE_A_DISPOSITION' END,
             CASE WHEN status = 'REJETEE' THEN '213' WHEN status IN ('A_RECYCLER', 'ECHEC_DISTRIBUTION', 'EN_ERREUR') THEN NULL ELSE '203' END,
             'hub', received_at + interval '40 seconds', id || ':step2' FROM bench_docs WHERE status <> 'DEPOSEE'
      UNION ALL SELECT id, 3, CASE WHEN status IN ${afterApproval} THEN 'APPROUVEE' ELSE status END, NULL, 'recipient',
             received_at + interval '2 days', id || ':step3' FROM bench_docs
       WHERE status NOT IN ('DEPOSEE', 'REJETEE', 'A_RECYCLER', 'ECHEC_DISTRIBUTION', 'EN_ERREUR', 'MISE_A_DISPOSITION')
      UNION ALL SELECT id, 4, status, NULL, CASE WHEN status = 'ENCAISSEE' THEN 'sender' ELSE 'recipient' END, received_at + interval '5 days', id || ':step4'
        FROM bench_docs WHERE status IN ${afterApproval}`)
    const history = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM status_history')).rows[0]!.n
    console.log(`  ${history} status_history rows in ${seconds(t)} s`)

    // People: a clerk of the biggest structure, its finance department (every structure), the biggest supplier's
    // accountant, a small seller behind the platform; and everyone else's (one per supplier, three per structure).
    t = performance.now()
    const small = (await c.query<{ n: number }>(`SELECT sup AS n FROM bench_docs d JOIN bench_suppliers s ON s.n = d.sup WHERE s.on_platform
      GROUP BY sup HAVING count(*) >= 10 ORDER BY count(*), sup LIMIT 1`)).rows[0]?.n ?? 2
    await c.query(`INSERT INTO people (email, name, password_hash, totp_secret)
      SELECT 'fournisseur-' || n || '@bench.example', 'Comptable ' || n, 'scrypt$bench', 'BENCH' FROM bench_suppliers
      UNION ALL SELECT 'agent-' || n || '-' || k || '@bench.example', 'Agent ' || n || '-' || k, 'scrypt$bench', 'BENCH' FROM bench_structures, generate_series(1, 3) k
      UNION ALL SELECT 'finances@bench.example', 'Direction des finances', 'scrypt$bench', 'BENCH'`)
    await c.query(`INSERT INTO memberships (person_id, partner_id, siret, role)
      SELECT p.id, s.partner_id, s.siret, 'principal' FROM bench_suppliers s JOIN people p ON p.email = 'fournisseur-' || s.n || '@bench.example'
      UNION ALL SELECT p.id, $1, b.siret, CASE k WHEN 1 THEN 'principal' ELSE 'user' END FROM bench_structures b, generate_series(1, 3) k
        JOIN people p ON true WHERE p.email = 'agent-' || b.n || '-' || k || '@bench.example'
      UNION ALL SELECT p.id, $1, b.siret, 'secondary' FROM bench_structures b JOIN people p ON p.email = 'finances@bench.example'`, [buyer])
    await c.query(`INSERT INTO portal_deposits (document_id, person_id, partner_id, siret, file_name, deposited_at)
      SELECT d.id, p.id, s.partner_id, s.siret, 'facture-' || d.i || '.xml', d.received_at FROM bench_docs d JOIN bench_suppliers s ON s.n = d.sup
        JOIN people p ON p.email = 'fournisseur-' || s.n || '@bench.example' WHERE d.w > 0.97`)
    const people = (await c.query<{ email: string; id: string }>(`SELECT email, id FROM people WHERE email IN ('agent-1-2@bench.example', 'finances@bench.example', 'fournisseur-1@bench.example', $1, $2)`,
      [`fournisseur-${small}@bench.example`, `agent-${structureCount + 1}-1@bench.example`])).rows
    const counts = (await c.query<{ deposits: number; members: number }>('SELECT (SELECT count(*)::int FROM portal_deposits) AS deposits, (SELECT count(*)::int FROM memberships) AS members')).rows[0]!
    console.log(`  ${people.length} people timed, ${counts.members} memberships, ${counts.deposits} portal deposits in ${seconds(t)} s`)

    // What the cases search for, taken from the data: a commitment and a small supplier of the biggest structure.
    const probe = (await c.query<{ commitment: string; supplier: string; doc: string; supplierDoc: string }>(`SELECT
      (SELECT keys->>'orderReference' FROM documents WHERE recipient_address = '0009:' || $1 AND keys->>'orderReference' IS NOT NULL ORDER BY received_at DESC LIMIT 1 OFFSET 500) AS commitment,
      (SELECT s.siret FROM bench_docs d JOIN bench_suppliers s ON s.n = d.sup WHERE d.st = 1 GROUP BY s.siret ORDER BY count(*), s.siret LIMIT 1) AS supplier,
      (SELECT id::text FROM documents WHERE recipient_address = '0009:' || $1 AND status = 'MANDATEE' ORDER BY received_at DESC LIMIT 1) AS doc,
      (SELECT id::text FROM bench_docs WHERE sup = 1 ORDER BY received_at DESC LIMIT 1) AS "supplierDoc"`, [structureSirets[0]])).rows[0]!
    const person = (email: string) => people.find((p) => p.email === email)!.id
    return {
      clerk: person('agent-1-2@bench.example'), finance: person('finances@bench.example'), bigSupplier: person('fournisseur-1@bench.example'),
      smallSupplier: person(`fournisseur-${small}@bench.example`), smallClerk: person(`agent-${structureCount + 1}-1@bench.example`), ...probe,
    }
  } finally {
    c.release()
  }
}

type Captured = { text: string; params: unknown[] }
/** The pool as the portal's functions see it, writing down the SQL they send (to EXPLAIN it as sent). */
const capturing = (db: Db, into: Captured[]): Db =>
  ({ query: (text: string, params: unknown[]) => { into.push({ text, params }); return db.query(text, params) } }) as unknown as Db

type Case = { name: string; first: boolean; run: (db: Db) => Promise<number> }
type Timing = { name: string; first: boolean; rows: number; ms: number[] }
const pct = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!

async function timeAll(db: Db, cases: Case[]): Promise<Timing[]> {
  const out: Timing[] = []
  for (const c of cases) {
    let rows = 0
    for (let i = 0; i < warmup; i++) rows = await c.run(db)
    const ms: number[] = []
    for (let i = 0; i < runs; i++) {
      const t = performance.now()
      rows = await c.run(db)
      ms.push(performance.now() - t)
    }
    out.push({ name: c.name, first: c.first, rows, ms: ms.sort((a, b) => a - b) })
  }
  return out
}

function printTable(timings: Timing[], before?: Timing[]) {
  const width = Math.max(...timings.map((t) => t.name.length))
  const head = `${'case'.padEnd(width)}  rows   p50 ms   p95 ms   max ms${before ? '   p95 before' : ''}`
  console.log(head)
  console.log('-'.repeat(head.length))
  for (const t of timings) {
    const b = before?.find((x) => x.name === t.name)
    console.log(`${t.name.padEnd(width)}  ${String(t.rows).padStart(4)}  ${pct(t.ms, 0.5).toFixed(1).padStart(7)}  ${pct(t.ms, 0.95).toFixed(1).padStart(7)}  ${t.ms.at(-1)!.toFixed(1).padStart(7)}${b ? pct(b.ms, 0.95).toFixed(1).padStart(13) : ''}`)
  }
}

/** EXPLAIN (ANALYZE, BUFFERS) of each query a case sends: its top node, buffers, JIT if any, and total time. */
async function explain(db: Db, c: Case, full: boolean) {
  const sent: Captured[] = []
  await c.run(capturing(db, sent))
  for (const q of sent) {
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${q.text}`, q.params)).rows.map((r) => r['QUERY PLAN'])
    console.log(`  ${q.text.replace(/\s+/g, ' ').slice(0, 110)}…`)
    // The top node, the first nodes under it (where the rows come from) and the totals; `--plans` for all of it.
    const nodes = plan.filter((l) => l.includes('->')).slice(0, 6)
    const summary = full ? plan : [plan[0]!, ...nodes, ...plan.filter((l) => /^(JIT:|  Timing:|Planning Time|Execution Time)/.test(l))]
    for (const l of summary) console.log(`    ${l}`)
  }
}

function cases(m: { clerk: Membership[]; finance: Membership[]; big: Membership[]; small: Membership[]; smallClerk: Membership[] }, p: { clerk: string; commitment: string; supplier: string; doc: string; supplierDoc: string }, deep: { clerk: string; big: string }): Case[] {
  const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10)
  const list = (name: string, first: boolean, who: Membership[], side: Side, q: Record<string, string>): Case =>
    ({ name, first, run: async (db) => (await listDocuments(db, who, side, parseListFilters(q))).length })
  return [
    list('clerk received: first page', true, m.clerk, 'received', {}),
    list('clerk received: page 20 (before cursor)', false, m.clerk, 'received', { before: deep.clerk }),
    list('clerk received: status MISE_A_DISPOSITION', true, m.clerk, 'received', { status: 'MISE_A_DISPOSITION' }),
    list('clerk received: status SUSPENDUE (rare)', true, m.clerk, 'received', { status: 'SUSPENDUE' }),
    list('clerk received: supplier text "nettoyage"', true, m.clerk, 'received', { party: 'nettoyage' }),
    list('clerk received: supplier SIRET (small one)', true, m.clerk, 'received', { party: p.supplier }),
    list('clerk received: commitment number', true, m.clerk, 'received', { commitment: p.commitment }),
    list('clerk received: service SERV-3', true, m.clerk, 'received', { service: 'SERV-3' }),
    list('clerk received: amount 1000-1500', true, m.clerk, 'received', { min: '1000', max: '1500' }),
    list('clerk received: dates, one week', true, m.clerk, 'received', { from: day(20), to: day(14) }),
    list('finance (all structures): first page', true, m.finance, 'received', {}),
    list('finance (all structures): status SUSPENDUE', true, m.finance, 'received', { status: 'SUSPENDUE' }),
    list('small structure clerk received: first page', true, m.smallClerk, 'received', {}),
    list('small structure clerk received: status MISE_A_DISPOSITION', true, m.smallClerk, 'received', { status: 'MISE_A_DISPOSITION' }),
    list('big supplier sent: first page', true, m.big, 'sent', {}),
    list('big supplier sent: page 20 (before cursor)', false, m.big, 'sent', { before: deep.big }),
    list('big supplier sent: status REJETEE', true, m.big, 'sent', { status: 'REJETEE' }),
    list('big supplier sent: buyer text "lycée"', true, m.big, 'sent', { party: 'lycée' }),
    list('big supplier sent: dates, one week', true, m.big, 'sent', { from: day(20), to: day(14) }),
    list('small supplier behind platform sent: first page', true, m.small, 'sent', {}),
    list('small supplier behind platform sent: status REJETEE', true, m.small, 'sent', { status: 'REJETEE' }),
    { name: 'clerk memberships (every request)', first: false, run: async (db) => (await membershipsOf(db, p.clerk)).length },
    { name: 'document page: documentFor + historyOf', first: false, run: async (db) => {
      const doc = await documentFor(db, m.clerk, p.doc)
      if (!doc) throw new Error(`the clerk does not see ${p.doc} (too few --documents for a MANDATEE one?)`)
      return (await historyOf(db, doc.id)).length
    } },
    { name: 'document page (big supplier): documentFor + historyOf', first: false, run: async (db) => {
      const doc = await documentFor(db, m.big, p.supplierDoc)
      if (!doc) throw new Error(`the big supplier does not see ${p.supplierDoc}`)
      return (await historyOf(db, doc.id)).length
    } },
    { name: "someone else's document: documentFor (404)", first: false, run: async (db) => ((await documentFor(db, m.small, p.doc)) ? 1 : 0) },
  ]
}

/** The cursor of page `n` of a list, by walking it as a person clicking "more" would. */
async function cursorAtPage(db: Db, who: Membership[], side: Side, n: number): Promise<string> {
  let before: string | undefined
  for (let page = 1; page < n; page++) {
    const rows = await listDocuments(db, who, side, parseListFilters(before ? { before } : {}))
    if (rows.length <= 50) break
    before = cursorOf(rows[49]!)
  }
  return before ?? ''
}

let cleaning: Promise<void> | null = null
let interrupted = false
const dropDatabase = () => (cleaning ??= (async () => {
  const admin = new pg.Client({ connectionString: server.href })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbName)} WITH (FORCE)`)
  await admin.end()
})())
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true
    console.error(`\n${signal}: dropping ${dbName}`)
    dropDatabase().then(() => process.exit(130), (e) => { console.error(e); process.exit(1) })
  })
}

await ensureDatabase(url.href)
const db = createDb(url.href, { max: 2, application: 'bench-portal' })
try {
  await migrate(db)
  const settings = (await db.query<{ name: string; setting: string; unit: string | null }>(
    `SELECT name, setting, unit FROM pg_settings WHERE name IN ('server_version', 'shared_buffers', 'work_mem', 'jit', 'random_page_cost') ORDER BY name`)).rows
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; PostgreSQL ${settings.map((s) => `${s.name}=${s.setting}${s.unit ?? ''}`).join(' ')}`)
  console.log(`seeding ${documents} documents, ${suppliers} suppliers, ${structureCount} structures into ${dbName}`)
  let t = performance.now()
  const s = await seed(db)
  const seeded = seconds(t)
  t = performance.now()
  await db.query('VACUUM (ANALYZE)')
  console.log(`seeded in ${seeded} s; VACUUM (ANALYZE) in ${seconds(t)} s; documents table ${(await db.query<{ size: string }>(`SELECT pg_size_pretty(pg_total_relation_size('documents')) AS size`)).rows[0]!.size}`)

  const m = { clerk: await membershipsOf(db, s.clerk), finance: await membershipsOf(db, s.finance), big: await membershipsOf(db, s.bigSupplier), small: await membershipsOf(db, s.smallSupplier),
    smallClerk: await membershipsOf(db, s.smallClerk) }
  const volume = (await db.query<{ clerk: number; big: number; platform: number; small: number; smallClerk: number }>(`SELECT
      (SELECT count(*)::int FROM documents WHERE recipient_address = '0009:' || $1) AS clerk,
      (SELECT count(*)::int FROM documents WHERE recipient_address = '0009:' || $5) AS "smallClerk",
      (SELECT count(*)::int FROM documents WHERE partner_id = $2) AS big,
      (SELECT count(*)::int FROM documents WHERE partner_id = $3) AS platform,
      (SELECT count(*)::int FROM documents WHERE partner_id = $3 AND keys->'seller'->'legalId'->>'value' = $4) AS small`,
    [m.clerk[0]!.siret, m.big[0]!.partnerId, m.small[0]!.partnerId, m.small[0]!.siret, m.smallClerk[0]!.siret])).rows[0]!
  console.log(`the clerk's structure received ${volume.clerk} documents, the small structure ${volume.smallClerk}; the big supplier sent ${volume.big}; the small supplier ${volume.small} of its platform's ${volume.platform}`)
  const deep = { clerk: await cursorAtPage(db, m.clerk, 'received', 20), big: await cursorAtPage(db, m.big, 'sent', 20) }
  const all = cases(m, s, deep)

  console.log(`\n${runs} runs after ${warmup} warm-up(s), ms (warm cache, one connection at a time):`)
  const before = await timeAll(db, all)
  printTable(before)
  const report = async (timings: Timing[]) => {
    const slowest = [...timings].sort((a, b) => pct(b.ms, 0.95) - pct(a.ms, 0.95))
    const over = timings.filter((x) => x.first && pct(x.ms, 0.95) > 100).map((x) => x.name)
    for (const name of new Set([slowest[0]!.name, ...over])) {
      console.log(`\nplan of "${name}" (p95 ${pct(timings.find((x) => x.name === name)!.ms, 0.95).toFixed(1)} ms):`)
      await explain(db, all.find((c) => c.name === name)!, values.plans)
    }
  }
  await report(before)

  if (values.try.length > 0) {
    for (const ddl of values.try) {
      t = performance.now()
      await db.query(ddl)
      console.log(`\napplied in ${seconds(t)} s: ${ddl}`)
    }
    await db.query('ANALYZE')
    console.log(`\nagain, with the DDL above:`)
    const after = await timeAll(db, all)
    printTable(after, before)
    await report(after)
  }
} catch (error) {
  if (!interrupted) throw error
} finally {
  await db.end().catch(() => {})
  if (values.keep && !interrupted) console.log(`\nkept ${dbName} (psql -h ${server.hostname} -U ${server.username || 'postgres'} ${dbName}); drop it with DROP DATABASE ${dbName}`)
  else if (!interrupted) await dropDatabase()
}
