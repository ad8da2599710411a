// The partners' dashboard (Chorus Pro's "tableau de bord" and "synthèse"): their own documents, sent or
// received, filtered and paginated, and counts per status. A recipient sees a document only once it was
// delivered to one of its addresses (MISE_A_DISPOSITION and the business statuses after it).
import type { Parsed } from './participants.js'
import { parseAddress } from './participants.js'
import { isStatus } from '../../schemas/lifecycle.js'

export type Filters = {
  status: string[]
  direction: 'sent' | 'received' | null
  counterpart: string | null
  from: Date | null
  to: Date | null
  cursor: { receivedAt: string; id: string } | null
  limit: number
}

/** Statuses a recipient never sees: the document has not reached it. */
export const NOT_DELIVERED = ['DEPOSEE', 'REJETEE', 'A_RECYCLER', 'ECHEC_DISTRIBUTION', 'EN_ERREUR', 'RELANCEE']

/**
 * SQL condition on document `d`: the partner (parameter `partner`) received it — delivered to one of its
 * addresses (parameter `notDelivered` bound to NOT_DELIVERED). The one definition of what a recipient sees,
 * used by the dashboard, the document, content and receipts routes, and the status route.
 */
export const receivedBy = (partner: string, notDelivered: string, alias = 'd') =>
  `${alias}.recipient_address IN (SELECT address FROM partner_addresses WHERE partner_id = ${partner}) AND ${alias}.status <> ALL(${notDelivered})`

/**
 * SQL condition on document `d`: sent by the partner (parameter `partner`) for one of its structures (parameter
 * `structures`, SIRETs): sold by one of them (the seller's legal id, else its endpoint id), or deposited for one of
 * them (`depositedFor`, a further condition: through a technical account, in the portal). What a Chorus Pro
 * technical account and a portal person see as a supplier.
 */
export const soldBy = (partner: string, structures: string, depositedFor = 'false', alias = 'd') =>
  `${alias}.partner_id = ${partner} AND (coalesce(${alias}.keys->'seller'->'legalId'->>'value', ${alias}.keys->'seller'->'endpoint'->>'value') = ANY(${structures}) OR ${depositedFor})`

/**
 * SQL condition on document `d`: delivered to one of the structures where the partner receives (receivedBy,
 * narrowed to those structures' addresses: parameter `addresses`, `0009:<siret>` each — see `structureAddresses`).
 * What a technical account and a portal person see as a recipient. Compared as whole addresses, so that the
 * planner can use the address index (a `substr` of it made every received list a sequential scan: bench/portal.ts).
 */
export const receivedAt = (partner: string, notDelivered: string, addresses: string, alias = 'd') =>
  `${receivedBy(partner, notDelivered, alias)} AND ${alias}.recipient_address = ANY(${addresses})`

/** The electronic addresses of structures given by SIRET (the parameter `receivedAt` takes). */
export const structureAddresses = (sirets: readonly string[]) => sirets.map((s) => `0009:${s}`)

const one = (q: Record<string, unknown>, key: string): string | null => {
  const v = q[key]
  if (v === undefined) return null
  return Array.isArray(v) ? String(v.at(-1)) : String(v)
}

function parseInstant(raw: string, name: string, endOfDay: boolean): Parsed<Date> {
  // A date alone is a whole day (from: its start, to: its end), in UTC.
  const text = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z` : raw
  const d = new Date(text)
  return Number.isNaN(d.getTime()) ? { ok: false, message: `\`${name}\` must be a date (2026-11-24) or an ISO 8601 instant, not '${raw}'` } : { ok: true, value: d }
}

export const encodeCursor = (receivedAt: Date, id: string) => Buffer.from(`${receivedAt.toISOString()}|${id}`, 'utf8').toString('base64url')

export function parseFilters(query: Record<string, unknown>): Parsed<Filters> {
  // `status=A,B` and `status=A&status=B` alike.
  const rawStatus = query.status === undefined ? [] : Array.isArray(query.status) ? query.status.map(String) : [String(query.status)]
  const status = rawStatus.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean)
  const unknown = status.filter((s) => !isStatus(s))
  if (unknown.length > 0) return { ok: false, message: `unknown status ${unknown.join(', ')}` }
  const direction = one(query, 'direction')
  if (direction !== null && direction !== 'sent' && direction !== 'received') return { ok: false, message: '`direction` is sent or received' }
  let counterpart: string | null = null
  const c = one(query, 'counterpart')
  if (c !== null) {
    const a = parseAddress(c)
    if (!a.ok) return { ok: false, message: `\`counterpart\`: ${a.message}` }
    counterpart = a.value
  }
  const range: { from: Date | null; to: Date | null } = { from: null, to: null }
  for (const key of ['from', 'to'] as const) {
    const raw = one(query, key)
    if (raw === null) continue
    const p = parseInstant(raw, key, key === 'to')
    if (!p.ok) return p
    range[key] = p.value
  }
  let cursor: Filters['cursor'] = null
  const rawCursor = one(query, 'cursor')
  if (rawCursor !== null) {
    const [receivedAt, id] = Buffer.from(rawCursor, 'base64url').toString('utf8').split('|')
    if (!receivedAt || !id || Number.isNaN(new Date(receivedAt).getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) return { ok: false, message: '`cursor` is not one this API gave' }
    cursor = { receivedAt, id }
  }
  const rawLimit = one(query, 'limit')
  const limit = rawLimit === null ? 50 : Number(rawLimit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) return { ok: false, message: '`limit` is a whole number from 1 to 200' }
  return { ok: true, value: { status, direction: direction as Filters['direction'], counterpart, ...range, cursor, limit } }
}

/**
 * The WHERE clause of a partner's documents under `filters` (parameters from $1: the partner id).
 * Sent: posted by the partner. Received: delivered to one of its addresses. The counterpart is, for a sent
 * document, its recipient address; for a received one, an address of its sender or its seller identifier.
 */
export function whereClause(partnerId: string, f: Pick<Filters, 'status' | 'direction' | 'counterpart' | 'from' | 'to'>): { sql: string; params: unknown[] } {
  const params: unknown[] = [partnerId]
  const p = (v: unknown) => { params.push(v); return `$${params.length}` }
  const sent = 'd.partner_id = $1'
  const received = () => receivedBy('$1', p(NOT_DELIVERED))
  const parts: string[] = []
  if (f.direction === 'sent') parts.push(sent)
  else if (f.direction === 'received') parts.push(received())
  else parts.push(`((${sent}) OR (${received()}))`)
  if (f.counterpart !== null) {
    const c = p(f.counterpart)
    parts.push(`((d.partner_id = $1 AND d.recipient_address = ${c}) OR (d.partner_id <> $1 AND (${c} IN (SELECT address FROM partner_addresses WHERE partner_id = d.partner_id)
      OR lower(concat(d.keys->'seller'->'legalId'->>'scheme', ':', d.keys->'seller'->'legalId'->>'value')) = ${c}
      OR lower(concat(d.keys->'seller'->'endpoint'->>'scheme', ':', d.keys->'seller'->'endpoint'->>'value')) = ${c})))`)
  }
  if (f.status.length > 0) parts.push(`d.status = ANY(${p(f.status)})`)
  if (f.from) parts.push(`d.received_at >= ${p(f.from)}`)
  if (f.to) parts.push(`d.received_at <= ${p(f.to)}`)
  return { sql: parts.join(' AND '), params }
}
