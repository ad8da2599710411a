// The documents a person sees, through their structures, by the hub's own rules (dashboard.ts soldBy and
// receivedAt, which the Chorus Pro API's technical accounts use too): as a supplier, what their partner sent for
// one of their structures (sold by it, or deposited for it in the portal); as a buyer, what was delivered to one of
// their structures. Filters are what a supplier and a public buyer's clerk search by.
import type { Db } from '../../kit/db.js'
import type { DocumentKeys, Finding } from '../../../schemas/events.js'
import { isStatus } from '../../../schemas/lifecycle.js'
import { NOT_DELIVERED, receivedAt, soldBy, structureAddresses } from '../dashboard.js'
import type { Membership } from './people.js'

export type Side = 'sent' | 'received'
export type ListFilters = {
  structure: string | null; status: string | null; party: string | null; service: string | null; commitment: string | null
  from: string | null; to: string | null; min: number | null; max: number | null; before: { at: string; id: string } | null
}
export type ListRow = {
  id: string; status: string; received_at: Date; keys: DocumentKeys | null; recipient_address: string | null; service_code: string | null
  file_name: string | null; syntax: string | null
}

const day = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null)
const text = (v: unknown, max = 100) => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : null)
const amount = (v: unknown) => (typeof v === 'string' && /^-?\d{1,15}([.,]\d{1,4})?$/.test(v.trim()) ? Number(v.trim().replace(',', '.')) : null)

/** The filters of a list page from its query string; anything malformed is ignored (a filter form, not an API). */
export function parseListFilters(q: Record<string, unknown>): ListFilters {
  const before = typeof q.before === 'string' ? Buffer.from(q.before, 'base64url').toString('utf8').split('|') : []
  return {
    structure: typeof q.structure === 'string' && /^\d{14}$/.test(q.structure) ? q.structure : null,
    status: typeof q.status === 'string' && isStatus(q.status) ? q.status : null,
    party: text(q.party), service: text(q.service), commitment: text(q.commitment),
    from: day(q.from), to: day(q.to), min: amount(q.min), max: amount(q.max),
    before: before.length === 2 && !Number.isNaN(Date.parse(before[0]!)) && /^[0-9a-f-]{36}$/.test(before[1]!) ? { at: before[0]!, id: before[1]! } : null,
  }
}
export const cursorOf = (r: ListRow) => Buffer.from(`${r.received_at.toISOString()}|${r.id}`, 'utf8').toString('base64url')

/**
 * The SQL condition "the person sees d on this side", over their memberships (grouped by partner), narrowed to
 * one structure when asked. `p` adds a parameter and returns its placeholder.
 */
export function visibleTo(memberships: Membership[], side: Side, p: (v: unknown) => string, structure: string | null = null): string {
  const byPartner = new Map<string, string[]>()
  for (const m of memberships) {
    if (structure !== null && m.siret !== structure) continue
    if (side === 'received' && !m.receives) continue
    byPartner.set(m.partnerId, [...(byPartner.get(m.partnerId) ?? []), m.siret])
  }
  if (byPartner.size === 0) return 'false'
  const parts = [...byPartner].map(([partner, sirets]) => {
    const pp = p(partner)
    if (side === 'received') return `(${receivedAt(pp, p(NOT_DELIVERED), p(structureAddresses(sirets)))})`
    const ps = p(sirets)
    // The portal's deposits as an array, not an `IN (subquery)`: inside the OR, a subquery became a hashed
    // SubPlan that kept the planner off the seller index (bench/portal.ts).
    return `(${soldBy(pp, ps, `d.id = ANY(ARRAY(SELECT document_id FROM portal_deposits WHERE partner_id = ${pp} AND siret = ANY(${ps})))`)})`
  })
  return `(${parts.join(' OR ')})`
}

