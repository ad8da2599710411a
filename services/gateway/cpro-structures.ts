// The Chorus Pro-compatible API's structures (Chorus Pro's directory of public structures and their services, as
// the hub's directory has them): structures/v1/rechercher, consulter, rechercher/services, and
// transverses/v1/recuperer/structures/actives/{fournisseur,destinataire}. Field names and values as the real clients
// read them (docs/chorus-pro-api-notes.md §7, §8 and the differences table).
//
// What a structure is here: a public structure of the directory (`structures`, 002-directory.sql), or one of the
// calling technical account's own structures that is not in it (a private structure: Chorus Pro's search and
// consulter show the private structures the user is attached to, besides the public ones — Pastell quotes that rule,
// cnfilms and go-choruspro say it of consulter and rechercher/services). No other partner's structure is ever shown.
import type { Express, Request, RequestHandler, Response } from 'express'
import type { Db } from '../kit/db.js'
import { cproDateTime } from './cpro-format.js'
import { bodyOf, refuse, serviceIds, structureIds, SUCCESS, type CproRequest } from './cpro-http.js'
import type { Parsed } from './participants.js'

/**
 * An empty search: Pastell reads codeRetour 20000 (TRA_MSG_00.015, "La recherche n'a retourné aucun résultat") with
 * HTTP 200 for rechercher/recipiendaire (notes §5, §10). TRA_MSG_* is the transverse catalogue that structures'
 * success (TRA_MSG_00.000) comes from too, so the structure and service searches answer an empty search the same way;
 * OCA and Pastell read only the (empty) `listeStructures` there, and go decodes any 200.
 */
export const NO_RESULT = { codeRetour: 20000, libelle: 'TRA_MSG_00.015' } as const

// ---- Paging (parametres, parametresRechercherServicesStructure) ----

/**
 * 100 a page unless asked, 1000 at most: cpro-docs.choruspay.fr gives "default 100, max 1000" for the services
 * search; OCA asks 10 000 services and reads only the first page, so the larger cap serves it better than Chorus Pro's.
 */
export const PAGE_SIZE = { default: 100, max: 1000 } as const
const MAX_PAGE = 1_000_000

export type Paging = { page: number; perPage: number; column: string | null; descending: boolean }

/** A whole number from a JSON number or a numeric string; undefined when absent (null, ''). */
function whole(where: string, v: unknown): Parsed<number | undefined> {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return { ok: true, value: undefined }
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?[0-9]+(\.[0-9]*)?\s*$/.test(v) ? Number(v) : NaN
  if (!Number.isFinite(n)) return { ok: false, message: `${where} doit être un nombre entier (reçu ${JSON.stringify(v)})` }
  return { ok: true, value: Math.trunc(n) }
}

/**
 * The paging object of a search (`key` names it in the libelle). Out-of-range numbers are clamped (a page below 1 is
 * page 1; a size below 1 is the default, above the cap the cap); what is not a number is refused. go-choruspro sends
 * the sort order as `triSense`, and `"Ascendant "` with a trailing space (notes, differences #6).
 */
export function readPaging(raw: unknown, key: string): Parsed<Paging> {
  if (raw === undefined || raw === null) raw = {}
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, message: `${key} doit être un objet JSON (pageResultatDemandee, nbResultatsParPage, triColonne, triSens)` }
  const p = raw as Record<string, unknown>
  const page = whole(`${key}.pageResultatDemandee`, p.pageResultatDemandee)
  if (!page.ok) return page
  const size = whole(`${key}.nbResultatsParPage`, p.nbResultatsParPage)
  if (!size.ok) return size
  const column = p.triColonne ?? null
  if (column !== null && typeof column !== 'string') return { ok: false, message: `${key}.triColonne doit être une chaîne (le nom d'une colonne)` }
  const sens = p.triSens ?? p.triSense ?? ''
  const order = typeof sens === 'string' ? sens.trim() : null
  if (order === null || (order !== '' && !/^(asc|desc)/i.test(order))) return { ok: false, message: `${key}.triSens: Ascendant ou Descendant (reçu ${JSON.stringify(sens)})` }
  return {
    ok: true,
    value: {
      page: Math.min(Math.max(page.value ?? 1, 1), MAX_PAGE),
      perPage: size.value === undefined || size.value < 1 ? PAGE_SIZE.default : Math.min(size.value, PAGE_SIZE.max),
      column: column?.trim() || null,
      descending: /^desc/i.test(order),
    },
  }
}

