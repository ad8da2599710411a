// Directory import benchmark: `npm run bench:directory [-- --structures N]` (default 100 000).
// Streams N generated structures (one in five with two services) as application/x-ndjson to the real gateway
// route POST /v1/directory/structures:import, backed by a real PostgreSQL (DATABASE_URL, else the local
// server on 127.0.0.1:5432), in a database of its own that is dropped afterwards. Kafka is not needed: the
// directory routes only touch PostgreSQL. Prints the time, the rate and the import report's counts.
import { parseArgs } from 'node:util'
import { Readable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { loadConfig } from '../services/kit/config.js'
import { createDb, ensureDatabase, migrate } from '../services/kit/db.js'
import { createLogger } from '../services/kit/log.js'
import { createApp } from '../services/gateway/app.js'
import { generateApiKey, upsertPrincipal } from '../services/gateway/api-keys.js'

const { values } = parseArgs({ options: { structures: { type: 'string', default: '100000' } } })
const count = Number(values.structures)
if (!Number.isInteger(count) || count < 1) { console.error('--structures takes a positive whole number'); process.exit(2) }

/** A valid SIRET from a counter: 13 digits, then the Luhn check digit. */
function siret(n: number): string {
  const body = String(100_000_000_000 + n).padStart(13, '0')
  for (let check = 0; check < 10; check++) {
    const s = body + check
    const sum = [...s].reduce((acc, ch, i) => { const d = Number(ch); if (i % 2 === 1) return acc + d; const t = d * 2; return acc + (t > 9 ? t - 9 : t) }, 0)
    if (sum % 10 === 0) return s
  }
  throw new Error('unreachable')
}

function* lines(): Generator<string> {
  for (let i = 0; i < count; i++) {
    const withServices = i % 5 === 0
    yield `${JSON.stringify({
      siret: siret(i), name: `Structure publique ${i}`, active: i % 50 !== 0, commitmentRequired: i % 3 === 0, serviceRequired: withServices,
      paymentStatusManaged: i % 7 === 0, endpoint: i % 2 === 0 ? `https://ap.example/${i}` : null,
      ...(withServices ? { services: [{ code: 'SERV-FIN', name: 'Finances' }, { code: 'SERV-TECH', name: 'Services techniques', commitmentRequired: true }] } : {}),
    })}\n`
  }
}

const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
const dbName = `facteur_bench_${process.pid}`
const url = new URL(base.href); url.pathname = `/${dbName}`
await ensureDatabase(url.href)
const db = createDb(url.href, { application: 'facteur-bench' })
const log = createLogger('warn')
try {
  await migrate(db)
  const adminKey = generateApiKey()
  await upsertPrincipal(db, 'admin', 'admin', adminKey)
  const app = createApp({ config: loadConfig({ DATABASE_URL: url.href }), db, log, checks: {} })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const port = (server.address() as AddressInfo).port
  const started = performance.now()
  const res = await fetch(`http://127.0.0.1:${port}/v1/directory/structures:import`, {
    method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/x-ndjson' },
    body: Readable.toWeb(Readable.from(lines())) as ReadableStream, duplex: 'half',
  } as RequestInit & { duplex: 'half' })
  const report = await res.json() as { lines: number; imported: number; created: number; failed: number; seconds: number }
  const seconds = (performance.now() - started) / 1000
  const rows = (await db.query<{ s: number; v: number }>('SELECT (SELECT count(*)::int FROM structures) AS s, (SELECT count(*)::int FROM structure_services) AS v')).rows[0]!
  console.log(`directory import of ${count} structures: ${seconds.toFixed(1)} s, ${Math.round(count / seconds)} structures/s (HTTP ${res.status})`)
  console.log(`report: ${report.lines} lines, ${report.imported} imported, ${report.created} created, ${report.failed} failed; in the database: ${rows.s} structures, ${rows.v} services`)
  server.close()
} finally {
  await db.end()
  const admin = new pg.Client({ connectionString: base.href })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`)
  await admin.end()
}
