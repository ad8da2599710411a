// The sellers a partner may send for (routing refuses the others): its own addresses, plus a list the operator
// sets, e.g. the SIRETs of the clients an operator sends for. Replaced as a whole by PUT (idempotent).
import express, { type Express, type RequestHandler, type Response } from 'express'
import { inTransaction, type Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import { problem, type Problem } from '../kit/problem.js'
import { parseAddress, type Parsed } from './participants.js'
import { parseSiret } from './structures.js'
import { findPrincipal } from './key-routes.js'

type Helpers = { db: Db; log: Logger; admin: RequestHandler; send: (res: Response, p: Problem) => void }

/** `{"sellers": ["0009:<siret>", "<scheme>:<value>", …]}` → normalised, de-duplicated addresses (SIRETs Luhn-checked). */
export function parseSellers(body: unknown): Parsed<string[]> {
  const b = (body ?? {}) as { sellers?: unknown }
  if (!Array.isArray(b.sellers) || b.sellers.some((s) => typeof s !== 'string') || b.sellers.length > 10_000) {
    return { ok: false, message: '`sellers` is required: an array (at most 10 000) of seller identifiers scheme:value, e.g. ["0009:73282932000074"]' }
  }
  const out: string[] = []
  for (const raw of b.sellers as string[]) {
    const a = parseAddress(raw)
    if (!a.ok) return a
    if (a.value.startsWith('0009:')) {
      const siret = parseSiret(a.value.slice(5))
      if (!siret.ok) return siret
    }
    if (!out.includes(a.value)) out.push(a.value)
  }
  return { ok: true, value: out }
}

/** A partner's addresses (where it receives and sends from) and the sellers it is bound to. */
export async function bindings(db: Db, partnerId: string) {
  const addresses = (await db.query<{ address: string }>('SELECT address FROM partner_addresses WHERE partner_id = $1 ORDER BY address', [partnerId])).rows.map((r) => r.address)
  const sellers = (await db.query<{ seller: string }>('SELECT seller FROM partner_sellers WHERE partner_id = $1 ORDER BY seller', [partnerId])).rows.map((r) => r.seller)
  return { partnerId, addresses, sellers }
}

/**
 * Replaces the sellers partner `id` is bound to with those of `body` (`{"sellers": [...]}`, parseSellers): the admin
 * API's PUT /v1/partners/{id}/sellers and the operator's page. The bindings after, or the problem to answer.
 */
export async function setSellers(db: Db, log: Logger, id: string, body: unknown): Promise<{ ok: true; value: Awaited<ReturnType<typeof bindings>> } | { ok: false; problem: Problem }> {
  const partner = await findPrincipal(db, id)
  if (!partner) return { ok: false, problem: problem('NOT_FOUND', `no partner ${id}`) }
  if (partner.role !== 'partner') return { ok: false, problem: problem('INVALID_REQUEST', 'the admin sends no documents; bind sellers to a partner') }
  const sellers = parseSellers(body)
  if (!sellers.ok) return { ok: false, problem: problem('INVALID_REQUEST', sellers.message) }
  await inTransaction(db, async (tx) => {
    await tx.query('DELETE FROM partner_sellers WHERE partner_id = $1', [partner.id])
    if (sellers.value.length > 0) await tx.query('INSERT INTO partner_sellers (partner_id, seller) SELECT $1, unnest($2::text[])', [partner.id, sellers.value])
  })
  log.info({ partnerId: partner.id, sellers: sellers.value.length }, 'partner sellers set')
  return { ok: true, value: await bindings(db, partner.id) }
}

export function sellerRoutes(app: Express, { db, log, admin, send }: Helpers) {
  app.get('/v1/partners/:id/sellers', admin, async (req, res) => {
    const id = String(req.params.id)
    const partner = await findPrincipal(db, id)
    if (!partner) return send(res, problem('NOT_FOUND', `no partner ${id}`))
    res.json(await bindings(db, partner.id))
  })

  app.put('/v1/partners/:id/sellers', admin, express.json({ limit: '1mb' }), async (req, res) => {
    const outcome = await setSellers(db, log, String(req.params.id), req.body)
    if (!outcome.ok) return send(res, outcome.problem)
    res.json(outcome.value)
  })
}