/** `parametresRetour` (or the top-level fields of the transverses answers): always numbers, as OCA and Pastell read them. */
export const pageInfo = (total: number, { page, perPage }: Pick<Paging, 'page' | 'perPage'>) =>
  ({ pageCourante: page, pages: Math.ceil(total / perPage), nbResultatsParPage: perPage, total })

/**
 * The SQL ordering for a `triColonne` whose names Chorus Pro does not publish: matched loosely against a fixed list
 * (never the caller's text), then the key as tie-break so that pages do not overlap.
 */
export function orderBy(paging: Paging, columns: [RegExp, string][], fallback: string, key: string): string {
  const chosen = columns.find(([pattern]) => paging.column !== null && pattern.test(paging.column))?.[1] ?? fallback
  const dir = paging.descending ? 'DESC' : 'ASC'
  return `${chosen} ${dir} NULLS LAST, ${key} ${dir}`
}

// ---- Search criteria (rechercher's `structure`) ----

export type StructureCriteria = {
  siret: string | null
  /** Each must be contained in the name (raisonSocialeStructure, libelleStructure), ignoring case. */
  names: string[]
  active: boolean | null
  kind: 'PUBLIQUE' | 'PRIVEE' | null
  /** Why no structure of the hub can match (a criterion about what the hub's directory does not hold), or null. */
  nothing: string | null
}

/** Chorus Pro's identifier types (notes §7); the hub's structures are all SIRETs. */
export const IDENTIFIER_TYPES = ['SIRET', 'UE_HORS_FRANCE', 'HORS_UE', 'RIDET', 'TAHITI', 'AUTRE', 'PARTICULIER']

const flag = (v: string): boolean | null => (v === '' || v.toLowerCase() === 'false' ? false : v.toLowerCase() === 'true' ? true : null)

/**
 * One rule per criterion a connector may send, on its trimmed text: it fills the criteria or returns a refusal.
 * Empty values are no criterion (go-choruspro sends every key, empty). Criteria about what the hub's directory does
 * not keep (private persons' names, addresses, MOA) match nothing rather than being ignored: a search never answers
 * a structure it cannot say matches.
 */
const criteriaRules: Record<string, (v: string, c: StructureCriteria) => string | void> = {
  // A SIRET is searched exactly (OCA takes the answer only when it is exactly one structure), spaces removed.
  identifiantStructure: (v, c) => { const s = v.replace(/\s+/g, ''); if (/^[0-9]{14}$/.test(s)) c.siret = s; else c.nothing = 'identifiantStructure is not a SIRET' },
  typeIdentifiantStructure: (v, c) => {
    const type = v.toUpperCase()
    if (!IDENTIFIER_TYPES.includes(type)) return `structure.typeIdentifiantStructure: ${IDENTIFIER_TYPES.join(', ')} (reçu "${v}")`
    if (type !== 'SIRET') c.nothing = 'the hub knows structures by SIRET only'
  },
  raisonSocialeStructure: (v, c) => { c.names.push(v) },
  libelleStructure: (v, c) => { c.names.push(v) },
  nomStructure: (_v, c) => { c.nothing = 'the hub has no private persons (nomStructure, prenomStructure)' },
  prenomStructure: (_v, c) => { c.nothing = 'the hub has no private persons (nomStructure, prenomStructure)' },
  adresseCodePostal: (_v, c) => { c.nothing = 'the hub keeps no addresses' },
  adresseVille: (_v, c) => { c.nothing = 'the hub keeps no addresses' },
  // Every structure of the hub has a SIRET, so is in France.
  adresseCodePays: (v, c) => { if (v.toUpperCase() !== 'FR') c.nothing = 'SIRETs are French structures' },
  typeStructure: (v, c) => {
    const kind = v.toUpperCase()
    if (kind !== 'PUBLIQUE' && kind !== 'PRIVEE') return `structure.typeStructure: PUBLIQUE ou PRIVEE (reçu "${v}")`
    c.kind = kind
  },
  // The spec example's request says ACTIF; the answers say ACTIVE (see `statut` below): both are taken.
  statutStructure: (v, c) => {
    const statut = v.toUpperCase()
    if (statut !== 'ACTIF' && statut !== 'ACTIVE' && statut !== 'INACTIF' && statut !== 'INACTIVE') return `structure.statutStructure: ACTIF ou INACTIF (reçu "${v}")`
    c.active = statut.startsWith('ACTI')
  },
  estMOA: (v, c) => { const b = flag(v); if (b === null) return `structure.estMOA: true ou false (reçu "${v}")`; if (b) c.nothing = 'the hub has no MOA' },
  estMOAUniquement: (v, c) => { const b = flag(v); if (b === null) return `structure.estMOAUniquement: true ou false (reçu "${v}")`; if (b) c.nothing = 'the hub has no MOA' },
}

