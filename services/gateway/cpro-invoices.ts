// The Chorus Pro-compatible API's invoices (cpro-routes.ts has the deposit and the flux reports): the supplier's
// and the recipient's searches, the invoice's status history, and the recipient's processing (`traiter/recue`),
// over the hub's own documents and lifecycle. What a technical account sees: as a supplier, its partner's documents
// sold by one of the account's structures (or deposited through it); as a recipient, the documents delivered to one of
// the account's structures where its partner receives (the hub's one rule, dashboard.ts receivedAt). Field names,
// formats and paging objects per endpoint as the real connectors read them (docs/chorus-pro-api-notes.md §5, §6).
import type { Express, Request, RequestHandler, Response } from 'express'
import type { Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import type { DocumentKeys } from '../../schemas/events.js'
import { allowedNext, isStatus, statuses, type Status } from '../../schemas/lifecycle.js'
import { bodyOf, invoiceIds, refuse, structureId, structureIds, SUCCESS, type CproRequest } from './cpro-http.js'
import { cproDate, cproInvoiceType, cproMinute, cproStatus, cproStatuses, receivedStatuses, cproDateTime } from './cpro-format.js'
import { NOT_DELIVERED, receivedAt, soldBy, structureAddresses } from './dashboard.js'
import { reasonRequired, setBusinessStatus } from './lifecycle-routes.js'
import { readInvoiceView } from '../pdf/invoice-view.js'
import { renderInvoicePdf } from '../pdf/render.js'
import { zip, type ZipEntry } from './zip.js'

type Row = {
  id: string; status: string; status_at: Date; received_at: Date; syntax: string | null; keys: DocumentKeys | null
  recipient_address: string | null; service_code: string | null; numero: string | null; total: string
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
    const params: unknown[] = side === 'fournisseur' ? [cpro.partnerId, structuresOf(req), cpro.account.login] : [cpro.partnerId, structureAddresses(structuresOf(req)), NOT_DELIVERED]
    const where: string[] = side === 'fournisseur'
      ? [soldBy('$1', '$2', 'f.login = $3')]
      : [receivedAt('$1', '$3', '$2')]
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
      `SELECT d.id, d.status, d.status_at, d.received_at, d.syntax, d.keys, d.recipient_address, d.service_code, f.numero, count(*) OVER () AS total
         FROM documents d LEFT JOIN cpro_flux f ON f.document_id = d.id
        WHERE ${where.join(' AND ')}
        ORDER BY d.received_at DESC LIMIT $${params.length - 1} OFFSET $${params.length}`, params)
    return rows
  }

  const buyerOf = (r: Row) => siretOf(r.recipient_address) ?? partyId(r.keys?.buyer)

  /** The fields both searches give for each invoice of a page, with the integer ids of the page given at once. */
  async function items(rows: Row[]) {
    const [invoices, structures] = await Promise.all([
      invoiceIds(db, rows.map((r) => r.id)),
      structureIds(db, rows.map(buyerOf).filter((b): b is string => b !== null && /^\d{14}$/.test(b))),
    ])
    return rows.map((r) => ({ id: invoices.get(r.id)!, ...item(r, structures) }))
  }

  function item(r: Row, structures: Map<string, number>) {
    const k = r.keys
    const buyer = buyerOf(r)
    return {
      numeroFacture: k?.invoiceNumber ?? null, statut: cproStatus(r.status), typeFacture: cproInvoiceType(k?.typeCode ?? null, r.syntax), typeDemandePaiement: 'FACTURE',
      dateFacture: k?.issueDate ?? null, dateDepot: cproDate(r.received_at), dateHeureEtatCourant: cproDateTime(r.status_at),
      montantHT: amount(k?.totals.taxExclusive), montantTTC: amount(k?.totals.taxInclusive), montantAPayer: amount(k?.totals.payable), devise: k?.currency ?? null,
      codeDestinataire: buyer, designationDestinataire: k?.buyer.name ?? null, idDestinataire: (buyer && structures.get(buyer)) ?? null,
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
    const listeFactures = (await items(rows)).map(({ id, ...rest }) => ({ identifiantFactureCPP: id, ...rest }))
    res.json({ ...SUCCESS, listeFactures, parametresRetour: pageInfo(rows, page) })
  })

  app.post('/cpro/factures/v1/rechercher/recipiendaire', ...call, async (req: Request, res: Response) => {
    const page = paging(bodyOf(req).paramRecherche)
    const rows = await search(req, 'recipiendaire', page)
    const listeFactures = (await items(rows)).map(({ id, ...rest }) => ({ idFacture: id, ...rest, factureTelechargeeParDestinataire: false }))
    // An empty search is codeRetour 20000 (TRA_MSG_00.015) with HTTP 200, paging filled: what Pastell reads.
    const head = listeFactures.length === 0 ? { codeRetour: 20000, libelle: 'TRA_MSG_00.015' } : SUCCESS
    res.json({ ...head, ...pageInfo(rows, page), listeFactures })
  })

  /**
   * The document an integer invoice id names, if the account sees it: as its supplier (its partner sent it) or as
   * its recipient (delivered to one of its structures where its partner receives).
   */
  const visible = (req: Request, res: Response, key: 'idFacture' | 'identifiantFactureCPP') => visibleAs((req as CproRequest).cpro, bodyOf(req)[key], key, res)

  async function visibleAs(cpro: CproRequest['cpro'], raw: unknown, key: string, res: Response): Promise<{ id: string; number: number; asRecipient: boolean } | null> {
    const number = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN
    if (!Number.isSafeInteger(number)) { refuse(res, `${key} est obligatoire (un entier)`); return null }
    const row = (await db.query<{ document_id: string; sender: boolean; recipient: boolean }>(
      `SELECT i.document_id, d.partner_id = $2 AS sender,
              (${receivedAt('$2', '$4', '$3')}) AS recipient
         FROM cpro_invoice_ids i JOIN documents d ON d.id = i.document_id WHERE i.id = $1`,
      [number, cpro.partnerId, structureAddresses(cpro.account.structures), NOT_DELIVERED])).rows[0]
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

  // ---- The invoice itself: details (consulter), download (telecharger/groupe) ----
  const invoiceOf = async (id: string) => (await db.query<{ payload: Buffer; business_xml: Buffer | null; content_type: string; status: string; keys: DocumentKeys | null; received_at: Date; recipient_address: string | null; service_code: string | null; numero: string | null }>(
    `SELECT d.payload, d.business_xml, d.content_type, d.status, d.keys, d.received_at, d.recipient_address, d.service_code, f.numero
       FROM documents d LEFT JOIN cpro_flux f ON f.document_id = d.id WHERE d.id = $1`, [id])).rows[0]!

  for (const side of ['fournisseur', 'recipiendaire'] as const) {
    app.post(`/cpro/factures/v1/consulter/${side}`, ...call, async (req: Request, res: Response) => {
      const doc = await visible(req, res, 'identifiantFactureCPP')
      if (!doc) return
      if (side === 'recipiendaire' && !doc.asRecipient) return refuse(res, `aucune facture ${doc.number} reçue par une structure de ce compte`)
      const d = await invoiceOf(doc.id)
      const read = readInvoiceView(d.business_xml ?? d.payload)
      if (!read.ok) return refuse(res, `la facture ${doc.number} ne se lit pas comme une facture: ${read.reason}`)
      const v = read.view
      const buyer = siretOf(d.recipient_address) ?? v.buyer.legalId?.value ?? null
      res.json({ codeRetour: 0, libelle: 'CODE PAR DEFAUT', facture: {
        identifiantFactureCPP: doc.number, numeroFacture: v.number, statutFacture: cproStatus(d.status), modeDepot: 'FLUX', commentaire: v.notes.join('\n') || null,
        cadreDeFacturation: { codeCadreFacturation: 'A1_FACTURE_FOURNISSEUR' },
        destinataire: {
          codeDestinataire: buyer, idDestinataire: buyer && /^\d{14}$/.test(buyer) ? await structureId(db, buyer) : null, libelleDestinataire: v.buyer.name,
          codeServiceExecutant: d.service_code ?? v.buyerReference, adresseDestinataire: v.buyer.address.join(', ') || null,
        },
        fournisseur: {
          codeFournisseur: v.seller.legalId?.value ?? null, designationFournisseur: v.seller.name, typeIdentifiantFournisseur: v.seller.legalId?.scheme === '0009' ? 'SIRET' : null,
          numeroTvaIntracommunautaire: v.seller.vatId, coordBancairesFournisseurIban: v.payment.ibans[0] ?? null, adresseFournisseur: v.seller.address.join(', ') || null,
        },
        references: {
          dateFacture: v.issueDate, dateDepot: cproDate(d.received_at), dateEcheancePaiement: v.dueDate, typeFacture: cproInvoiceType(v.typeCode, v.syntax === 'UBL CreditNote' ? 'ubl-creditnote' : null),
          codeDeviseFacture: v.currency, modePaiement: v.payment.means[0]?.code ?? null, numeroMarche: v.contractReference, numeroBonCommande: v.orderReference,
          numeroFactureOrigine: v.precedingInvoices[0] ?? null, numeroFluxDepot: d.numero,
        },
        montantTotal: { montantHtTotal: amount(v.totals.taxExclusive), montantTVA: amount(v.totals.taxTotal), montantTtcTotal: amount(v.totals.taxInclusive), montantAPayer: amount(v.totals.payable) },
        lignesDePoste: { lignePoste: v.lines.map((l) => ({
          lignePosteNumero: l.id, lignePosteDenomination: l.name, lignePosteReference: null, lignePosteQuantite: amount(l.quantity), lignePosteUnite: l.unitCode,
          lignePostePrixUnitaire: amount(l.unitPrice), lignePosteMontantHtApresRemise: amount(l.netAmount), lignePosteTauxTva: l.vatRate === null ? null : `TVA${l.vatRate}`, lignePosteTauxTvaManuel: amount(l.vatRate),
        })), total: v.lines.length },
        recapitulatifDeTva: { ligneTva: v.vatBreakdown.map((t) => ({ ligneTvaTauxRef: t.rate === null ? null : `TVA${t.rate}`, ligneTvaTauxManuel: amount(t.rate), ligneTvaMontantBaseHtParTaux: amount(t.taxableAmount), ligneTvaMontantTvaParTaux: amount(t.taxAmount) })) },
        listeDesPiecesJointes: { pieceJointe: [] },
      } })
    })
  }

  /**
   * Several invoices in one file, base64: one invoice as it was deposited (PIVOT, XML) or as a readable PDF (PDF); several,
   * a ZIP of them named by invoice number. Only invoices the account sees; an unknown one refuses the whole call.
   */
  app.post('/cpro/factures/v1/telecharger/groupe', ...call, async (req: Request, res: Response) => {
    const b = bodyOf(req)
    const format = typeof b.format === 'string' ? b.format.trim().toUpperCase() : 'PIVOT'
    if (!['PIVOT', 'XML', 'PDF'].includes(format)) return refuse(res, 'format est PIVOT (la facture déposée), XML ou PDF (une représentation lisible)')
    const wanted = Array.isArray(b.listeFacture) ? b.listeFacture : []
    if (wanted.length === 0 || wanted.length > 500) return refuse(res, 'listeFacture: de 1 à 500 factures, [{"idFacture": …}]')
    const files: ZipEntry[] = []
    for (const w of wanted) {
      const doc = await visibleAs((req as CproRequest).cpro, (w as Record<string, unknown> | null)?.idFacture, 'idFacture', res)
      if (!doc) return
      const d = await invoiceOf(doc.id)
      const number = (d.keys?.invoiceNumber ?? String(doc.number)).replace(/[^\w.-]+/g, '_')
      if (format === 'PDF') {
        const read = readInvoiceView(d.business_xml ?? d.payload)
        if (!read.ok) return refuse(res, `la facture ${doc.number} ne se lit pas comme une facture: ${read.reason}`)
        files.push({ name: `${number}.pdf`, data: Buffer.from(await renderInvoicePdf(read.view, { now: d.received_at })), modified: d.received_at })
      } else {
        files.push({ name: `${number}.${d.content_type === 'application/pdf' ? 'pdf' : 'xml'}`, data: d.payload, modified: d.received_at })
      }
    }
    const file = files.length === 1 ? files[0]!.data : zip(files)
    res.json({ ...SUCCESS, fichierResultat: file.toString('base64') })
  })

  // ---- The supplier's answers to a recipient: completer (SUSPENDUE), recycler (A_RECYCLER) ----
  app.post('/cpro/factures/v1/completer', ...call, async (req: Request, res: Response) => {
    const doc = await visible(req, res, 'identifiantFactureCPP')
    if (!doc) return
    const b = bodyOf(req)
    if (Array.isArray(b.pieceJointeComplementaire) && b.pieceJointeComplementaire.length > 0) {
      return refuse(res, 'les pièces jointes complémentaires ne sont pas prises en charge par ce hub: complétez avec un commentaire, ou déposez une facture corrigée')
    }
    const commentaire = typeof b.commentaire === 'string' && b.commentaire.trim() !== '' ? b.commentaire.trim().slice(0, 1000) : null
    const outcome = await setBusinessStatus(db, topicPrefix, { documentId: doc.id, partnerId: (req as CproRequest).cpro.partnerId, status: 'COMPLETEE', reason: commentaire, by: `cpro:${(req as CproRequest).cpro.account.login}` })
    if (outcome.kind === 'not-found') return refuse(res, `aucune facture ${doc.number} pour ce compte`)
    if (outcome.kind === 'conflict') return refuse(res, `seule une facture SUSPENDUE se complète; celle-ci est ${cproStatus(outcome.current)}`)
    const number = (await invoiceOf(doc.id)).keys?.invoiceNumber ?? null
    res.json({ ...SUCCESS, dateTraitement: cproDate(new Date(outcome.row.at)), identifiantFactureCPP: doc.number, numeroFacture: number })
  })

  // Chorus Pro's recycler changes the routing data of an A_RECYCLER invoice in place; the hub never changes a
  // deposited invoice: the supplier deposits the corrected invoice under the same number, and the hub links it.
  app.post('/cpro/factures/v1/recycler', ...call, async (req: Request, res: Response) => {
    const doc = await visible(req, res, 'identifiantFactureCPP')
    if (!doc) return
    refuse(res, 'ce hub ne modifie pas une facture déposée: déposez la facture corrigée (destinataire, code service, engagement) sous le même numéro avec deposer/flux; elle est rattachée à la facture A_RECYCLER')
  })
}
