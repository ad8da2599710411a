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

/**
 * The integers Chorus Pro names things by (cpro_*_ids, 019-cpro-ids.sql), given the first time they are shown: for
 * a page of documents, structures or services at once. Inserted in key order, so two concurrent calls lock the same
 * keys in the same order; read back by a second statement, which sees a row another call inserted meanwhile.
 */
async function idsOf(db: Db, table: string, column: string, keys: string[], scope?: { column: string; value: string }, type: 'text' | 'uuid' = 'text'): Promise<Map<string, number>> {
  const unique = [...new Set(keys)]
  if (unique.length === 0) return new Map()
  const params = scope ? [unique, scope.value] : [unique]
  const scoped = scope ? { cols: `${scope.column}, `, value: '$2, ', where: ` AND ${scope.column} = $2` } : { cols: '', value: '', where: '' }
  await db.query(`INSERT INTO ${table} (${scoped.cols}${column}) SELECT ${scoped.value}k::${type} FROM unnest($1::text[]) k ORDER BY k ON CONFLICT DO NOTHING`, params)
  const { rows } = await db.query<{ id: string; key: string }>(`SELECT id, ${column}::text AS key FROM ${table} WHERE ${column}::text = ANY($1)${scoped.where}`, params)
  return new Map(rows.map((r) => [r.key, Number(r.id)]))
}

export const invoiceIds = (db: Db, documentIds: string[]) => idsOf(db, 'cpro_invoice_ids', 'document_id', documentIds, undefined, 'uuid')
export const structureIds = (db: Db, sirets: string[]) => idsOf(db, 'cpro_structure_ids', 'siret', sirets)
export const serviceIds = (db: Db, siret: string, codes: string[]) => idsOf(db, 'cpro_service_ids', 'code', codes, { column: 'siret', value: siret })

export const invoiceId = async (db: Db, documentId: string) => (await invoiceIds(db, [documentId])).get(documentId)!
export const structureId = async (db: Db, siret: string) => (await structureIds(db, [siret])).get(siret)!
