// A Chorus Pro-compatible API (PISTE): a connector written for Chorus Pro works with the hub by changing its two
// base URLs, the token URL (`POST /api/oauth/token`) and the API's (`/cpro/...`). A thin adapter over the hub's own
// deposit and documents: `deposer/flux` is a deposit like POST /v1/documents (store-deposit.ts), the flux report
// (`consulterCR`, `consulterCRDetaille`) is the document's status and findings. Field names, value formats and
// answers as the real clients read them (docs/chorus-pro-api-notes.md): success is HTTP 200 with `codeRetour` 0,
// a refused call HTTP 400 with `codeRetour` and `libelle`. Also the hub's own API to manage the OAuth clients and the
// technical accounts (`/v1/cpro/...`), for a partner (its own) and the admin (anyone's, with `partnerId`).
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express'
import type { Config } from '../kit/config.js'
import type { Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import { problem, type Problem } from '../kit/problem.js'
import { continueTrace, formatTraceparent } from '../kit/trace.js'
import type { DocumentKeys, Finding } from '../../schemas/events.js'
import type { Principal } from './api-keys.js'
import { checkAccount, createAccount, createClient, issueToken, listAccounts, resetPassword, tokenPartner, type TechnicalAccount } from './cpro-accounts.js'
import { cproDate, cproDateTime, declaredRoot, depositSyntaxes, fluxState, unsupportedSyntaxes } from './cpro-format.js'
import { checkDeposit } from './deposit.js'
import { storeDeposit } from './store-deposit.js'
import { findPrincipal } from './key-routes.js'
import { bodyOf, refuse, SUCCESS, type CproRequest } from './cpro-http.js'
import { cproStructureRoutes } from './cpro-structures.js'
import { cproInvoiceRoutes } from './cpro-invoices.js'

type Helpers = { config: Config; db: Db; log: Logger; any: RequestHandler; send: (res: Response, p: Problem) => void }

const unauthorized = (res: Response, error: string, description: string) =>
  res.status(401).set('WWW-Authenticate', `Bearer realm="cpro", error="${error}"`).json({ error, error_description: description, libelle: description })

export function cproRoutes(app: Express, { config, db, log, any, send }: Helpers) {
  // A base URL configured with a trailing slash gives `//cpro/...`: the same call.
  app.use((req, _res, next) => { if (req.url.startsWith('//')) req.url = req.url.replace(/^\/+/, '/'); next() })

  // ---- PISTE's OAuth2 token: client_credentials, the credentials in the form (or HTTP Basic) ----
  app.post('/api/oauth/token', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const form = (req.body ?? {}) as Record<string, string | undefined>
    const basic = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1]
    const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(/:(.*)/s) : []
    const clientId = form.client_id ?? basicId
    const clientSecret = form.client_secret ?? basicSecret
    if (form.grant_type !== 'client_credentials') {
      return res.status(400).json({ error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' })
    }
    if (!clientId || !clientSecret) return res.status(400).json({ error: 'invalid_request', error_description: 'client_id and client_secret are required' })
    const issued = await issueToken(db, clientId, clientSecret)
    if (!issued.ok) {
      log.info({ clientId }, 'Chorus Pro API: token refused')
      return res.status(401).json({ error: 'invalid_client', error_description: 'unknown client or wrong secret' })
    }
    res.json({ access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: form.scope ?? 'openid' })
  })

  // ---- Every /cpro call: the bearer token, then (but for the health check) the technical account ----
  const bearer = async (req: Request, res: Response, next: NextFunction) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1]
    if (!token) return unauthorized(res, 'invalid_request', 'send the token of POST /api/oauth/token as Authorization: Bearer <access_token>')
    const found = await tokenPartner(db, token)
    if (!found.ok) return unauthorized(res, 'invalid_token', found.reason === 'expired' ? 'the access token expired: ask POST /api/oauth/token for a new one' : 'the access token is not valid')
    ;(req as CproRequest).cpro = { partnerId: found.partnerId, account: undefined as unknown as TechnicalAccount }
    next()
  }
  const account = async (req: Request, res: Response, next: NextFunction) => {
    const cpro = (req as CproRequest).cpro
    const checked = await checkAccount(db, req.get('cpro-account'), cpro.partnerId)
    if (!checked.ok) return unauthorized(res, 'invalid_account', checked.reason)
    cpro.account = checked.account
    next()
  }
  // deposer/flux carries the file in base64: a third more than the largest document, and the JSON around it.
  const json = express.json({ limit: Math.ceil(config.maxDocumentBytes * 4 / 3) + 64 * 1024, type: () => true })
  const call = [bearer, account, json] as RequestHandler[]

  app.get('/cpro/transverses/v1/health-check', bearer, (_req, res) => {
    res.json({ body: 'OK', statusCode: 'OK', statusCodeValue: 200 })
  })

  // ---- Factures: deposer/flux ----
  app.post('/cpro/factures/v1/deposer/flux', call, async (req: Request, res: Response) => {
    const { cpro } = req as CproRequest
    const { fichierFlux, nomFichier, syntaxeFlux } = bodyOf(req)
    if (typeof syntaxeFlux !== 'string' || syntaxeFlux === '') return refuse(res, `syntaxeFlux est obligatoire (${Object.keys(depositSyntaxes).join(', ')})`)
    const syntax = depositSyntaxes[syntaxeFlux]
    if (!syntax) return refuse(res, `syntaxeFlux ${syntaxeFlux} n'est pas prise en charge par ce hub: ${unsupportedSyntaxes[syntaxeFlux] ?? `use ${Object.keys(depositSyntaxes).join(', ')}`}`)
    if (typeof nomFichier !== 'string' || nomFichier.trim() === '' || nomFichier.length > 255) return refuse(res, 'nomFichier est obligatoire (le nom du fichier, 255 caractères au plus)')
    if (typeof fichierFlux !== 'string' || fichierFlux === '' || !/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(fichierFlux)) return refuse(res, 'fichierFlux est obligatoire: le fichier en base64')
    const file = Buffer.from(fichierFlux, 'base64')
    if (/\.(zip|tar|tgz|gz)$/i.test(nomFichier) || file.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b])) || file.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) {
      return refuse(res, 'les lots (archives zip ou tar.gz de plusieurs factures) ne sont pas pris en charge par ce hub: déposez une facture par flux')
    }
    const deposit = checkDeposit(file, { maxBytes: config.maxDocumentBytes, maxDepth: config.maxXmlDepth }, syntax.contentType)
    if (!deposit.ok) return refuse(res, `le fichier est refusé: ${deposit.problem.detail}`)
    if (syntax.contentType === 'application/xml') {
      const found = declaredRoot(file)
      if (!found || !syntax.syntaxes.includes(found)) return refuse(res, `le fichier n'est pas ${syntax.what} comme syntaxeFlux ${syntaxeFlux} le déclare${found ? ` (c'est un document ${found})` : ''}`)
    }
    let numero = ''
    const stored = await storeDeposit(db, config.topicPrefix, {
      partnerId: cpro.partnerId, body: file, contentType: syntax.contentType, sha256: deposit.sha256, sizeBytes: deposit.sizeBytes,
      idempotencyKey: null, traceparent: formatTraceparent(continueTrace(undefined)),
    }, async (tx, id) => {
      numero = (await tx.query<{ numero: string }>(
        `INSERT INTO cpro_flux (numero, document_id, partner_id, syntaxe, nom_fichier, login)
         VALUES ('CPP' || lpad(nextval('cpro_flux_seq')::text, 22, '0'), $1, $2, $3, $4, $5) RETURNING numero`,
        [id, cpro.partnerId, syntaxeFlux, nomFichier, cpro.account.login])).rows[0]!.numero
    })
    log.info({ documentId: stored.id, partnerId: cpro.partnerId, numeroFluxDepot: numero, syntaxeFlux, account: cpro.account.login }, 'document accepted (Chorus Pro deposer/flux)')
    res.json({ codeRetour: 0, libelle: 'GCU_MSG_01_000', numeroFluxDepot: numero, dateDepot: cproDate(stored.receivedAt), syntaxeFlux })
  })

  // ---- Transverses: the flux report, short and detailed ----
  type FluxRow = { numero: string; syntaxe: string; nom_fichier: string; deposited_at: Date; status: string; status_at: Date; keys: DocumentKeys | null; findings: Finding[]; partner_name: string }
  const flux = async (req: Request, res: Response): Promise<FluxRow | null> => {
    const { cpro } = req as CproRequest
    const { numeroFluxDepot } = bodyOf(req)
    if (typeof numeroFluxDepot !== 'string' || numeroFluxDepot === '') { refuse(res, 'numeroFluxDepot est obligatoire'); return null }
    const row = (await db.query<FluxRow>(
      `SELECT f.numero, f.syntaxe, f.nom_fichier, f.deposited_at, d.status, d.status_at, d.keys, d.findings, p.name AS partner_name
         FROM cpro_flux f JOIN documents d ON d.id = f.document_id JOIN partners p ON p.id = f.partner_id
        WHERE f.numero = $1 AND f.partner_id = $2`, [numeroFluxDepot, cpro.partnerId])).rows[0]
    // Another partner's flux answers exactly like a missing one.
    if (!row) { refuse(res, `aucun flux ${numeroFluxDepot} pour ce compte`); return null }
    return row
  }

  app.post('/cpro/transverses/v1/consulterCR', call, async (req: Request, res: Response) => {
    const row = await flux(req, res)
    if (!row) return
    res.json({
      ...SUCCESS, numeroFluxDepot: row.numero, codeAppliPartenaire: null, codeInterfaceFlux: row.syntaxe, designationPartenaire: row.partner_name,
      dateDepotFlux: cproDateTime(row.deposited_at), dateHeureEtatCourantFlux: cproDateTime(row.status_at), etatCourantFlux: fluxState(row.status),
      nomFichierFlux: row.nom_fichier, fichierCR: null,
    })
  })

  app.post('/cpro/transverses/v1/consulterCRDetaille', call, async (req: Request, res: Response) => {
    const row = await flux(req, res)
    if (!row) return
    const state = fluxState(row.status)
    const siret = (id: { scheme: string | null; value: string } | null | undefined) => id?.value ?? null
    // One line per refusing finding, naming the invoice (numeroDP: BT-1, which connectors match) and the rule.
    const errors = state !== 'IN_REJETE' ? [] : row.findings.filter((f) => f.severity === 'fatal').map((f) => ({
      identifiantFournisseur: siret(row.keys?.seller.legalId) ?? siret(row.keys?.seller.endpoint),
      identifiantDestinataire: siret(row.keys?.buyer.legalId) ?? siret(row.keys?.buyer.endpoint),
      numeroDP: row.keys?.invoiceNumber ?? null,
      libelleErreurDP: `${f.ruleId}: ${f.message}`,
    }))
    res.json({
      ...SUCCESS, codeInterfaceDepotFlux: row.syntaxe, dateDepotFlux: cproDateTime(row.deposited_at), dateHeureEtatCourantFlux: cproDateTime(row.status_at),
      etatCourantDepotFlux: state, nomFichier: row.nom_fichier, listeErreurDP: errors, listeErreurTechnique: [],
    })
  })

  cproStructureRoutes(app, { db, call })
  cproInvoiceRoutes(app, { db, log, topicPrefix: config.topicPrefix, call })

  // What the hub does not answer yet: said plainly, in the API's own shape.
  app.use('/cpro', call, (req: Request, res: Response) => {
    res.status(404).json({ codeRetour: 404, libelle: `${req.method} /cpro${req.path} n'est pas (encore) proposé par ce hub; voir le README, « Chorus Pro »` })
  })
  // A body that is not JSON, or too large, answered in the API's shape too (not the hub's problem+json).
  app.use('/cpro', (error: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error)
    if (error.type === 'entity.too.large') return res.status(413).json({ codeRetour: 413, libelle: `le corps de la requête dépasse ${Math.ceil(config.maxDocumentBytes * 4 / 3) + 64 * 1024} octets` })
    if (error.status === 400) return refuse(res, `le corps de la requête n'est pas du JSON lisible: ${error.message}`)
    next(error)
  })

  // ---- The hub's own API: OAuth clients and technical accounts ----
  /** The partner a call acts for: the caller, or for the admin the `partnerId` it names. */
  const actingFor = async (req: Request, res: Response): Promise<string | null> => {
    const { principal } = req as Request & { principal: Principal }
    if (principal.role !== 'admin') return principal.id
    const partnerId = (bodyOf(req).partnerId ?? req.query.partnerId) as unknown
    const partner = typeof partnerId === 'string' ? await findPrincipal(db, partnerId) : null
    if (!partner || partner.role !== 'partner') { send(res, problem('INVALID_REQUEST', 'the admin names the partner: partnerId')); return null }
    return partner.id
  }
  const accountJson = (a: TechnicalAccount) => ({ login: a.login, partnerId: a.partnerId, structures: a.structures, passwordExpiresAt: a.passwordExpiresAt.toISOString(), createdAt: a.createdAt.toISOString(), disabled: a.disabled })
  const small = express.json({ limit: '16kb' })

  app.post('/v1/cpro/clients', any, small, async (req, res) => {
    const partnerId = await actingFor(req, res)
    if (!partnerId) return
    const client = await createClient(db, partnerId)
    log.info({ partnerId, clientId: client.clientId }, 'Chorus Pro API client created')
    res.status(201).json(client)
  })

  app.post('/v1/cpro/accounts', any, small, async (req, res) => {
    const partnerId = await actingFor(req, res)
    if (!partnerId) return
    const body = bodyOf(req)
    const created = await createAccount(db, partnerId, { login: typeof body.login === 'string' ? body.login : undefined, structures: body.structures as string[] })
    if (!created.ok) return send(res, problem(created.conflict ? 'CONFLICT' : 'INVALID_REQUEST', created.problem))
    log.info({ partnerId, login: created.account.login, structures: created.account.structures }, 'Chorus Pro technical account created')
    res.status(201).json({ ...accountJson(created.account), password: created.password })
  })

  app.get('/v1/cpro/accounts', any, async (req, res) => {
    const { principal } = req as Request & { principal: Principal }
    res.json({ accounts: (await listAccounts(db, principal.role === 'admin' ? null : principal.id)).map(accountJson) })
  })

  app.post('/v1/cpro/accounts/:login/password', any, async (req, res) => {
    const { principal } = req as Request & { principal: Principal }
    const reset = await resetPassword(db, principal.role === 'admin' ? null : principal.id, String(req.params.login))
    if (!reset) return send(res, problem('NOT_FOUND', `no technical account ${req.params.login}`))
    log.info({ login: reset.account.login, by: principal.name }, 'Chorus Pro technical account password reset')
    res.json({ ...accountJson(reset.account), password: reset.password })
  })
}