/** A criterion's value as text: strings trimmed, numbers and booleans written out; null for what is not a value. */
function textOf(v: unknown): string | null {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v.trim()
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v === 'boolean') return v ? 'true' : ''
  return null
}

/** rechercher's `structure` object as criteria; unknown keys are ignored (notes, differences #6). */
export function readStructureCriteria(raw: unknown): Parsed<StructureCriteria> {
  if (raw === undefined || raw === null) raw = {}
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, message: 'structure doit être un objet JSON (identifiantStructure, typeIdentifiantStructure, raisonSocialeStructure, …)' }
  const criteria: StructureCriteria = { siret: null, names: [], active: null, kind: null, nothing: null }
  for (const [key, rule] of Object.entries(criteriaRules)) {
    const text = textOf((raw as Record<string, unknown>)[key])
    if (text === null) return { ok: false, message: `structure.${key} doit être une chaîne` }
    if (text === '') continue
    const refused = rule(text, criteria)
    if (refused) return { ok: false, message: refused }
  }
  return { ok: true, value: criteria }
}

/** `text` as an ILIKE pattern that finds it anywhere, its own % _ and \ taken literally. */
export const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

// ---- Ids and languages ----

/** An integer id from the first of `keys` present (number or numeric string), or why it is refused. */
export function readId(body: Record<string, unknown>, keys: string[]): Parsed<number> {
  const key = keys.find((k) => body[k] !== undefined && body[k] !== null && body[k] !== '')
  if (!key) return { ok: false, message: `${keys.join(' (ou ')}${keys.length > 1 ? ')' : ''} est obligatoire: l'identifiant Chorus Pro de la structure (idStructureCPP, donné par structures/v1/rechercher)` }
  const v = body[key]
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[0-9]+\s*$/.test(v) ? Number(v) : NaN
  if (!Number.isSafeInteger(n) || n < 1) return { ok: false, message: `${key} doit être un entier positif (reçu ${JSON.stringify(v)})` }
  return { ok: true, value: n }
}

/** codeLangue: FR in the spec example, fr in cnfilms, absent in OCA (notes, differences #11). The answer is the same. */
export function readLanguage(v: unknown): Parsed<'FR' | 'EN'> {
  if (v === undefined || v === null || v === '') return { ok: true, value: 'FR' }
  const code = typeof v === 'string' ? v.trim().toUpperCase() : ''
  if (code !== 'FR' && code !== 'EN') return { ok: false, message: `codeLangue: FR ou EN (reçu ${JSON.stringify(v)})` }
  return { ok: true, value: code }
}

// ---- Answers ----

/**
 * `statut` of a structure in the search answer: "ACTIVE" is what the notes give for it (§7, go-choruspro's field,
 * the spec's answer), although the request's `statutStructure` says ACTIF; INACTIVE by symmetry [unconfirmed].
 * Services' `statutService` (go, cnfilms read it; no source gives its values) says the same.
 */
