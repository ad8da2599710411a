// What every handler of the Chorus Pro-compatible API shares (cpro-routes.ts, cpro-structures.ts): the request once
// its token and technical account were checked, and the answers in Chorus Pro's shape.
import type { Request, Response } from 'express'
import type { Db } from '../kit/db.js'
import type { TechnicalAccount } from './cpro-accounts.js'

/** A call whose bearer token gave the partner and whose `cpro-account` header gave one of its technical accounts. */
export type CproRequest = Request & { cpro: { partnerId: string; account: TechnicalAccount } }

export const SUCCESS = { codeRetour: 0, libelle: 'TRA_MSG_00.000' } as const

/** A refused call, as Chorus Pro answers one: HTTP 400, `codeRetour` non-zero, `libelle` saying why. */
export const refuse = (res: Response, libelle: string, codeRetour = 1) => res.status(400).json({ codeRetour, libelle })

/** The JSON body as an object (connectors POST `{}` when a call takes nothing). */
export const bodyOf = (req: Request) => (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>

/** The integer Chorus Pro names a thing by (cpro_*_ids, 019-cpro-ids.sql), given it the first time it is shown. */
export async function invoiceId(db: Db, documentId: string): Promise<number> {
  // ON CONFLICT DO UPDATE (a no-op) so that the row comes back also when another call gave it an id at the same moment.
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO cpro_invoice_ids (document_id) VALUES ($1) ON CONFLICT (document_id) DO UPDATE SET document_id = EXCLUDED.document_id RETURNING id', [documentId])
  return Number(rows[0]!.id)
}
export async function structureId(db: Db, siret: string): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO cpro_structure_ids (siret) VALUES ($1) ON CONFLICT (siret) DO UPDATE SET siret = EXCLUDED.siret RETURNING id', [siret])
  return Number(rows[0]!.id)
}
export async function serviceId(db: Db, siret: string, code: string): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO cpro_service_ids (siret, code) VALUES ($1, $2) ON CONFLICT (siret, code) DO UPDATE SET code = EXCLUDED.code RETURNING id', [siret, code])
  return Number(rows[0]!.id)
}
