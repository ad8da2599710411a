// The append-only status history (table status_history), shared by its two writers: the status service (the
// hub's statuses) and the gateway (business statuses set by recipients and senders through the API). Each
// row carries the auditors' hash chain (schemas/status-chain.ts), computed inside the writer's transaction
// with the document row locked, so sequences and hashes never interleave.
import type { Tx } from './db.js'
import type { Finding } from '../../schemas/events.js'
import { chainHash } from '../../schemas/status-chain.js'

export type StatusRow = {
  sequence: number; status: string; code: string | null; actor: string; at: number; reason: string | null
  findings: Finding[]; prevHash: string | null; hash: string | null
}

export async function insertStatus(tx: Tx, documentId: string, row: StatusRow, cause: string) {
  await insertStatuses(tx, [{ documentId, row, cause }])
}

/** Status rows of one or more documents in one statement (the status service writes a consumer run's at once). */
export async function insertStatuses(tx: Tx, rows: readonly { documentId: string; row: StatusRow; cause: string }[]) {
  if (rows.length === 0) return
  await tx.query(
    `INSERT INTO status_history (document_id, sequence, status, code, actor, at, reason, findings, cause_event, prev_hash, hash)
     SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::jsonb[], $9::text[], $10::text[], $11::text[])`,
    [rows.map((r) => r.documentId), rows.map((r) => r.row.sequence), rows.map((r) => r.row.status), rows.map((r) => r.row.code), rows.map((r) => r.row.actor),
      rows.map((r) => new Date(r.row.at)), rows.map((r) => r.row.reason), rows.map((r) => JSON.stringify(r.row.findings)), rows.map((r) => r.cause),
      rows.map((r) => r.row.prevHash), rows.map((r) => r.row.hash)])
}

/** The next row of a document's chain, after `last` (null: the first). */
export function nextRow(documentId: string, last: { sequence: number; hash: string | null } | null, change: Omit<StatusRow, 'sequence' | 'prevHash' | 'hash'>): StatusRow {
  const row = { ...change, sequence: (last?.sequence ?? 0) + 1, prevHash: last?.hash ?? null }
  return { ...row, hash: chainHash({ documentId, ...row }) }
}
