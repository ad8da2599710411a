// What the operator's pages share: their own sub-navigation under the portal's "Operator" item, the record of
// every operator action (portal_events, kind `operator.*`, the operator as actor) read back to show an outcome
// after a redirect, and small formatting helpers. The pages themselves: admin-routes.ts (people),
// admin-health.ts, admin-operations.ts (dead letters, deliveries), admin-directory.ts, admin-partners.ts.
import express, { type Request, type Response } from 'express'
import { html, type Html } from './html.js'
import { ctx, render, type Ctx, type PortalDeps } from './context.js'
import { record } from './people.js'
import { adminMessages, type AdminMessages } from './admin-i18n.js'
import type { Notice } from './layout.js'
import type { ReadinessCheck } from '../../kit/health.js'
import { inTransaction, type Db } from '../../kit/db.js'

/** The portal's dependencies, with the gateway's readiness checks (the same as GET /readyz) for the health page. */
export type AdminDeps = PortalDeps & { checks?: Record<string, ReadinessCheck> }

export type Section = 'health' | 'people' | 'partners' | 'directory' | 'deadLetters' | 'deliveries'
export const sectionPath: Record<Section, string> = {
  health: '/portal/admin/health', people: '/portal/admin', partners: '/portal/admin/partners',
  directory: '/portal/admin/directory', deadLetters: '/portal/admin/dead-letters', deliveries: '/portal/admin/deliveries',
}
const order: Section[] = ['health', 'people', 'partners', 'directory', 'deadLetters', 'deliveries']

export const am = (req: Request): AdminMessages => adminMessages[ctx(req).lang]

// Forms of the operator's pages may carry a selection of many rows (one `ids` field each).
export const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 1100 })
export { field } from './context.js'
export const fields = (req: Request, name: string): string[] => {
  const v = (req.body as Record<string, unknown> | undefined)?.[name]
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string').map((x) => x.trim()).filter(Boolean)
}
export const one = (req: Request, name: string): string => {
  const v = (req.query as Record<string, unknown>)[name]
  return typeof v === 'string' ? v.trim() : Array.isArray(v) && typeof v.at(-1) === 'string' ? String(v.at(-1)).trim() : ''
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const when = (d: Date | string | null, lang: string) =>
  d === null ? '' : new Date(d).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'medium' })
export const count = (n: number, lang: string) => new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB').format(n)

/** Who did it, as the document's history and the replay columns say it (the CLI says `operator '<user>' (cli)`). */
export const operatorName = (c: Ctx) => `operator '${c.person!.name}' (portal)`

/** The operator pages' own navigation, inside the page (the portal's menu has one "Operator" item). */
export function adminNav(a: AdminMessages, current: Section): Html {
  return html`<nav class="subnav" aria-label="${a.navLabel}"><ul>${order.map((s) =>
    html`<li><a href="${sectionPath[s]}"${s === current ? html` aria-current="page"` : ''}>${a.sections[s]}</a></li>`)}</ul></nav>`
}

/** An operator page: the section's title, the sub-navigation, the body. */
export function operatorPage(req: Request, res: Response, p: { section: Section; body: Html | Html[]; notice?: Notice; status?: number; title?: string }) {
  const a = am(req)
  render(req, res, { title: p.title ?? a.sections[p.section], current: 'admin', notice: p.notice ?? null, status: p.status, body: [adminNav(a, p.section), ...(Array.isArray(p.body) ? p.body : [p.body])] })
}

export type OperatorKind = 'operator.dlq.replay' | 'operator.deliveries.retry' | 'operator.directory.import' | 'operator.key.issued' | 'operator.key.rotated' | 'operator.key.revoked'
  | 'operator.partner.created' | 'operator.partner.sellers'

/** Records an operator's action (portal_events, actor = the operator); its id, to show the outcome after a redirect. */
export async function recordAction(db: Db, c: Ctx, kind: OperatorKind, outcome: 'ok' | 'failed', detail: Record<string, unknown>): Promise<string> {
  return inTransaction(db, async (tx) => {
    await record(tx, { kind, outcome, actorId: c.person!.id, address: c.address, detail })
    // currval is the session's own: the row just inserted, whatever other sessions insert meanwhile.
    return String((await tx.query<{ id: string }>(`SELECT currval(pg_get_serial_sequence('portal_events', 'id')) AS id`)).rows[0]!.id)
  })
}

/** An operator action of `kind` by its id (`?done=<id>` after a redirect), with who did it. */
export async function actionById<T>(db: Db, kind: OperatorKind, id: string): Promise<{ at: Date; by: string | null; detail: T } | null> {
  if (!/^\d{1,18}$/.test(id)) return null
  const row = (await db.query<{ at: Date; by: string | null; detail: T }>(
    'SELECT e.at, p.name AS by, e.detail FROM portal_events e LEFT JOIN people p ON p.id = e.actor_id WHERE e.id = $1 AND e.kind = $2', [id, kind])).rows[0]
  return row ?? null
}

/** The query string of the non-empty `params`, for a redirect that keeps a list's filters. */
export const withQuery = (path: string, params: Record<string, string>) => {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ''))
  return q.size > 0 ? `${path}?${q}` : path
}
