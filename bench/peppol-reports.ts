// Peppol's monthly reports for a busy month (`npm run bench:reports [-- --messages 1000000 --users 20000 --peers 40]`):
// a scratch database on the local PostgreSQL (DATABASE_URL's server, database `facteur_bench_reports`, dropped at
// the end) gets the month's as4_sent / as4_received rows, then what the forwarder does is timed: the month read
// grouped (monthExchanges), both reports built, and checked with OpenPeppol's rules. Prints seconds, rows and the
// heap; not a test.
import { parseArgs } from 'node:util'
import pg from 'pg'
import { createDb, ensureDatabase, migrate } from '../services/kit/db.js'
import { monthExchanges, buildReports } from '../services/forwarder/peppol-reports.js'
import { ensureReportingArtefacts } from '../services/validation/artefacts.js'

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000000' }, users: { type: 'string', default: '20000' }, peers: { type: 'string', default: '40' } } })
const messages = Number(values.messages)
const users = Number(values.users)
const peers = Number(values.peers)
const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
const url = new URL(server)
url.pathname = '/facteur_bench_reports'
const month = '2026-10'
const seconds = (t: number) => ((performance.now() - t) / 1000).toFixed(2)
const heapMb = () => (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)

await ensureDatabase(url.href)
const db = createDb(url.href, { max: 4, application: 'bench-reports' })
try {
  await migrate(db)
  await db.query('TRUNCATE as4_sent, as4_received, peppol_reports CASCADE')
  const partner = (await db.query<{ id: string }>(`INSERT INTO partners (name, role) VALUES ('bench', 'partner') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`)).rows[0]!.id
  const documentId = (await db.query<{ id: string }>(`INSERT INTO documents (id, partner_id, content_type, payload, size_bytes, sha256) VALUES (gen_random_uuid(), $1, 'application/xml', '\\x00', 1, repeat('0', 64)) RETURNING id`, [partner])).rows[0]!.id
  let t = performance.now()
  // Half sent, half received; end users and peers spread evenly; three document types; a tenth of C4 countries unknown.
  const types = ['urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1',
    'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2::CreditNote##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1',
    'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100::CrossIndustryInvoice##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::D16B']
  const common = `('{${types.join(',')}}'::text[])[1 + i % 3], 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0',
      '0009:' || lpad((i % $2)::text, 14, '0'), '0208:' || lpad(((i * 7) % $2)::text, 10, '0'), 'FR', CASE WHEN i % 10 = 0 THEN NULL ELSE 'BE' END`
  await db.query(`INSERT INTO as4_sent (message_id, document_id, to_seat, endpoint, receiver_cert, content_type, message, signed_refs, receipt, receipt_at,
      document_type, process, original_sender, final_recipient, country_c1, country_c4)
    SELECT 'sent-' || i, NULL, 'POP' || lpad((i % $3)::text, 6, '0'), 'https://ap/as4', '\\x00', 'x', '\\x00', '[]', '\\x00', '${month}-01'::timestamptz + (i % 2592000) * interval '1 second',
      ${common} FROM generate_series(1, $1) i`, [Math.ceil(messages / 2), users, peers])
  await db.query(`INSERT INTO as4_received (message_id, from_seat, document_id, receipt, sender_cert, message, received_at, document_type, process, original_sender, final_recipient, country_c1, country_c4)
    SELECT 'received-' || i, 'POP' || lpad((i % $3)::text, 6, '0'), '${documentId}', 'r', '\\x00', '\\x00', '${month}-01'::timestamptz + (i % 2592000) * interval '1 second',
      ${common} FROM generate_series(1, $1) i`, [Math.floor(messages / 2), users, peers])
  await db.query('ANALYZE as4_sent; ANALYZE as4_received')
  console.log(`seeded ${messages} messages (${users} end users a side, ${peers} peers) in ${seconds(t)} s`)

  const rules = await ensureReportingArtefacts()
  for (let round = 1; round <= 3; round++) {
    t = performance.now()
    const rows = await monthExchanges(db, month)
    const read = seconds(t)
    t = performance.now()
    const built = await buildReports(db, month, 'POP000001', rules)
    const all = seconds(t)
    console.log(`round ${round}: month read grouped in ${read} s (${rows.length} rows for ${messages} messages); read + both reports built and checked in ${all} s; ` +
      built.map((b) => `${b.kind} ${(b.xml.length / 1024).toFixed(0)} KB, ${b.findings.filter((f) => f.severity === 'fatal').length} fatal`).join(', ') + `; heap ${heapMb()} MB`)
  }
} finally {
  await db.end()
  const admin = new pg.Client({ connectionString: server.href })
  await admin.connect()
  await admin.query('DROP DATABASE IF EXISTS facteur_bench_reports WITH (FORCE)')
  await admin.end()
}