export const statut = (active: boolean) => (active ? 'ACTIVE' : 'INACTIVE')

export type DirectoryFlags = { service_required: boolean; commitment_required: boolean; payment_status_managed: boolean; endpoint: string | null }

/**
 * consulter's `parametres` from the directory's flags (null: a private structure, which has none). OCA derives its
 * rule from the first three (notes §7); the hub has no "either the commitment or the service" rule, no MOA and no
 * delegated validator. A structure the hub delivers to (an endpoint) receives its invoices by EDI; one without keeps
 * them for the structure to fetch, as Chorus Pro's portal does.
 */
export function structureParametres(s: DirectoryFlags | null) {
  const edi = s !== null && s.endpoint !== null
  return {
    codeServiceDoitEtreRenseigne: s?.service_required ?? false,
    numeroEJDoitEtreRenseigne: s?.commitment_required ?? false,
    gestionNumeroEJOuCodeService: false,
    connexionEDI: edi,
    recevoirDonneesViaEDI: edi,
    statutMiseEnPaiementNestPasRemonte: !(s?.payment_status_managed ?? false),
    estMoaUniquement: false,
    estValideurDelegue: false,
    // go-choruspro reads getaMoa, cnfilms aMoa: both are sent.
    getaMoa: false,
    aMoa: false,
    nonDiffusibleInsee: false,
  }
}

// ---- The database ----

// The structures a call may see: the directory's, and the account's own that are not in it. A name for the latter
// is the one the hub's directory of recipients (participants) gives its address, if any.
const VISIBLE = `
  SELECT s.siret, s.name, s.active, 'PUBLIQUE' AS kind FROM structures s
  UNION ALL
  SELECT a.siret, p.name, true, 'PRIVEE' FROM unnest($1::text[]) a(siret) LEFT JOIN participants p ON p.address = '0009:' || a.siret
   WHERE NOT EXISTS (SELECT 1 FROM structures s WHERE s.siret = a.siret)`

type Found = { siret: string; name: string | null; active: boolean; total: string }

async function searchStructures(db: Db, own: string[], c: StructureCriteria, paging: Paging): Promise<{ rows: Found[]; total: number }> {
  const values: unknown[] = [own]
  const param = (v: unknown) => `$${values.push(v)}`
  const where = [
    ...(c.siret ? [`siret = ${param(c.siret)}`] : []),
    ...c.names.map((n) => `name ILIKE ${param(containsPattern(n))}`),
    ...(c.active !== null ? [`active = ${param(c.active)}`] : []),
    ...(c.kind ? [`kind = ${param(c.kind)}`] : []),
  ]
  const filtered = `FROM (${VISIBLE}) v ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`
  const order = orderBy(paging, [[/identifiant|siret/i, 'siret'], [/raison|designation|libelle|nom/i, 'lower(name)']], 'lower(name)', 'siret')
  const { rows } = await db.query<Found>(
    `SELECT siret, name, active, count(*) OVER () AS total ${filtered} ORDER BY ${order} LIMIT ${param(paging.perPage)} OFFSET ${param((paging.page - 1) * paging.perPage)}`, values)
  if (rows.length > 0 || paging.page === 1) return { rows, total: Number(rows[0]?.total ?? 0) }
  // A page past the last one: the total still says how many there are.
  const count = await db.query<{ total: string }>(`SELECT count(*) AS total ${filtered}`, values.slice(0, -2))
  return { rows, total: Number(count.rows[0]!.total) }
}

type Consulted = { siret: string; name: string | null; public: boolean; flags: DirectoryFlags | null }

