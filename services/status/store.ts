// The status service's PostgreSQL side: one transaction per change (or per consumer run of changes), the
// document rows locked so concurrent events of one document (they arrive on different topics) append in a
// single order; facts alone in one statement.
import { inTransaction, type Db } from '../kit/db.js'
import { enqueueMany } from '../kit/outbox.js'
import type { Finding, DocumentKeys } from '../../schemas/events.js'
import { planChange, statusCodes, type Change, type HubStatus } from './lifecycle.js'
import { insertStatuses, nextRow, type StatusRow } from '../kit/status-history.js'

export type StoredStatus = StatusRow

export type Facts = { syntax?: string; keys?: DocumentKeys; findings?: Finding[]; recipientAddress?: string; serviceCode?: string | null; resubmissionOf?: string | null }

type Row = { sequence: number; status: string; code: string | null; actor: string; at: Date; reason: string | null; findings: Finding[]; cause_event: string; prev_hash: string | null; hash: string | null }

const toStored = (r: Row): StoredStatus => ({ sequence: r.sequence, status: r.status, code: r.code, actor: r.actor, at: r.at.getTime(), reason: r.reason, findings: r.findings, prevHash: r.prev_hash, hash: r.hash })

/**
 * Applies `change` (caused by event `causeEvent`) to the document, and queues each new status row for
 * `document.status` in the same transaction (outbox): every writer of the history (this service and the
 * gateway) publishes through the one relay, in commit order per document, so the auditors' topic holds each
 * document's chain in sequence. Idempotent: a redelivered cause finds the rows it wrote and writes nothing.
 * A run of one event (applyChanges).
 */
export async function applyChange(db: Db, topicPrefix: string, documentId: string, causeEvent: string, change: Change | null, facts: Facts): Promise<{ rows: StoredStatus[]; ignored: string | null }> {
  const { rows, ignored } = (await applyChanges(db, topicPrefix, [{ documentId, causeEvent, change, facts }]))[0]!
  return { rows, ignored }
}

export type Item = { documentId: string; causeEvent: string; change: Change | null; facts: Facts }

/**
 * applyChange for a consumer run's events at once, in one transaction: the documents locked in id order (so
 * two runs touching the same documents cannot deadlock) and their histories read in one query, each event
 * planned in order against the history as it grows, then the new history rows, their outbox rows and the
 * documents' facts and current status written in one statement each. The same rows as applyChange one event
 * at a time, and as idempotent (a redelivered cause finds its rows). Throws if a document is missing: the
 * consumer then goes event by event, and only the event at fault is retried and dead-lettered.
 */
