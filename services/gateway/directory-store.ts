// The directory's PostgreSQL side for the admin API: one structure with its services in one transaction,
// and the bulk import, which upserts in batches (one multi-row statement per table per batch).
import { inTransaction, type Db, type Tx } from '../kit/db.js'
import { parseImportLine, type Structure } from './structures.js'

/** Upserts structures and replaces their services; returns how many of them were new. */
export async function upsertStructures(tx: Tx, structures: Structure[]): Promise<number> {
  if (structures.length === 0) return 0
  const cols = 8
  const values = structures.map((_, i) => `(${Array.from({ length: cols }, (_, j) => `$${i * cols + j + 1}`).join(', ')})`).join(', ')
  const params = structures.flatMap((s) => [s.siret, s.name, s.active, s.commitmentRequired, s.serviceRequired, s.paymentStatusManaged, s.endpoint, s.format])
  const { rows } = await tx.query<{ created: boolean }>(
    `INSERT INTO structures (siret, name, active, commitment_required, service_required, payment_status_managed, endpoint, delivery_format)
     VALUES ${values}
     ON CONFLICT (siret) DO UPDATE SET name = EXCLUDED.name, active = EXCLUDED.active, commitment_required = EXCLUDED.commitment_required,
       service_required = EXCLUDED.service_required, payment_status_managed = EXCLUDED.payment_status_managed, endpoint = EXCLUDED.endpoint,
       delivery_format = EXCLUDED.delivery_format, updated_at = now()
     RETURNING (xmax = 0) AS created`, params)
  await tx.query('DELETE FROM structure_services WHERE siret = ANY($1)', [structures.map((s) => s.siret)])
  const services = structures.flatMap((s) => s.services.map((sv) => [s.siret, sv.code, sv.name, sv.active, sv.commitmentRequired]))
  // PostgreSQL takes at most 65 535 parameters per statement: 5 per service row.
  for (let i = 0; i < services.length; i += 10_000) {
    const chunk = services.slice(i, i + 10_000)
    await tx.query(`INSERT INTO structure_services (siret, code, name, active, commitment_required) VALUES ${chunk.map((_, k) => `($${k * 5 + 1}, $${k * 5 + 2}, $${k * 5 + 3}, $${k * 5 + 4}, $${k * 5 + 5})`).join(', ')}`, chunk.flat())
  }
  return rows.filter((r) => r.created).length
}

export async function getStructure(db: Db, siret: string): Promise<(Structure & { updatedAt: string }) | null> {
  const s = (await db.query<{ siret: string; name: string; active: boolean; commitment_required: boolean; service_required: boolean; payment_status_managed: boolean; endpoint: string | null; delivery_format: string; updated_at: Date }>(
    'SELECT * FROM structures WHERE siret = $1', [siret])).rows[0]
  if (!s) return null
  const services = (await db.query<{ code: string; name: string; active: boolean; commitment_required: boolean }>(
    'SELECT code, name, active, commitment_required FROM structure_services WHERE siret = $1 ORDER BY code', [siret])).rows
  return {
    siret: s.siret, name: s.name, active: s.active, commitmentRequired: s.commitment_required, serviceRequired: s.service_required,
    paymentStatusManaged: s.payment_status_managed, endpoint: s.endpoint, format: s.delivery_format as Structure['format'], updatedAt: s.updated_at.toISOString(),
    services: services.map((sv) => ({ code: sv.code, name: sv.name, active: sv.active, commitmentRequired: sv.commitment_required })),
  }
}

export type ImportReport = {
  lines: number; imported: number; created: number; updated: number; failed: number
  errors: { line: number; message: string }[]; errorsNotShown: number; seconds: number
}

const BATCH = 1000
const MAX_ERRORS = 1000
const MAX_LINE = 1024 * 1024

/**
 * Streams `application/x-ndjson` lines into the directory: each valid line upserts one structure, each invalid
 * one is reported with its line number and the rest go on. Batches of 1000 commit one by one, so a large
 * file shows progress and a failure of the database loses only the batch in flight (the report says so).
 */
export async function importStructures(db: Db, lines: AsyncIterable<string>, onProgress: (m: string) => void = () => {},
  checkEndpoint: (endpoint: string) => Promise<{ ok: true } | { ok: false; reason: string }> = async () => ({ ok: true })): Promise<ImportReport> {
  const started = Date.now()
  const report: ImportReport = { lines: 0, imported: 0, created: 0, updated: 0, failed: 0, errors: [], errorsNotShown: 0, seconds: 0 }
  const fail = (line: number, message: string) => {
    report.failed++
    if (report.errors.length < MAX_ERRORS) report.errors.push({ line, message })
    else report.errorsNotShown++
  }
  let batch = new Map<string, Structure>()
  const flush = async () => {
    if (batch.size === 0) return
    const structures = [...batch.values()]
    batch = new Map()
    report.created += await inTransaction(db, (tx) => upsertStructures(tx, structures))
  }
  let lastProgress = Date.now()
  for await (const raw of lines) {
    const n = ++report.lines
    const line = raw.trim()
    if (line === '') continue
    if (line.length > MAX_LINE) { fail(n, `the line is longer than ${MAX_LINE} characters`); continue }
    const parsed = parseImportLine(line)
    if (!parsed.ok) { fail(n, parsed.message); continue }
    if (parsed.value.endpoint) {
      const allowed = await checkEndpoint(parsed.value.endpoint)
      if (!allowed.ok) { fail(n, `\`endpoint\` refused: ${allowed.reason}`); continue }
    }
    // A SIRET repeated within one batch: the later line wins, as it would across batches.
    batch.delete(parsed.value.siret)
    batch.set(parsed.value.siret, parsed.value)
    report.imported++
    if (batch.size >= BATCH) await flush()
    if (Date.now() - lastProgress >= 2000) {
      lastProgress = Date.now()
      onProgress(`directory import: ${report.lines} lines read, ${report.imported} structures imported, ${report.failed} errors`)
    }
  }
  await flush()
  report.updated = report.imported - report.created
  report.seconds = (Date.now() - started) / 1000
  return report
}
