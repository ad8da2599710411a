// API keys over the API: a principal rotates the key it calls with; the admin lists, rotates and revokes any
// principal's keys. Keys are shown once, when issued; lists show ids and dates, never hashes.
import type { Express, Request, RequestHandler, Response } from 'express'
import { inTransaction, type Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import { problem, type Problem } from '../kit/problem.js'
import { listKeys, revokeKey, rotateKeys, type Principal } from './api-keys.js'

type Helpers = { db: Db; log: Logger; graceSeconds: number; any: RequestHandler; admin: RequestHandler; send: (res: Response, p: Problem) => void }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The principal named by `:id`, or null (a malformed id is just as unknown as a missing one). */
export async function findPrincipal(db: Db, id: string): Promise<{ id: string; name: string; role: string } | null> {
  if (!UUID.test(id)) return null
  return (await db.query<{ id: string; name: string; role: string }>('SELECT id, name, role FROM partners WHERE id = $1', [id])).rows[0] ?? null
}

export function keyRoutes(app: Express, { db, log, graceSeconds, any, admin, send }: Helpers) {
  const noPartner = (res: Response, id: string) => send(res, problem('NOT_FOUND', `no partner ${id}`))

  // The caller's own key: a new key, and the calling key keeps working for the grace period.
  app.post('/v1/keys\\:rotate', any, async (req: Request, res: Response) => {
    const { principal } = req as Request & { principal: Principal }
    const rotated = await inTransaction(db, (tx) => rotateKeys(tx, principal.id, graceSeconds, principal.keyId))
    log.info({ partnerId: principal.id, keyId: rotated.id, replaced: rotated.replaced }, 'API key rotated by its holder')
    res.status(201).json({ id: rotated.id, apiKey: rotated.apiKey, createdAt: rotated.createdAt.toISOString(), replaced: rotated.replaced })
  })

  app.get('/v1/partners/:id/keys', admin, async (req, res) => {
    const id = String(req.params.id)
    const partner = await findPrincipal(db, id)
    if (!partner) return noPartner(res, id)
    res.json({ partnerId: partner.id, keys: await listKeys(db, partner.id) })
  })

  // The admin rotates a principal's keys: every key still working expires after the grace period.
  app.post('/v1/partners/:id/keys', admin, async (req, res) => {
    const id = String(req.params.id)
    const partner = await findPrincipal(db, id)
    if (!partner) return noPartner(res, id)
    const rotated = await inTransaction(db, (tx) => rotateKeys(tx, partner.id, graceSeconds))
    log.info({ partnerId: partner.id, keyId: rotated.id, replaced: rotated.replaced }, 'API key issued by the admin')
    res.status(201).json({ id: rotated.id, apiKey: rotated.apiKey, createdAt: rotated.createdAt.toISOString(), replaced: rotated.replaced })
  })

  app.delete('/v1/partners/:id/keys/:keyId', admin, async (req, res) => {
    const id = String(req.params.id)
    const keyId = String(req.params.keyId)
    const partner = await findPrincipal(db, id)
    if (!partner) return noPartner(res, id)
    const outcome = UUID.test(keyId) ? await inTransaction(db, (tx) => revokeKey(tx, partner.id, keyId)) : { outcome: 'not-found' as const }
    if (outcome.outcome === 'not-found') return send(res, problem('NOT_FOUND', `partner ${partner.id} has no key ${keyId}`))
    if (outcome.outcome === 'last-admin-key') {
      return send(res, problem('CONFLICT', `key ${keyId} is the last working admin key; issue another one first (POST /v1/partners/${partner.id}/keys), then revoke this one`))
    }
    log.info({ partnerId: partner.id, keyId }, 'API key revoked')
    res.json(outcome.key)
  })
}
