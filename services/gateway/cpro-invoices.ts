// The Chorus Pro-compatible API's invoices (cpro-routes.ts has the deposit and the flux reports): the supplier's
// and the recipient's searches, the invoice's status history, and the recipient's processing (`traiter/recue`),
// over the hub's own documents and lifecycle. What a technical account sees: as a supplier, its partner's documents
// sold by one of the account's structures (or deposited through it); as a recipient, the documents delivered to one of
// the account's structures where its partner receives (the hub's one rule, dashboard.ts receivedBy). Field names,
// formats and paging objects per endpoint as the real connectors read them (docs/chorus-pro-api-notes.md §5, §6).
import type { Express, Request, RequestHandler, Response } from 'express'
import type { Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import type { DocumentKeys } from '../../schemas/events.js'
import { allowedNext, isStatus, statuses, type Status } from '../../schemas/lifecycle.js'
import { bodyOf, invoiceId, refuse, structureId, SUCCESS, type CproRequest } from './cpro-http.js'
import { cproDate, cproInvoiceType, cproMinute, cproStatus, cproStatuses, receivedStatuses, cproDateTime } from './cpro-format.js'
import { NOT_DELIVERED, receivedBy } from './dashboard.js'
import { reasonRequired, setBusinessStatus } from './lifecycle-routes.js'

type Row = {
  id: string; status: string; status_at: Date; received_at: Date; syntax: string | null; keys: DocumentKeys | null
  recipient_address: string | null; service_code: string | null; numero: string | null; cpro_id: string | null; total: string
}

/** Page and size from a connector's paging object (its name differs per endpoint), clamped; 1-based pages. */
export function paging(p: unknown, defaultSize = 100): { page: number; size: number } {
  const o = (p && typeof p === 'object' ? p : {}) as Record<string, unknown>
  const int = (v: unknown, fallback: number) => { const n = Number(v); return Number.isInteger(n) && n > 0 ? n : fallback }
  return { page: int(o.pageResultatDemandee, 1), size: Math.min(int(o.nbResultatsParPage, defaultSize), 1000) }
}

const siretOf = (address: string | null) => (address?.startsWith('0009:') ? address.slice(5) : address)
const amount = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? null : Number(v))
const partyId = (p: DocumentKeys['seller'] | undefined) => p?.legalId?.value ?? p?.endpoint?.value ?? null

/** A date filter `YYYY-MM-DD` (or with a time after it) as the start of that day in Paris, or null. */
const dayOf = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : null)

/** The hub statuses that read as one of these Chorus Pro statuses (statutCourant, a string or an array). */
function statusFilter(v: unknown): string[] | null {
  const wanted = (Array.isArray(v) ? v : typeof v === 'string' && v.trim() !== '' ? [v] : []).map((s) => String(s).trim())
  if (wanted.length === 0) return null
  return Object.entries(cproStatuses).filter(([, c]) => wanted.includes(c)).map(([h]) => h)
}

/**
 * The recipient's shortest way from `current` to `target` through the lifecycle (schemas/lifecycle.ts), through
 * statuses that need no reason (a refusal, a dispute or a suspension is never made up on the way); null: none.
 */
export function stepsTo(current: string, target: Status): Status[] | null {
  const context = { paymentStatusManaged: target === 'MISE_EN_PAIEMENT' }
  const seen = new Map<string, Status[]>([[current, []]])
  const queue = [current]
  while (queue.length > 0) {
    const from = queue.shift()!
    for (const next of allowedNext(from, 'recipient', context)) {
      if (seen.has(next)) continue
      const path = [...seen.get(from)!, next]
      if (next === target) return path
      if (reasonRequired.includes(next)) continue
      seen.set(next, path)
      queue.push(next)
    }
  }
  return null
}