/** The structure an idStructureCPP names, if the call may see it (a public structure, or one of the account's). */
async function visibleStructure(db: Db, id: number, own: string[]): Promise<Consulted | null> {
  const row = (await db.query<{ siret: string; name: string | null; participant: string | null; public: boolean } & DirectoryFlags>(
    `SELECT i.siret, s.name, p.name AS participant, s.siret IS NOT NULL AS public,
            s.service_required, s.commitment_required, s.payment_status_managed, s.endpoint
       FROM cpro_structure_ids i LEFT JOIN structures s ON s.siret = i.siret LEFT JOIN participants p ON p.address = '0009:' || i.siret
      WHERE i.id = $1`, [id])).rows[0]
  if (!row || (!row.public && !own.includes(row.siret))) return null
  return { siret: row.siret, name: row.public ? row.name : row.participant, public: row.public, flags: row.public ? row : null }
}

/**
 * The account's structures active for a role, in the account's order. fournisseur ("factures émises"): those its
 * partner may send for, as routing decides it (services/routing/directory.ts partnerBindings: its own addresses and
 * the sellers the operator bound to it). destinataire ("factures reçues"): an active public structure of the
 * directory, or, outside the directory, an address the partner receives at.
 */
const ACTIVE_FOR = {
  fournisseur: `'0009:' || a.siret IN (SELECT seller FROM partner_sellers WHERE partner_id = $2 UNION SELECT address FROM partner_addresses WHERE partner_id = $2)`,
  destinataire: `CASE WHEN s.siret IS NOT NULL THEN s.active ELSE '0009:' || a.siret IN (SELECT address FROM partner_addresses WHERE partner_id = $2) END`,
} as const

async function activeStructures(db: Db, own: string[], partnerId: string, role: keyof typeof ACTIVE_FOR) {
  return (await db.query<{ siret: string; name: string | null }>(
    `SELECT a.siret, COALESCE(s.name, p.name) AS name
       FROM unnest($1::text[]) WITH ORDINALITY a(siret, n)
       LEFT JOIN structures s ON s.siret = a.siret LEFT JOIN participants p ON p.address = '0009:' || a.siret
      WHERE ${ACTIVE_FOR[role]} ORDER BY a.n`, [own, partnerId])).rows
}

// ---- The routes ----

/** Reads a request part, or refuses the call with its libelle (null: already answered). */
function take<T>(res: Response, read: Parsed<T>): T | null {
  if (read.ok) return read.value
  refuse(res, read.message)
  return null
}