export async function applyChanges(db: Db, topicPrefix: string, items: readonly Item[]): Promise<{ item: Item; rows: StoredStatus[]; ignored: string | null }[]> {
  const ids = [...new Set(items.map((i) => i.documentId))].sort()
  const merged = new Map<string, MergedFacts>()
  const results: { item: Item; rows: StoredStatus[]; ignored: string | null }[] = []
  if (items.every((i) => !i.change)) {
    // Facts alone: one statement, no history to read, nothing to publish.
    for (const item of items) mergeFacts(merged, item.documentId, item.facts, null)
    const { rowCount } = await db.query(UPDATE_MANY, manyParams(merged))
    if (rowCount !== merged.size) throw new Error(`${merged.size - (rowCount ?? 0)} of the run's documents are not in the document store`)
    return items.map((item) => ({ item, rows: [], ignored: null }))
  }
  return inTransaction(db, async (tx) => {
    const locked = (await tx.query<{ id: string; received_at: Date }>('SELECT id, received_at FROM documents WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [ids])).rows
    if (locked.length !== ids.length) throw new Error(`${ids.length - locked.length} of the run's documents are not in the document store`)
    const receivedAt = new Map(locked.map((r) => [r.id, r.received_at.getTime()]))
    const histories = new Map<string, Row[]>(ids.map((id) => [id, []]))
    for (const r of (await tx.query<Row & { document_id: string }>('SELECT * FROM status_history WHERE document_id = ANY($1::uuid[]) ORDER BY document_id, sequence', [ids])).rows) histories.get(r.document_id)!.push(r)

    const newRows: { documentId: string; row: StatusRow; cause: string }[] = []
    for (const item of items) {
      const history = histories.get(item.documentId)!
      const already = history.filter((r) => r.cause_event === item.causeEvent)
      if (already.length > 0) { results.push({ item, rows: already.map(toStored), ignored: null }); continue }
      if (!item.change) { mergeFacts(merged, item.documentId, item.facts, null); results.push({ item, rows: [], ignored: null }); continue }
      const plan = planChange(history, item.change, receivedAt.get(item.documentId)!)
      const written: StoredStatus[] = []
      let previous: { sequence: number; hash: string | null } | null = history.at(-1) ?? null
      for (const c of plan.append) {
        const cause = c === item.change ? item.causeEvent : `${item.causeEvent}#implied-${c.status}`
        const row = nextRow(item.documentId, previous, { status: c.status, code: statusCodes[c.status as HubStatus], actor: 'hub', at: c.at, reason: c.reason, findings: c.findings })
        newRows.push({ documentId: item.documentId, row, cause })
        // The next event of this document in the run sees this row (its cause too, for a redelivery in the run).
        history.push({ sequence: row.sequence, status: row.status, code: row.code, actor: row.actor, at: new Date(row.at), reason: row.reason, findings: row.findings, cause_event: cause, prev_hash: row.prevHash, hash: row.hash })
        written.push(row)
        previous = row
      }
      mergeFacts(merged, item.documentId, item.facts, written.at(-1) ?? null)
      results.push({ item, rows: written, ignored: plan.ignored })
    }
    if (newRows.length > 0) {
      await insertStatuses(tx, newRows)
      await enqueueMany(tx, topicPrefix, 'status', newRows.map(({ documentId, row }) => ({ eventId: `${documentId}:status:${row.sequence}`, documentId, ...row })))
    }
    if (merged.size > 0) await tx.query(UPDATE_MANY, manyParams(merged))
    return results
  })
}

type MergedFacts = { syntax: string | null; keys: DocumentKeys | null; findings: Finding[]; recipientAddress: string | null; serviceCode: string | null; resubmissionOf: string | null; last: StoredStatus | null }

/** One document's facts over the run's events, in order: a later value replaces an earlier one (COALESCE), findings add up. */
function mergeFacts(merged: Map<string, MergedFacts>, documentId: string, facts: Facts, last: StoredStatus | null) {
  const m = merged.get(documentId) ?? { syntax: null, keys: null, findings: [], recipientAddress: null, serviceCode: null, resubmissionOf: null, last: null }
  const hasFacts = Object.values(facts).some((v) => v !== undefined && v !== null)
  if (!hasFacts && !last && !merged.has(documentId)) return
  m.syntax = facts.syntax ?? m.syntax
  m.keys = facts.keys ?? m.keys
  m.findings = [...m.findings, ...(facts.findings ?? [])]
  m.recipientAddress = facts.recipientAddress ?? m.recipientAddress
  m.serviceCode = facts.serviceCode ?? m.serviceCode
  m.resubmissionOf = facts.resubmissionOf ?? m.resubmissionOf
  m.last = last ?? m.last
  merged.set(documentId, m)
}

// The facts the stages' events bring and the new current status, for many documents (one row each). Findings
// accumulate, whatever order the stages' events arrive in (validation's `validated` and routing's `rejected`
// come on different topics): those already there, or twice in the run, are not appended again.
const UPDATE_MANY = `UPDATE documents SET syntax = COALESCE(v.syntax, documents.syntax), keys = COALESCE(v.keys::jsonb, documents.keys),
  findings = documents.findings || COALESCE((SELECT jsonb_agg(x ORDER BY n) FROM jsonb_array_elements(v.findings::jsonb) WITH ORDINALITY AS t(x, n)
                                             WHERE NOT documents.findings @> jsonb_build_array(x)
                                               AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v.findings::jsonb) WITH ORDINALITY AS e(y, m) WHERE m < n AND y = x)), '[]'::jsonb),
  recipient_address = COALESCE(v.recipient_address, documents.recipient_address), service_code = COALESCE(v.service_code, documents.service_code),
  resubmission_of = COALESCE(v.resubmission_of::uuid, documents.resubmission_of), status = COALESCE(v.status, documents.status), status_at = COALESCE(v.status_at, documents.status_at)
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
       AS v(id, syntax, keys, findings, recipient_address, service_code, resubmission_of, status, status_at)
  WHERE documents.id = v.id`

const manyParams = (merged: Map<string, MergedFacts>) => {
  const rows = [...merged]
  return [
    rows.map(([id]) => id), rows.map(([, m]) => m.syntax), rows.map(([, m]) => (m.keys ? JSON.stringify(m.keys) : null)),
    rows.map(([, m]) => JSON.stringify(m.findings)), rows.map(([, m]) => m.recipientAddress), rows.map(([, m]) => m.serviceCode),
    rows.map(([, m]) => m.resubmissionOf), rows.map(([, m]) => m.last?.status ?? null), rows.map(([, m]) => (m.last ? new Date(m.last.at) : null)),
  ]
}
