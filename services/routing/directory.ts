// Directory and invoice-number queries of the routing service. The directory tables are written through the
// gateway's admin API (structures, structure_services, participants); invoice_registry belongs to routing.
import { inTransaction, type Db } from '../kit/db.js'
import type { DocumentKeys } from '../../schemas/events.js'
import type { Recipient, Structure } from './resolve-route.js'

export async function findRecipient(db: Db, address: string | null): Promise<Recipient | null> {
  if (!address) return null
  const { rows } = await db.query<Recipient>('SELECT address, name, endpoint, delivery_format AS format FROM participants WHERE address = $1', [address])
  return rows[0] ?? null
}

export async function findStructure(db: Db, siret: string | null): Promise<Structure | null> {
  if (!siret || !/^[0-9]{14}$/.test(siret)) return null
  const s = (await db.query<{ siret: string; name: string; active: boolean; commitment_required: boolean; service_required: boolean; endpoint: string | null; delivery_format: Structure['format'] }>(
    'SELECT siret, name, active, commitment_required, service_required, endpoint, delivery_format FROM structures WHERE siret = $1', [siret])).rows[0]
  if (!s) return null
  const services = (await db.query<{ code: string; active: boolean; commitment_required: boolean }>(
    'SELECT code, active, commitment_required FROM structure_services WHERE siret = $1', [siret])).rows
  return {
    siret: s.siret, name: s.name, active: s.active, commitmentRequired: s.commitment_required, serviceRequired: s.service_required,
    endpoint: s.endpoint, format: s.delivery_format, services: services.map((v) => ({ code: v.code, active: v.active, commitmentRequired: v.commitment_required })),
  }
}

/**
 * Who issued the invoice, for the duplicate rule: the seller's legal identifier (BT-30), else its VAT
 * identifier (BT-31), else its electronic address (BT-34), else the sending partner.
 */
export function sellerKey(keys: DocumentKeys, partnerId: string): string {
  const { legalId, vatId, endpoint } = keys.seller
  if (legalId?.value.trim()) return `legal:${legalId.scheme?.trim() ?? ''}:${legalId.value.trim()}`.toLowerCase()
  if (vatId?.trim()) return `vat:${vatId.trim()}`.toLowerCase()
  if (endpoint?.value.trim()) return `address:${endpoint.scheme?.trim() ?? ''}:${endpoint.value.trim()}`.toLowerCase()
  return `partner:${partnerId}`
}

export type Registration =
  | { outcome: 'routed'; resubmissionOf: string | null }
  | { outcome: 'recycled'; resubmissionOf: string | null }
  | { outcome: 'duplicate'; of: string }

/**
 * Records the document under its seller, invoice number (BT-1) and year (BT-2), as `routed` or `recycled`.
 * - Another document with that number already routed (on its way or delivered): a duplicate.
 * - Others recycled (A_RECYCLER): this one resubmits the latest of them; they become `superseded`.
 * Idempotent per document: a redelivered event finds its own row and gets the same answer.
 */
export async function registerInvoice(db: Db, documentId: string, key: { seller: string; number: string; year: number }, routable: boolean): Promise<Registration> {
  return inTransaction(db, async (tx) => {
    // One invoice number at a time (two submissions racing), without locking the whole table.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`invoice:${key.seller}:${key.number}:${key.year}`])
    const rows = (await tx.query<{ document_id: string; state: string; resubmission_of: string | null }>(
      'SELECT document_id, state, resubmission_of FROM invoice_registry WHERE seller_key = $1 AND invoice_number = $2 AND year = $3 ORDER BY at', [key.seller, key.number, key.year])).rows
    const own = rows.find((r) => r.document_id === documentId)
    if (own) return own.state === 'routed' ? { outcome: 'routed', resubmissionOf: own.resubmission_of } : { outcome: 'recycled', resubmissionOf: own.resubmission_of }
    const routed = rows.find((r) => r.state === 'routed')
    if (routed) return { outcome: 'duplicate', of: routed.document_id }
    const recycled = rows.filter((r) => r.state === 'recycled')
    const resubmissionOf = recycled.at(-1)?.document_id ?? null
    if (recycled.length > 0) await tx.query(`UPDATE invoice_registry SET state = 'superseded' WHERE document_id = ANY($1)`, [recycled.map((r) => r.document_id)])
    await tx.query('INSERT INTO invoice_registry (document_id, seller_key, invoice_number, year, state, resubmission_of) VALUES ($1, $2, $3, $4, $5, $6)',
      [documentId, key.seller, key.number, key.year, routable ? 'routed' : 'recycled', resubmissionOf])
    return { outcome: routable ? 'routed' : 'recycled', resubmissionOf }
  })
}

/** What a partner may send for: its own addresses (`POST /v1/partners`) and the sellers the operator bound to it. */
export async function partnerBindings(db: Db, partnerId: string): Promise<string[]> {
  return (await db.query<{ address: string }>(
    `SELECT address FROM partner_addresses WHERE partner_id = $1
     UNION SELECT seller FROM partner_sellers WHERE partner_id = $1`, [partnerId])).rows.map((r) => r.address)
}

/** Who sent `documentId` (the duplicate finding names the earlier document only to its own sender). */
export async function senderOf(db: Db, documentId: string): Promise<string | null> {
  return (await db.query<{ partner_id: string }>('SELECT partner_id FROM documents WHERE id = $1', [documentId])).rows[0]?.partner_id ?? null
}