export function cproStructureRoutes(app: Express, { db, call }: { db: Db; call: RequestHandler[] }) {
  const own = (req: Request) => (req as CproRequest).cpro.account.structures

  app.post('/cpro/structures/v1/rechercher', call, async (req: Request, res: Response) => {
    const body = bodyOf(req)
    // restreindreStructuresPrivees (Pastell sends "") only narrows the private structures shown to the user's own,
    // and those are the only private ones the hub shows anyway: read by nobody here.
    const criteria = take(res, readStructureCriteria(body.structure))
    const paging = criteria && take(res, readPaging(body.parametres, 'parametres'))
    if (!criteria || !paging) return
    const { rows, total } = criteria.nothing ? { rows: [], total: 0 } : await searchStructures(db, own(req), criteria, paging)
    const ids = await structureIds(db, rows.map((r) => r.siret))
    res.json({
      ...(total > 0 ? SUCCESS : NO_RESULT),
      listeStructures: rows.map((r) => ({
        idStructureCPP: ids.get(r.siret)!, identifiantStructure: r.siret, designationStructure: r.name, statut: statut(r.active), typeIdentifiantStructure: 'SIRET',
      })),
      parametresRetour: pageInfo(total, paging),
    })
  })

  app.post('/cpro/structures/v1/consulter', call, async (req: Request, res: Response) => {
    const body = bodyOf(req)
    const id = take(res, readId(body, ['idStructureCPP', 'idStructure']))
    if (id === null || take(res, readLanguage(body.codeLangue)) === null) return
    const { account } = (req as CproRequest).cpro
    const s = await visibleStructure(db, id, account.structures)
    if (!s) return refuse(res, `aucune structure d'idStructureCPP ${id}: ni structure publique de l'annuaire, ni structure de ce compte technique`)
    res.json({
      codeRetour: 0, libelle: 'GCU_MSG_01_000',
      informationGenerales: {
        idStructureCPP: id, identifiantStructure: s.siret, typeIdentifiantStructure: 'SIRET', libelleStructure: s.name, raisonSocialeStructure: s.name,
        nomStructure: null, prenomStructure: null, emailStructure: null, numeroRcsStructure: null, numeroTVA: null,
        structurePriveePublique: s.public ? 'PUBLIQUE' : 'PRIVEE', idStructureOrigine: null, listeStructureDupliquees: [], estValideurDeleguee: false,
        // The expiry of the technical account attached to the structure: the caller's, for its own structures only
        // (another partner's account is none of its business). A date-time, as go-choruspro decodes it into a
        // time.Time (RFC 3339); the same format as the flux reports' dates.
        dateExpirationMotPasseCompteTech: account.structures.includes(s.siret) ? cproDateTime(account.passwordExpiresAt) : null,
      },
      parametres: structureParametres(s.flags),
      // The hub's directory keeps no postal addresses.
      adressePostaleDuSiege: {
        adresse: null, codePostal: null, complementAdresse1: null, complementAdresse2: null, fax: null, indicatifFax: null, indicatifTelephone: null, pays: null, telephone: null, ville: null,
      },
    })
  })

  app.post('/cpro/structures/v1/rechercher/services', call, async (req: Request, res: Response) => {
    const body = bodyOf(req)
    const id = take(res, readId(body, ['idStructure', 'idStructureCPP']))
    const paging = id !== null && take(res, readPaging(body.parametresRechercherServicesStructure, 'parametresRechercherServicesStructure'))
    if (id === null || !paging) return
    const s = await visibleStructure(db, id, own(req))
    if (!s) return refuse(res, `aucune structure d'idStructure ${id}: ni structure publique de l'annuaire, ni structure de ce compte technique`)
    const order = orderBy(paging, [[/code/i, 'code'], [/libelle|nom/i, 'lower(name)']], 'code', 'code')
    const { rows } = await db.query<{ code: string; name: string; active: boolean; total: string }>(
      `SELECT code, name, active, count(*) OVER () AS total FROM structure_services WHERE siret = $1 ORDER BY ${order} LIMIT $2 OFFSET $3`,
      [s.siret, paging.perPage, (paging.page - 1) * paging.perPage])
    const total = rows.length > 0 || paging.page === 1 ? Number(rows[0]?.total ?? 0)
      : Number((await db.query<{ total: string }>('SELECT count(*) AS total FROM structure_services WHERE siret = $1', [s.siret])).rows[0]!.total)
    const ids = await serviceIds(db, s.siret, rows.map((r) => r.code))
    res.json({
      ...(total > 0 ? SUCCESS : NO_RESULT),
      listeServices: rows.map((r) => ({
        idService: ids.get(r.code)!, codeService: r.code, libelleService: r.name, estActif: r.active, statutService: statut(r.active),
        // The directory has no validity dates for a service, only whether it is active (estActif). null rather than
        // an invented date: go-choruspro decodes these `yyyy-MM-dd HH:mm` fields into pointers, which null leaves
        // unset; OCA does not read them.
        dateDbtService: null, dateFinService: null,
      })),
      parametresRetour: pageInfo(total, paging),
    })
  })

  for (const role of ['fournisseur', 'destinataire'] as const) {
    app.post(`/cpro/transverses/v1/recuperer/structures/actives/${role}`, call, async (req: Request, res: Response) => {
      const { partnerId, account } = (req as CproRequest).cpro
      const rows = await activeStructures(db, account.structures, partnerId, role)
      const ids = await structureIds(db, rows.map((r) => r.siret))
      // Not a search: an account with no structure for the role has an empty list, codeRetour 0 (turbo124 throws on
      // any other code). The paging fields are top-level here (turbo124 reads them so), one page of everything.
      res.json({
        ...SUCCESS,
        listeStructures: rows.map((r) => ({ idStructureCPP: ids.get(r.siret)!, identifiant: r.siret, designationStructure: r.name })),
        ...pageInfo(rows.length, { page: 1, perPage: Math.max(rows.length, 1) }),
      })
    })
  }
}
