// GET /v1/documents (the list) and GET /v1/documents/summary (counts per status) for a partner's dashboard.
import type { Express, RequestHandler, Request, Response } from 'express'
import type { Db } from '../kit/db.js'
import { problem, type Problem } from '../kit/problem.js'
import { statuses, isStatus } from '../../schemas/lifecycle.js'
import type { Principal } from './api-keys.js'
import { encodeCursor, parseFilters, whereClause } from './dashboard.js'

type Helpers = { db: Db; partner: RequestHandler; send: (res: Response, p: Problem) => void }

type Row = {
  id: string; partner_id: string; status: string; received_at: Date; status_at: Date; syntax: string | null
  recipient_address: string | null; keys: { invoiceNumber?: string; issueDate?: string; currency?: string | null; totals?: { payable?: string | null }; seller?: { name?: string | null }; buyer?: { name?: string | null } } | null
}

export function dashboardRoutes(app: Express, { db, partner, send }: Helpers) {
  app.get('/v1/documents', partner, async (req: Request, res: Response) => {
    const { principal } = req as Request & { principal: Principal }
    const filters = parseFilters(req.query as Record<string, unknown>)
    if (!filters.ok) return send(res, problem('INVALID_REQUEST', filters.message))
    const f = filters.value
    const where = whereClause(principal.id, f)
    const params = [...where.params]
    let page = ''
    if (f.cursor) {
      params.push(f.cursor.receivedAt, f.cursor.id)
      page = ` AND (d.received_at, d.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`
    }
    params.push(f.limit + 1)
    const { rows } = await db.query<Row>(
      `SELECT d.id, d.partner_id, d.status, d.received_at, d.status_at, d.syntax, d.recipient_address, d.keys
         FROM documents d WHERE ${where.sql}${page}
        ORDER BY d.received_at DESC, d.id DESC LIMIT $${params.length}`, params)
    const more = rows.length > f.limit
    const items = rows.slice(0, f.limit).map((r) => {
      const sent = r.partner_id === principal.id
      const code = isStatus(r.status) ? statuses[r.status].code : null
      return {
        id: r.id, direction: sent ? 'sent' : 'received', status: r.status, ...(code ? { code } : {}),
        receivedAt: r.received_at.toISOString(), statusAt: r.status_at.toISOString(), syntax: r.syntax,
        invoiceNumber: r.keys?.invoiceNumber ?? null, issueDate: r.keys?.issueDate ?? null,
        counterpart: sent ? (r.recipient_address ?? r.keys?.buyer?.name ?? null) : (r.keys?.seller?.name ?? null),
        amount: r.keys?.totals?.payable ?? null, currency: r.keys?.currency ?? null,
      }
    })
    const last = rows[f.limit - 1]
    res.json({ items, nextCursor: more && last ? encodeCursor(last.received_at, last.id) : null })
  })

  app.get('/v1/documents/summary', partner, async (req: Request, res: Response) => {
    const { principal } = req as Request & { principal: Principal }
    const filters = parseFilters(req.query as Record<string, unknown>)
    if (!filters.ok) return send(res, problem('INVALID_REQUEST', filters.message))
    const where = whereClause(principal.id, filters.value)
    const { rows } = await db.query<{ status: string; n: number }>(`SELECT d.status, count(*)::int AS n FROM documents d WHERE ${where.sql} GROUP BY d.status`, where.params)
    const byStatus = Object.fromEntries(rows.sort((a, b) => a.status.localeCompare(b.status)).map((r) => [r.status, r.n]))
    res.json({ total: rows.reduce((s, r) => s + r.n, 0), byStatus })
  })
}