export async function listDocuments(db: Db, memberships: Membership[], side: Side, f: ListFilters, limit = 50): Promise<ListRow[]> {
  const params: unknown[] = []
  const p = (v: unknown) => { params.push(v); return `$${params.length}` }
  const where = [visibleTo(memberships, side, p, f.structure)]
  if (f.status) where.push(`d.status = ${p(f.status)}`)
  if (f.party) {
    const party = side === 'received' ? `d.keys->'seller'` : `d.keys->'buyer'`
    const like = p(`%${f.party.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
    where.push(`(${party}->>'name' ILIKE ${like} OR ${party}->'legalId'->>'value' ILIKE ${like} OR ${side === 'sent' ? `d.recipient_address ILIKE ${like}` : 'false'})`)
  }
  if (f.service) where.push(`coalesce(d.service_code, d.keys->>'buyerReference') = ${p(f.service)}`)
  if (f.commitment) where.push(`d.keys->>'orderReference' = ${p(f.commitment)}`)
  if (f.from) where.push(`d.received_at >= (${p(f.from)}::date::timestamp AT TIME ZONE 'Europe/Paris')`)
  if (f.to) where.push(`d.received_at < ((${p(f.to)}::date + 1)::timestamp AT TIME ZONE 'Europe/Paris')`)
  const total = `(CASE WHEN d.keys->'totals'->>'taxInclusive' ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN (d.keys->'totals'->>'taxInclusive')::numeric END)`
  if (f.min !== null) where.push(`${total} >= ${p(f.min)}`)
  if (f.max !== null) where.push(`${total} <= ${p(f.max)}`)
  if (f.before) where.push(`(d.received_at, d.id) < (${p(f.before.at)}::timestamptz, ${p(f.before.id)}::uuid)`)
  const { rows } = await db.query<ListRow>(
    `SELECT d.id, d.status, d.received_at, d.keys, d.recipient_address, d.service_code, d.syntax, pd.file_name
       FROM documents d LEFT JOIN portal_deposits pd ON pd.document_id = d.id
      WHERE ${where.join(' AND ')} ORDER BY d.received_at DESC, d.id DESC LIMIT ${p(limit + 1)}`, params)
  return rows
}

export type DocumentRow = ListRow & {
  findings: Finding[]; content_type: string; container: Record<string, unknown> | null; partner_id: string
  /** The membership the person sees it through, on each side (a document may be both sent and received by them). */
  sentBy: Membership | null; receivedBy: Membership | null; payment_status_managed: boolean | null
}

/** One document if the person sees it, with the membership it is seen through on each side; else null. */
export async function documentFor(db: Db, memberships: Membership[], id: string): Promise<DocumentRow | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null
  const params: unknown[] = [id]
  const p = (v: unknown) => { params.push(v); return `$${params.length}` }
  const sent = visibleTo(memberships, 'sent', p)
  const received = visibleTo(memberships, 'received', p)
  const row = (await db.query<Omit<DocumentRow, 'sentBy' | 'receivedBy'> & { seen_sent: boolean; seen_received: boolean }>(
    `SELECT d.id, d.status, d.received_at, d.keys, d.recipient_address, d.service_code, d.syntax, d.findings, d.content_type, d.container, d.partner_id,
            pd.file_name, pd.siret AS deposited_for, ${sent} AS seen_sent, ${received} AS seen_received,
            (SELECT s.payment_status_managed FROM structures s WHERE d.recipient_address LIKE '0009:%' AND s.siret = substr(d.recipient_address, 6)) AS payment_status_managed
       FROM documents d LEFT JOIN portal_deposits pd ON pd.document_id = d.id WHERE d.id = $1`, params)).rows[0]
  if (!row || (!row.seen_sent && !row.seen_received)) return null
  const seller = row.keys?.seller?.legalId?.value ?? row.keys?.seller?.endpoint?.value ?? null
  const depositedFor = (row as unknown as { deposited_for: string | null }).deposited_for
  const sentBy = row.seen_sent ? memberships.find((m) => m.partnerId === row.partner_id && (m.siret === seller || m.siret === depositedFor)) ?? null : null
  const receivedBy = row.seen_received ? memberships.find((m) => m.receives && row.recipient_address === `0009:${m.siret}`) ?? null : null
  return { ...row, sentBy, receivedBy }
}

export async function historyOf(db: Db, id: string) {
  return (await db.query<{ sequence: number; status: string; code: string | null; actor: string; at: Date; reason: string | null }>(
    'SELECT sequence, status, code, actor, at, reason FROM status_history WHERE document_id = $1 ORDER BY sequence', [id])).rows
}

export async function receiptsOf(db: Db, id: string) {
  return (await db.query<{ sequence: number; status: string; kind: string; response_code: string }>(
    'SELECT sequence, status, kind, response_code FROM receipts WHERE document_id = $1 ORDER BY sequence', [id])).rows
}
