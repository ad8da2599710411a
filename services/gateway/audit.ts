// The admin key's actions, recorded for the operator's auditors: who (principal and key), what (method, route
// pattern and path), on what (the ids the route names), when, and how it ended (the HTTP status). Every
// request authenticated with an admin key is recorded, reads included: reading another tenant's documents is
// an action too. Written when the response is sent, so the outcome is known; a request the client abandoned
// is recorded with status 499 (the client closed the connection, as nginx logs it).
import type { Express, Request, RequestHandler, Response } from 'express'
import type { Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import { problem, type Problem } from '../kit/problem.js'
import type { Principal } from './api-keys.js'

export type AuditEntry = { principalId: string; keyId: string; method: string; route: string; path: string; target: string | null; status: number }

/** What the route acted on: its path parameters, `name=value` separated by spaces (null when it names none). */
export const auditTarget = (params: Record<string, string>) => {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${v}`)
  return parts.length > 0 ? parts.join(' ') : null
}

/** Records the request of an admin principal once its response is finished (or abandoned). */
export function recordWhenDone(db: Db, log: Logger, req: Request, res: Response, principal: Principal) {
  res.once('close', () => {
    const entry: AuditEntry = {
      principalId: principal.id, keyId: principal.keyId, method: req.method,
      // req.route is the matched route (its pattern); a request stopped before one matched keeps its path.
      route: typeof req.route?.path === 'string' ? req.route.path : req.path,
      path: req.path, target: auditTarget(req.params as Record<string, string>),
      status: res.writableFinished ? res.statusCode : 499,
    }
    db.query('INSERT INTO admin_audit (principal_id, key_id, method, route, path, target, status) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [entry.principalId, entry.keyId, entry.method, entry.route, entry.path, entry.target, entry.status])
      // The action has happened; a lost audit row must at least leave a trace in the log with what it was.
      .catch((err) => log.error({ err, audit: entry }, 'admin action not recorded in admin_audit'))
  })
}

type Row = { id: string; at: Date; principal_id: string; principal_name: string | null; key_id: string; method: string; route: string; path: string; target: string | null; status: number }

export function parseAuditQuery(query: Record<string, unknown>): { ok: true; limit: number; before: string | null } | { ok: false; message: string } {
  const limit = query.limit === undefined ? 100 : Number(query.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) return { ok: false, message: '`limit` is a whole number from 1 to 500' }
  const before = query.before === undefined ? null : String(query.before)
  if (before !== null && !/^[1-9][0-9]{0,17}$/.test(before)) return { ok: false, message: '`before` is the `nextBefore` of a previous page (a positive whole number)' }
  return { ok: true, limit, before }
}

export function auditRoutes(app: Express, { db, admin, send }: { db: Db; admin: RequestHandler; send: (res: Response, p: Problem) => void }) {
  // Newest first; `before` pages backwards through the log.
  app.get('/v1/admin/audit', admin, async (req, res) => {
    const q = parseAuditQuery(req.query as Record<string, unknown>)
    if (!q.ok) return send(res, problem('INVALID_REQUEST', q.message))
    const { rows } = await db.query<Row>(
      `SELECT a.id::text, a.at, a.principal_id, p.name AS principal_name, a.key_id, a.method, a.route, a.path, a.target, a.status
         FROM admin_audit a LEFT JOIN partners p ON p.id = a.principal_id
        WHERE ($1::bigint IS NULL OR a.id < $1::bigint) ORDER BY a.id DESC LIMIT $2`, [q.before, q.limit + 1])
    const page = rows.slice(0, q.limit)
    res.json({
      items: page.map((r) => ({
        id: Number(r.id), at: r.at.toISOString(), principal: { id: r.principal_id, name: r.principal_name }, keyId: r.key_id,
        method: r.method, route: r.route, path: r.path, target: r.target, status: r.status,
      })),
      nextBefore: rows.length > q.limit ? page.at(-1)!.id : null,
    })
  })
}