export function cproInvoiceRoutes(app: Express, { db, log, topicPrefix, call }: { db: Db; log: Logger; topicPrefix: string; call: RequestHandler[] }) {
  const structuresOf = (req: Request) => (req as CproRequest).cpro.account.structures

  /** The rows of one search, newest first, with the total count. `side`: whose invoices. */
  async function search(req: Request, side: 'fournisseur' | 'recipiendaire', page: { page: number; size: number }): Promise<Row[]> {
    const { cpro } = req as CproRequest
    const b = bodyOf(req)
    const params: unknown[] = side === 'fournisseur' ? [cpro.partnerId, structuresOf(req), cpro.account.login] : [cpro.partnerId, structuresOf(req), NOT_DELIVERED]
    const where: string[] = side === 'fournisseur'
      ? [`d.partner_id = $1`, `(coalesce(d.keys->'seller'->'legalId'->>'value', d.keys->'seller'->'endpoint'->>'value') = ANY($2) OR f.login = $3)`]
      : [receivedBy('$1', '$3'), `d.recipient_address LIKE '0009:%' AND substr(d.recipient_address, 6) = ANY($2)`]
    const add = (sql: (p: string) => string, value: unknown) => { if (value === null || value === undefined || value === '') return; params.push(value); where.push(sql(`$${params.length}`)) }
    add((p) => `f.numero = ${p}`, typeof b.numeroFluxDepot === 'string' ? b.numeroFluxDepot : null)
    add((p) => `d.keys->>'invoiceNumber' = ${p}`, typeof b.numeroFacture === 'string' ? b.numeroFacture : null)
    add((p) => `d.received_at >= (${p}::date::timestamp AT TIME ZONE 'Europe/Paris')`, dayOf(b.periodeDateDepotDu))
    add((p) => `d.received_at < ((${p}::date + 1)::timestamp AT TIME ZONE 'Europe/Paris')`, dayOf(b.periodeDateDepotAu))
    add((p) => `d.keys->>'issueDate' >= ${p}`, dayOf(b.periodeDateFactureDu))
    add((p) => `d.keys->>'issueDate' <= ${p}`, dayOf(b.periodeDateFactureAu))
    add((p) => `d.status = ANY(${p})`, statusFilter(b.statutCourant))
    params.push(page.size, (page.page - 1) * page.size)
    const { rows } = await db.query<Row>(
      `SELECT d.id, d.status, d.status_at, d.received_at, d.syntax, d.keys, d.recipient_address, d.service_code, f.numero, i.id AS cpro_id, count(*) OVER () AS total
         FROM documents d LEFT JOIN cpro_flux f ON f.document_id = d.id LEFT JOIN cpro_invoice_ids i ON i.document_id = d.id
        WHERE ${where.join(' AND ')}
        ORDER BY d.received_at DESC LIMIT $${params.length - 1} OFFSET $${params.length}`, params)
    return rows
  }

  /** The fields both searches give for an invoice. */
  async function item(r: Row) {
    const k = r.keys
    const buyer = siretOf(r.recipient_address) ?? partyId(k?.buyer)
    return {
      numeroFacture: k?.invoiceNumber ?? null, statut: cproStatus(r.status), typeFacture: cproInvoiceType(k?.typeCode ?? null, r.syntax), typeDemandePaiement: 'FACTURE',
      dateFacture: k?.issueDate ?? null, dateDepot: cproDate(r.received_at), dateHeureEtatCourant: cproDateTime(r.status_at),
      montantHT: amount(k?.totals.taxExclusive), montantTTC: amount(k?.totals.taxInclusive), montantAPayer: amount(k?.totals.payable), devise: k?.currency ?? null,
      codeDestinataire: buyer, designationDestinataire: k?.buyer.name ?? null, idDestinataire: buyer && /^\d{14}$/.test(buyer) ? await structureId(db, buyer) : null,
      codeServiceExecutant: r.service_code ?? k?.buyerReference ?? null,
      codeFournisseur: partyId(k?.seller), designationFournisseur: k?.seller.name ?? null, typeIdentifiantFournisseur: k?.seller.legalId?.scheme === '0009' ? 'SIRET' : null,
      numeroBonCommande: k?.orderReference ?? null, numeroFluxDepot: r.numero, modeDepot: 'FLUX', commentaireEtatCourant: null,
    }
  }

  const pageInfo = (rows: Row[], page: { page: number; size: number }) => {
    const total = rows.length > 0 ? Number(rows[0]!.total) : 0
    return { pageCourante: page.page, pages: Math.max(1, Math.ceil(total / page.size)), nbResultatsParPage: page.size, total }
  }

  app.post('/cpro/factures/v1/rechercher/fournisseur', ...call, async (req: Request, res: Response) => {
    const page = paging(bodyOf(req).rechercheFactureParFournisseur)
    const rows = await search(req, 'fournisseur', page)
    const listeFactures = await Promise.all(rows.map(async (r) => ({ identifiantFactureCPP: await invoiceId(db, r.id), ...(await item(r)) })))
    res.json({ ...SUCCESS, listeFactures, parametresRetour: pageInfo(rows, page) })
  })

  app.post('/cpro/factures/v1/rechercher/recipiendaire', ...call, async (req: Request, res: Response) => {
    const page = paging(bodyOf(req).paramRecherche)
    const rows = await search(req, 'recipiendaire', page)
    const listeFactures = await Promise.all(rows.map(async (r) => ({ idFacture: await invoiceId(db, r.id), ...(await item(r)), factureTelechargeeParDestinataire: false })))
    // An empty search is codeRetour 20000 (TRA_MSG_00.015) with HTTP 200, paging filled: what Pastell reads.
    const head = listeFactures.length === 0 ? { codeRetour: 20000, libelle: 'TRA_MSG_00.015' } : SUCCESS
    res.json({ ...head, ...pageInfo(rows, page), listeFactures })
  })

  /**
   * The document an integer invoice id names, if the account sees it: as its supplier (its partner sent it) or as
   * its recipient (delivered to one of its structures where its partner receives).
   */
  async function visible(req: Request, res: Response, key: 'idFacture' | 'identifiantFactureCPP'): Promise<{ id: string; number: number; asRecipient: boolean } | null> {
    const { cpro } = req as CproRequest
    const raw = bodyOf(req)[key]
    const number = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN
    if (!Number.isSafeInteger(number)) { refuse(res, `${key} est obligatoire (un entier)`); return null }
    const row = (await db.query<{ document_id: string; sender: boolean; recipient: boolean }>(
      `SELECT i.document_id, d.partner_id = $2 AS sender,
              (${receivedBy('$2', '$4')} AND d.recipient_address LIKE '0009:%' AND substr(d.recipient_address, 6) = ANY($3)) AS recipient
         FROM cpro_invoice_ids i JOIN documents d ON d.id = i.document_id WHERE i.id = $1`,
      [number, cpro.partnerId, structuresOf(req), NOT_DELIVERED])).rows[0]
    if (!row || (!row.sender && !row.recipient)) { refuse(res, `aucune facture ${number} pour ce compte`); return null }
    return { id: row.document_id, number, asRecipient: row.recipient }
  }

  app.post('/cpro/factures/v1/consulter/historique', ...call, async (req: Request, res: Response) => {
    const doc = await visible(req, res, 'idFacture')
    if (!doc) return
    const d = (await db.query<{ status: string; keys: DocumentKeys | null; numero: string | null }>(
      'SELECT d.status, d.keys, f.numero FROM documents d LEFT JOIN cpro_flux f ON f.document_id = d.id WHERE d.id = $1', [doc.id])).rows[0]!
    const history = (await db.query<{ sequence: number; status: string; at: Date; reason: string | null; actor: string }>(
      'SELECT sequence, status, at, reason, actor FROM status_history WHERE document_id = $1 ORDER BY sequence DESC', [doc.id])).rows
    // The recipient reads the statuses, not the hub's own reasons (as GET /v1/documents/{id} does).
    const histoStatut = history.map((h) => ({
      histoStatutId: h.sequence, histoStatutCode: cproStatus(h.status), histoStatutDatePassage: cproMinute(h.at),
      histoStatutCommentaire: doc.asRecipient && h.actor === 'hub' ? null : h.reason, histoStatutUtilisateurNom: null, histoStatutUtilisateurPrenom: null,
    }))
    res.json({
      ...SUCCESS, idFacture: doc.number, numeroFacture: d.keys?.invoiceNumber ?? null, modeDepot: 'FLUX', statutCourantCode: cproStatus(d.status),
      historiquesDesStatuts: { histoStatut, nbResultatsParPageHistoStatut: histoStatut.length, pageCouranteHistoStatut: 1, pagesHistoStatut: 1, totalHistoStatut: histoStatut.length },
      historiquesDesActionsUtilisateurs: { histoAction: [] }, historiquesDesEvenementsComplementaires: { evenement: [] },
    })
  })

  app.post('/cpro/factures/v1/traiter/recue', ...call, async (req: Request, res: Response) => {
    const doc = await visible(req, res, 'idFacture')
    if (!doc) return
    if (!doc.asRecipient) return refuse(res, 'cette facture n\'a pas été reçue par une structure de ce compte')
    const b = bodyOf(req)
    const wanted = typeof b.nouveauStatut === 'string' ? b.nouveauStatut.trim() : ''
    if (!(wanted in receivedStatuses)) return refuse(res, `nouveauStatut doit être l'un de ${Object.keys(receivedStatuses).join(', ')}`)
    const status = receivedStatuses[wanted]
    if (!status || !isStatus(status)) return refuse(res, `le statut ${wanted} n'existe pas dans le cycle de vie du hub (statuts de la réforme): utilisez ${Object.entries(receivedStatuses).filter(([, h]) => h).map(([c]) => c).join(', ')}`)
    const motif = typeof b.motif === 'string' && b.motif.trim() !== '' ? b.motif.trim().slice(0, 1000) : null
    if (!motif && ['SUSPENDUE', 'REFUSEE'].includes(status)) return refuse(res, `${wanted} demande un motif (ce qui manque ou ce qui ne va pas)`)
    const set = (to: Status, reason: string | null) => setBusinessStatus(db, topicPrefix, { documentId: doc.id, partnerId: (req as CproRequest).cpro.partnerId, status: to, reason, by: `cpro:${(req as CproRequest).cpro.account.login}` })
    let outcome = await set(status as Status, motif)
    // Chorus Pro lets a recipient go straight to SERVICE_FAIT, MANDATEE or MISE_EN_PAIEMENT; the reform's lifecycle
    // has it take the invoice in charge first. The steps between are recorded, each one as the lifecycle allows it.
    if (outcome.kind === 'conflict') {
      const path = stepsTo(outcome.current, status as Status)
      for (const step of path ?? []) {
        outcome = await set(step, step === status ? motif : null)
        if (outcome.kind !== 'done') break
      }
    }
    if (outcome.kind === 'not-found') return refuse(res, `aucune facture ${doc.number} pour ce compte`)
    if (outcome.kind === 'conflict') {
      return refuse(res, `${cproStatus(outcome.current)} → ${wanted} n'est pas permis; depuis ${cproStatus(outcome.current)}: ${outcome.allowed.filter((s) => statuses[s].by === 'recipient').map(cproStatus).join(', ') || 'rien (statut final)'}`)
    }
    const number = (await db.query<{ n: string | null }>(`SELECT keys->>'invoiceNumber' AS n FROM documents WHERE id = $1`, [doc.id])).rows[0]?.n ?? null
    log.info({ documentId: doc.id, status, account: (req as CproRequest).cpro.account.login }, 'business status set (Chorus Pro traiter/recue)')
    res.json({ ...SUCCESS, dateTraitement: cproDate(new Date(outcome.row.at)), idFacture: doc.number, nouveauStatut: wanted, numeroFacture: number })
  })
}
