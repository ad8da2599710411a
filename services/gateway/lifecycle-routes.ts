// Business statuses after delivery, set through the API by the recipient (a partner owning the address the
// document was delivered to) or by the sender: the transition table and who may set what are the contract of
// schemas/lifecycle.ts. The change, its place in the auditors' hash chain and its `document.status` event
// (through the outbox) are written in one transaction, with the document row locked.
import express, { type Express, type RequestHandler, type Request, type Response } from 'express'
import { inTransaction, type Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import { enqueue } from '../kit/outbox.js'
import { problem, type Problem } from '../kit/problem.js'
import { insertStatus, nextRow } from '../kit/status-history.js'
import { allowedNext, isStatus, statuses, type Actor, type Status } from '../../schemas/lifecycle.js'
import type { Principal } from './api-keys.js'
import { NOT_DELIVERED, receivedBy } from './dashboard.js'

type Helpers = { db: Db; log: Logger; topicPrefix: string; partner: RequestHandler; send: (res: Response, p: Problem) => void }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Statuses that tell the other side something is wrong: they must say what (Chorus Pro asks for a "motif"). */
export const reasonRequired: readonly Status[] = ['REFUSEE', 'SUSPENDUE', 'EN_LITIGE', 'APPROUVEE_PARTIELLEMENT']

export type StatusRequest = { status: Status; reason: string | null }

export function parseStatusRequest(body: unknown): { ok: true; value: StatusRequest } | { ok: false; message: string } {
  const b = (body ?? {}) as { status?: unknown; reason?: unknown }
  const settable = (Object.keys(statuses) as Status[]).filter((s) => statuses[s].by !== 'hub')
  if (typeof b.status !== 'string' || !isStatus(b.status) || statuses[b.status].by === 'hub') {
    return { ok: false, message: `\`status\` must be one of ${settable.join(', ')}` }
  }
  if (b.reason !== undefined && b.reason !== null && (typeof b.reason !== 'string' || b.reason.length > 1000)) {
    return { ok: false, message: '`reason` is a string of at most 1000 characters' }
  }
  const reason = typeof b.reason === 'string' && b.reason.trim() !== '' ? b.reason.trim() : null
  if (reason === null && reasonRequired.includes(b.status)) return { ok: false, message: `${b.status} needs a \`reason\` telling the other side what is wrong or missing` }
  return { ok: true, value: { status: b.status, reason } }
}

export function lifecycleRoutes(app: Express, { db, log, topicPrefix, partner, send }: Helpers) {
  app.post('/v1/documents/:id/status', partner, express.json({ limit: '16kb' }), async (req: Request, res: Response) => {
    const principal = (req as Request & { principal: Principal }).principal
    const id = String(req.params.id)
    const notFound = () => send(res, problem('NOT_FOUND', `no document ${id} for this key`))
    if (!UUID.test(id)) return notFound()
    const parsed = parseStatusRequest(req.body)
    if (!parsed.ok) return send(res, problem('INVALID_REQUEST', parsed.message))
    const { status, reason } = parsed.value

    const outcome = await setBusinessStatus(db, topicPrefix, { documentId: id, partnerId: principal.id, status, reason, by: `api:${principal.id}` })

    if (outcome.kind === 'not-found') return notFound()
    if (outcome.kind === 'conflict') {
      const { current, actor, allowed, byOther } = outcome
      const why = byOther ? `${status} is set by the ${statuses[status].by}, not the ${actor}` : `${current} → ${status} is not allowed`
      return send(res, problem('TRANSITION_NOT_ALLOWED', `${why}; from ${current} the ${actor} may set: ${allowed.join(', ') || 'nothing (final status)'}`, { current, allowed }))
    }
    log.info({ documentId: id, status, actor: outcome.row.actor, sequence: outcome.row.sequence }, 'business status set')
    const { row } = outcome
    res.json({ id, status: row.status, ...(row.code ? { code: row.code } : {}), sequence: row.sequence, actor: row.actor, at: new Date(row.at).toISOString(), ...(row.reason ? { reason: row.reason } : {}) })
  })
}

export type StatusOutcome =
  | { kind: 'not-found' }
  | { kind: 'conflict'; current: string; actor: Actor; allowed: Status[]; byOther: boolean }
  | { kind: 'done'; row: ReturnType<typeof nextRow> }

/**
 * A business status set by `partnerId` on a document it sent or received (as its sender or its recipient, whichever
 * the status is set by): the transition checked against schemas/lifecycle.ts, then the change, its place in the hash
 * chain and its `document.status` event in one transaction, the document row locked. `by` names the way in, for the
 * idempotency of the status event (`api:<partner>`, `cpro:<partner>`).
 */
export async function setBusinessStatus(db: Db, topicPrefix: string, request: { documentId: string; partnerId: string; status: Status; reason: string | null; by: string }): Promise<StatusOutcome> {
  const { documentId: id, partnerId, status, reason } = request
  return inTransaction(db, async (tx) => {
    const doc = (await tx.query<{ partner_id: string; recipient_address: string | null; status: string; is_recipient: boolean; payment_status_managed: boolean | null }>(
      `SELECT d.partner_id, d.recipient_address, d.status,
              (${receivedBy('$2', '$3')}) AS is_recipient,
              (SELECT s.payment_status_managed FROM structures s
                WHERE d.recipient_address LIKE '0009:%' AND s.siret = substr(d.recipient_address, 6)) AS payment_status_managed
         FROM documents d WHERE d.id = $1 FOR UPDATE`, [id, partnerId, NOT_DELIVERED])).rows[0]
    const roles: Actor[] = []
    if (doc?.partner_id === partnerId) roles.push('sender')
    if (doc?.is_recipient) roles.push('recipient')
    if (!doc || roles.length === 0) return { kind: 'not-found' as const }
    const actor: Actor = roles.includes(statuses[status].by) ? statuses[status].by : roles[0]!
    const context = { paymentStatusManaged: doc.payment_status_managed === true }
    const allowed = allowedNext(doc.status, actor, context)
    if (!allowed.includes(status)) return { kind: 'conflict' as const, current: doc.status, actor, allowed, byOther: statuses[status].by !== actor }
    const last = (await tx.query<{ sequence: number; hash: string | null }>(
      'SELECT sequence, hash FROM status_history WHERE document_id = $1 ORDER BY sequence DESC LIMIT 1', [id])).rows[0] ?? null
    const row = nextRow(id, last, { status, code: statuses[status].code, actor, at: Date.now(), reason, findings: [] })
    await insertStatus(tx, id, row, `${request.by}:${row.sequence}`)
    await tx.query('UPDATE documents SET status = $2, status_at = $3 WHERE id = $1', [id, status, new Date(row.at)])
    await enqueue(tx, topicPrefix, 'status', { eventId: `${id}:status:${row.sequence}`, documentId: id, ...row })
    return { kind: 'done' as const, row }
  })
}
