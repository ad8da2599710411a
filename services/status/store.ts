// The status service's PostgreSQL side: one transaction per change, the document row locked so concurrent
// events of one document (they arrive on different topics) append in a single order.
import { inTransaction, type Db } from '../kit/db.js'
import { enqueue } from '../kit/outbox.js'
import type { Finding, DocumentKeys } from '../../schemas/events.js'
import { planChange, statusCodes, type Change, type HubStatus } from './lifecycle.js'
import { insertStatus, nextRow, type StatusRow } from '../kit/status-history.js'

export type StoredStatus = StatusRow

export type Facts = { syntax?: string; keys?: DocumentKeys; findings?: Finding[]; recipientAddress?: string; serviceCode?: string | null; resubmissionOf?: string | null }

type Row = { sequence: number; status: string; code: string | null; actor: string; at: Date; reason: string | null; findings: Finding[]; cause_event: string; prev_hash: string | null; hash: string | null }

const toStored = (r: Row): StoredStatus => ({ sequence: r.sequence, status: r.status, code: r.code, actor: r.actor, at: r.at.getTime(), reason: r.reason, findings: r.findings, prevHash: r.prev_hash, hash: r.hash })

/**
 * Applies `change` (caused by event `causeEvent`) to the document, and queues each new status row for
 * `document.status` in the same transaction (outbox): every writer of the history (this service and the
 * gateway) publishes through the one relay, in commit order per document, so the auditors' topic holds each
 * document's chain in sequence. Idempotent: a redelivered cause finds the rows it wrote and writes nothing.
 */
export async function applyChange(db: Db, topicPrefix: string, documentId: string, causeEvent: string, change: Change | null, facts: Facts): Promise<{ rows: StoredStatus[]; ignored: string | null }> {
  return inTransaction(db, async (tx) => {
    const doc = (await tx.query<{ received_at: Date }>('SELECT received_at FROM documents WHERE id = $1 FOR UPDATE', [documentId])).rows[0]
    if (!doc) throw new Error(`document ${documentId} is not in the document store`)
    const history = (await tx.query<Row>('SELECT * FROM status_history WHERE document_id = $1 ORDER BY sequence', [documentId])).rows
    const already = history.filter((r) => r.cause_event === causeEvent)
    if (already.length > 0) return { rows: already.map(toStored), ignored: null }

    if (Object.values(facts).some((v) => v !== undefined && v !== null)) {
      // Findings accumulate, whatever order the stages' events arrive in (validation's `validated` and routing's
      // `rejected` come on different topics): each new finding is appended once.
      await tx.query(`UPDATE documents SET syntax = COALESCE($2, syntax), keys = COALESCE($3, keys),
        findings = findings || COALESCE((SELECT jsonb_agg(x ORDER BY n) FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS t(x, n)
                                         WHERE NOT documents.findings @> jsonb_build_array(x)), '[]'::jsonb),
        recipient_address = COALESCE($5, recipient_address), service_code = COALESCE($6, service_code), resubmission_of = COALESCE($7, resubmission_of) WHERE id = $1`,
        [documentId, facts.syntax ?? null, facts.keys ? JSON.stringify(facts.keys) : null, facts.findings ? JSON.stringify(facts.findings) : null,
          facts.recipientAddress ?? null, facts.serviceCode ?? null, facts.resubmissionOf ?? null])
    }
    if (!change) return { rows: [], ignored: null }
    const plan = planChange(history, change, doc.received_at.getTime())
    const written: StoredStatus[] = []
    let previous: { sequence: number; hash: string | null } | null = history.at(-1) ?? null
    for (const c of plan.append) {
      // An implied DEPOSEE gets its own cause id, so the `received` event arriving later adds nothing.
      const cause = c === change ? causeEvent : `${causeEvent}#implied-${c.status}`
      const row = nextRow(documentId, previous, { status: c.status, code: statusCodes[c.status as HubStatus], actor: 'hub', at: c.at, reason: c.reason, findings: c.findings })
      await insertStatus(tx, documentId, row, cause)
      await enqueue(tx, topicPrefix, 'status', { eventId: `${documentId}:status:${row.sequence}`, documentId, ...row })
      written.push(row)
      previous = row
    }
    const last = written.at(-1)
    if (last) await tx.query('UPDATE documents SET status = $2, status_at = $3 WHERE id = $1', [documentId, last.status, new Date(last.at)])
    return { rows: written, ignored: plan.ignored }
  })
}

