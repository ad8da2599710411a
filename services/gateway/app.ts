// The partner-facing HTTP API (paths and shapes are a contract: see README "HTTP API").
// Handlers read like the rules they apply; storage is PostgreSQL only, and the `received` event goes out
// through the transactional outbox, so a 202 always means the document is durable.
import express, { type NextFunction, type Request, type Response } from 'express'
import type { Config } from '../kit/config.js'
import type { Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import { problem, problemContentType, type Problem } from '../kit/problem.js'
import { readiness, type ReadinessCheck } from '../kit/health.js'
import { authenticate, bearerToken, refusalDetail, type Principal } from './api-keys.js'
import { createRateLimiter, createSlots, retryAfterSeconds } from './rate-limit.js'
import { auditRoutes, recordWhenDone } from './audit.js'
import { keyRoutes } from './key-routes.js'
import { sellerRoutes } from './seller-routes.js'
import { checkEndpoint, redactUrl } from '../kit/endpoint-policy.js'
import { checkDeposit, checkMediaType, mediaTypeOf } from './deposit.js'
import { storeDeposit } from './store-deposit.js'
import { readInvoiceView } from '../pdf/invoice-view.js'
import { renderInvoicePdf } from '../pdf/render.js'
import { cproRoutes } from './cpro-routes.js'
import { portalRoutes } from './portal/routes.js'
import { parseAddress, parseParticipant } from './participants.js'
import { directoryRoutes } from './directory-routes.js'
import { smpRoutes } from './smp-routes.js'
import type { SmpPublisher } from '../peppol/smp-publisher.js'
import type { PeppolIdentity } from '../peppol/pki.js'
import { as4Routes } from './as4-routes.js'
import { lifecycleRoutes } from './lifecycle-routes.js'
import { operationsRoutes } from './operations-routes.js'
import { dashboardRoutes } from './dashboard-routes.js'
import { NOT_DELIVERED, receivedBy } from './dashboard.js'
import { openapi } from './openapi.js'
import { prometheusContentType } from './metrics.js'
import { deposits, depositSeconds } from '../kit/metrics.js'
import { continueTrace, formatTraceparent, traceFields, TRACEPARENT } from '../kit/trace.js'

export type GatewayDeps = {
  config: Config; db: Db; log: Logger; checks: Record<string, ReadinessCheck>
  /** The outbox backlog shown in /readyz and the /metrics text (services/gateway/metrics.ts); absent: none. */
  observe?: { readinessDetails(): Promise<Record<string, unknown>>; metrics(): Promise<string> }
  /** The hub's own SMP (Peppol on with an SMP key): serves `/smp/…`; absent: no SMP routes. */
  smp?: SmpPublisher | null
  /** The hub's Peppol identity (Peppol on): serves `POST /as4`; absent: no AS4 endpoint. */
  peppol?: PeppolIdentity | null
}

type Authed = Request & { principal: Principal }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const send = (res: Response, p: Problem) => res.status(p.status).type(problemContentType).send(JSON.stringify(p))

export function createApp({ config, db, log, checks, observe, smp, peppol }: GatewayDeps): express.Express {
  const app = express()
  // Per process: with N gateways a key may make N times the rate (rate-limit.ts says why).
  const limiter = createRateLimiter({ ratePerSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst })
  const largeUploads = createSlots(config.maxLargeUploads)
  const endpointPolicy = { allowedHosts: config.deliveryAllowedHosts, dropRoot: config.dropRoot }
  const checkEndpointAllowed = (endpoint: string) => checkEndpoint(endpoint, endpointPolicy)
  app.disable('x-powered-by')
  app.set('etag', false)

  const auth = (role: Principal['role'] | 'any') => async (req: Request, res: Response, next: NextFunction) => {
    const key = bearerToken(req.get('authorization'))
    if (!key) {
      res.set('WWW-Authenticate', 'Bearer realm="facteur"')
      return send(res, problem('UNAUTHENTICATED', 'send your API key as `Authorization: Bearer <key>`'))
    }
    const authentication = await authenticate(db, key)
    if (!authentication.ok) {
      res.set('WWW-Authenticate', 'Bearer realm="facteur", error="invalid_token"')
      return send(res, problem('UNAUTHENTICATED', refusalDetail(authentication)))
    }
    const { principal } = authentication
    // Every request of an admin key is recorded, refused ones included (audit.ts).
    if (principal.role === 'admin') recordWhenDone(db, log, req, res, principal)
    const allowed = limiter.take(principal.keyId)
    if (!allowed.ok) {
      const seconds = retryAfterSeconds(allowed.retryAfterMs)
      res.set('Retry-After', String(seconds))
      return send(res, problem('RATE_LIMITED', `this API key made more than ${config.rateLimitBurst} requests at once or ${config.rateLimitPerSecond} per second on average; retry in ${seconds} s`, { retryAfter: seconds }))
    }
    if (role !== 'any' && principal.role !== role) {
      return send(res, problem('FORBIDDEN', role === 'admin' ? 'this operation needs the admin key' : 'this operation needs a partner key, not the admin key'))
    }
    ;(req as Authed).principal = principal
    next()
  }

  /**
   * The document if `principal` may see it (its sender, its recipient once delivered, or the admin); its
   * bytes are read only when asked for.
   */
  const visibleDocument = async (id: string, principal: Principal, options: { payload: boolean } = { payload: false }) =>
    (await db.query<{ content_type: string; payload: Buffer | null; invoice: Buffer | null; received_at: Date }>(
      `SELECT d.content_type, d.received_at, ${options.payload ? 'd.payload, coalesce(d.business_xml, d.payload) AS invoice' : 'NULL::bytea AS payload, NULL::bytea AS invoice'}
         FROM documents d WHERE d.id = $1 AND (d.partner_id = $2 OR $3
         OR (${receivedBy('$2', '$4')}))`,
      [id, principal.id, principal.role === 'admin', NOT_DELIVERED])).rows[0] ?? null

  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }) })
  app.get('/readyz', async (_req, res) => {
    const failures = await readiness(checks)
    const ok = Object.keys(failures).length === 0
    const details = await observe?.readinessDetails().catch(() => ({})) ?? {}
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', failures, ...details })
  })
  app.get('/v1/openapi.json', (_req, res) => res.json(openapi))
  // The Chorus Pro-compatible API (/api/oauth/token, /cpro/...) and its management (/v1/cpro/...).
  cproRoutes(app, { config, db, log, any: auth('any'), send })
  // The portal: people in a browser, signed in with two factors (services/gateway/portal); its operator pages run
  // the readiness checks of /readyz.
  portalRoutes(app, { config, db, log, checks })
  app.get('/metrics', async (_req, res) => {
    try {
      res.type(prometheusContentType).send(observe ? await observe.metrics() : '')
    } catch (error) {
      send(res, problem('INFRA_UNAVAILABLE', `the metrics could not be read: ${(error as Error).message}`))
    }
  })

  // POST /v1/documents: media type first (415 without reading the body), then size, then XML safety.
  app.post('/v1/documents',
    // Every answer is counted, refusals by the checks below included; the time of the 202s is the latency a
    // partner sees (issue 11's target: p99 < 50 ms).
    (_req, res, next) => {
      const started = performance.now()
      res.once('finish', () => {
        const outcome = res.statusCode !== 202 ? 'refused' : res.locals.replayed ? 'replayed' : 'accepted'
        deposits.inc({ outcome, status: String(res.statusCode) })
        if (res.statusCode === 202) depositSeconds.observe({ outcome }, (performance.now() - started) / 1000)
      })
      next()
    },
    auth('partner'),
    (req, res, next) => {
      const unsupported = checkMediaType(req.get('content-type'))
      if (unsupported) return send(res, unsupported)
      const declared = Number(req.get('content-length'))
      if (Number.isFinite(declared) && declared > config.maxDocumentBytes) {
        return send(res, problem('DOCUMENT_TOO_LARGE', `the document is ${declared} bytes; the limit is ${config.maxDocumentBytes} bytes`))
      }
      // A large body (or one of unknown length) takes an upload slot before a byte of it is read.
      if (!(Number.isFinite(declared) && req.get('content-length') !== undefined && declared <= config.largeUploadBytes)) {
        const release = largeUploads.tryAcquire()
        if (!release) {
          res.set('Retry-After', '1')
          return send(res, problem('UPLOADS_BUSY', `${config.maxLargeUploads} uploads over ${config.largeUploadBytes} bytes (or without Content-Length) are being read; retry in 1 s`, { retryAfter: 1 }))
        }
        res.once('close', release)
      }
      next()
    },
    express.raw({ type: () => true, limit: config.maxDocumentBytes }),
    async (req, res) => {
      const { principal } = req as Authed
      const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      const idempotencyKey = req.get('idempotency-key') ?? null
      if (idempotencyKey !== null && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
        return send(res, problem('INVALID_REQUEST', 'Idempotency-Key must be 1 to 255 visible ASCII characters'))
      }
      const deposit = checkDeposit(body, { maxBytes: config.maxDocumentBytes, maxDepth: config.maxXmlDepth }, mediaTypeOf(req.get('content-type')))
      if (!deposit.ok) {
        log.info({ partnerId: principal.id, problem: deposit.problem.type, detail: deposit.problem.detail }, 'deposit refused')
        return send(res, deposit.problem)
      }
      // The document's trace: a span under the partner's `traceparent` when it sent a valid one, else a new trace.
      // It goes with the document and as the header of its `received` event; every later step continues it.
      const trace = continueTrace(req.get(TRACEPARENT))
      const traceparent = formatTraceparent(trace)
      const outcome = await storeDeposit(db, config.topicPrefix, {
        partnerId: principal.id, body, contentType: mediaTypeOf(req.get('content-type')) ?? 'application/xml',
        sha256: deposit.sha256, sizeBytes: deposit.sizeBytes, idempotencyKey, traceparent,
      })
      if (outcome.replay && outcome.sha256 !== deposit.sha256) {
        return send(res, problem('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key '${idempotencyKey}' was already used for document ${outcome.id} with different content`, { documentId: outcome.id }))
      }
      log.info({ documentId: outcome.id, partnerId: principal.id, sizeBytes: deposit.sizeBytes, replay: outcome.replay, ...(outcome.replay ? {} : traceFields(trace)) }, outcome.replay ? 'deposit replayed (Idempotency-Key)' : 'document accepted')
      res.locals.replayed = outcome.replay
      res.status(202).location(`/v1/documents/${outcome.id}`).json({ id: outcome.id, status: outcome.replay ? outcome.status : 'DEPOSEE' })
    })

  // Before /v1/documents/:id, so that `summary` is not taken for an id.
  dashboardRoutes(app, { db, partner: auth('partner'), send })

  app.get('/v1/documents/:id', auth('any'), async (req, res) => {
    const { principal } = req as Authed
    const id = String(req.params.id)
    const notFound = () => send(res, problem('NOT_FOUND', `no document ${id} for this key`))
    if (!UUID.test(id)) return notFound()
    // The sender, the recipient (one of its addresses received it) and the admin see a document.
    // The resubmission links name another document: only one the caller may see itself (no cross-tenant ids).
    const { rows } = await db.query<{ id: string; status: string; received_at: Date; syntax: string | null; findings: unknown[]; partner_id: string; recipient_address: string | null; service_code: string | null; resubmission_of: string | null; resubmitted_as: string | null; content_type: string; container: Record<string, unknown> | null }>(
      `SELECT d.id, d.status, d.received_at, d.syntax, d.findings, d.partner_id, d.recipient_address, d.service_code, d.content_type, d.container,
              (SELECT o.id FROM documents o WHERE o.id = d.resubmission_of AND (o.partner_id = $2 OR $3 OR (${receivedBy('$2', '$4', 'o')}))) AS resubmission_of,
              (SELECT r.id FROM documents r WHERE r.resubmission_of = d.id AND (r.partner_id = $2 OR $3 OR (${receivedBy('$2', '$4', 'r')}))
                ORDER BY r.received_at DESC LIMIT 1) AS resubmitted_as
         FROM documents d
        WHERE d.id = $1 AND (d.partner_id = $2 OR $3
              OR (${receivedBy('$2', '$4')}))`,
      [id, principal.id, principal.role === 'admin', NOT_DELIVERED])
    const doc = rows[0]
    // Another partner's document answers exactly like a missing one: its existence is not disclosed.
    if (!doc) return notFound()
    const asRecipient = doc.partner_id !== principal.id && principal.role !== 'admin'
    const history = (await db.query<{ sequence: number; status: string; code: string | null; at: Date; reason: string | null; actor: string }>(
      'SELECT sequence, status, code, at, reason, actor FROM status_history WHERE document_id = $1 ORDER BY sequence', [id])).rows
      // The hub's reasons (routing, delivery, recycling) are written for the sender and the operator; the
      // recipient sees the statuses and the reasons of the business statuses the two parties exchange.
      .map((h) => (asRecipient && h.actor === 'hub' ? { ...h, reason: null } : h))
    res.json({
      id: doc.id,
      status: doc.status,
      receivedAt: doc.received_at.toISOString(),
      syntax: doc.syntax,
      contentType: doc.content_type,
      // A Factur-X deposit: what ingest read of the PDF (the embedded file, the profile, the PDF's warnings).
      ...(doc.container ? { container: doc.container } : {}),
      direction: doc.partner_id === principal.id ? 'sent' : principal.role === 'admin' ? undefined : 'received',
      ...(doc.recipient_address ? { recipient: doc.recipient_address } : {}),
      ...(doc.service_code ? { serviceCode: doc.service_code } : {}),
      ...(doc.resubmission_of ? { resubmissionOf: doc.resubmission_of } : {}),
      ...(doc.resubmitted_as ? { resubmittedAs: doc.resubmitted_as } : {}),
      history: history.length > 0
        ? history.map((h) => ({ sequence: h.sequence, status: h.status, ...(h.code ? { code: h.code } : {}), at: h.at.toISOString(), actor: h.actor, ...(h.reason ? { reason: h.reason } : {}) }))
        : [{ sequence: 1, status: 'DEPOSEE', code: '200', at: doc.received_at.toISOString(), actor: 'hub' }],
      findings: doc.findings,
    })
  })

  // The invoice as a readable PDF (any syntax), for people without an XML system: its parties, lines, VAT breakdown,
  // totals and payment details, French or English labels (services/pdf). A Factur-X deposit renders its CII.
  app.get('/v1/documents/:id/pdf', auth('any'), async (req, res) => {
    const { principal } = req as Authed
    const id = String(req.params.id)
    const doc = UUID.test(id) ? await visibleDocument(id, principal, { payload: true }) : null
    if (!doc) return send(res, problem('NOT_FOUND', `no document ${id} for this key`))
    const lang = req.query.lang === undefined ? 'fr' : req.query.lang
    if (lang !== 'fr' && lang !== 'en') return send(res, problem('INVALID_REQUEST', '`lang` is fr or en'))
    const read = readInvoiceView(doc.invoice!, { maxBytes: config.maxDocumentBytes, maxDepth: config.maxXmlDepth })
    if (!read.ok) return send(res, problem('NOT_AN_INVOICE', `this document cannot be shown as an invoice: ${read.reason}`))
    const pdf = await renderInvoicePdf(read.view, { lang, now: doc.received_at })
    res.type('application/pdf').set('Content-Disposition', `inline; filename="${id}.pdf"`).set('X-Facteur-Document-Id', id).send(Buffer.from(pdf))
  })

  // The original bytes: how a structure without an endpoint fetches what was made available to it.
  app.get('/v1/documents/:id/content', auth('any'), async (req, res) => {
    const { principal } = req as Authed
    const id = String(req.params.id)
    const doc = UUID.test(id) ? await visibleDocument(id, principal, { payload: true }) : null
    if (!doc) return send(res, problem('NOT_FOUND', `no document ${id} for this key`))
    res.type(doc.content_type).set('X-Facteur-Document-Id', id).send(doc.payload)
  })

  // The receipts sent back for the document (UBL 2.1 ApplicationResponse), oldest first: to its sender, its
  // recipient once delivered, and the admin.
  app.get('/v1/documents/:id/receipts', auth('any'), async (req, res) => {
    const { principal } = req as Authed
    const id = String(req.params.id)
    if (!UUID.test(id)) return send(res, problem('NOT_FOUND', `no document ${id} for this key`))
    if (!(await visibleDocument(id, principal))) return send(res, problem('NOT_FOUND', `no document ${id} for this key`))
    const { rows } = await db.query<{ sequence: number; status: string; kind: string; response_code: string; issued_at: Date; xml: string; delivered_at: Date | null }>(
      'SELECT sequence, status, kind, response_code, issued_at, xml, delivered_at FROM receipts WHERE document_id = $1 ORDER BY sequence', [id])
    res.json({
      documentId: id,
      receipts: rows.map((r) => ({ sequence: r.sequence, status: r.status, kind: r.kind, responseCode: r.response_code, issuedAt: r.issued_at.toISOString(), ...(r.delivered_at ? { deliveredAt: r.delivered_at.toISOString() } : {}), xml: r.xml })),
    })
  })

  app.put('/v1/directory/participants/:address', auth('admin'), express.json({ limit: '64kb' }), async (req, res) => {
    const address = parseAddress(String(req.params.address))
    if (!address.ok) return send(res, problem('INVALID_REQUEST', address.message))
    const body = parseParticipant(req.body)
    if (!body.ok) return send(res, problem('INVALID_REQUEST', body.message))
    const allowed = await checkEndpointAllowed(body.value.endpoint)
    if (!allowed.ok) return send(res, problem('INVALID_REQUEST', `\`endpoint\` refused: ${allowed.reason}`))
    const { rows } = await db.query<{ created: boolean }>(
      `INSERT INTO participants (address, name, endpoint, delivery_format) VALUES ($1, $2, $3, $4)
       ON CONFLICT (address) DO UPDATE SET name = EXCLUDED.name, endpoint = EXCLUDED.endpoint, delivery_format = EXCLUDED.delivery_format, updated_at = now()
       RETURNING (xmax = 0) AS created`, [address.value, body.value.name, body.value.endpoint, body.value.format])
    log.info({ address: address.value, endpoint: redactUrl(body.value.endpoint) }, 'participant registered')
    res.status(rows[0]?.created ? 201 : 200).json({ address: address.value, ...body.value })
  })

  app.get('/v1/directory/participants/:address', auth('admin'), async (req, res) => {
    const address = parseAddress(String(req.params.address))
    if (!address.ok) return send(res, problem('INVALID_REQUEST', address.message))
    const { rows } = await db.query<{ address: string; name: string; endpoint: string; delivery_format: string; updated_at: Date }>(
      'SELECT address, name, endpoint, delivery_format, updated_at FROM participants WHERE address = $1', [address.value])
    const p = rows[0]
    if (!p) return send(res, problem('NOT_FOUND', `no participant ${address.value} in the directory`))
    res.json({ address: p.address, name: p.name, endpoint: p.endpoint, format: p.delivery_format, updatedAt: p.updated_at.toISOString() })
  })

  directoryRoutes(app, { db, log, admin: auth('admin'), send, checkEndpoint: checkEndpointAllowed })
  if (smp) smpRoutes(app, { smp, send })
  if (peppol) as4Routes(app, { config, db, log, peppol })
  keyRoutes(app, { db, log, graceSeconds: config.keyRotationGraceSeconds, any: auth('any'), admin: auth('admin'), send })
  sellerRoutes(app, { db, log, admin: auth('admin'), send })
  auditRoutes(app, { db, admin: auth('admin'), send })
  lifecycleRoutes(app, { db, log, topicPrefix: config.topicPrefix, partner: auth('partner'), send })
  operationsRoutes(app, { db, log, topicPrefix: config.topicPrefix, admin: auth('admin'), send })

  app.use((req, res) => send(res, problem('NOT_FOUND', `no route ${req.method} ${req.path}`)))

  // Errors from body parsers carry a status (400 bad JSON, 413 too large); anything else is ours: 500, logged.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = error as { type?: string; status?: number; message?: string }
    if (e.type === 'entity.too.large') {
      const limit = (e as { limit?: number }).limit ?? config.maxDocumentBytes
      return send(res, problem('DOCUMENT_TOO_LARGE', `the request body exceeds the limit of ${limit} bytes for ${req.method} ${req.path}`))
    }
    if (e.type === 'entity.parse.failed') return send(res, problem('INVALID_REQUEST', `the JSON body is not valid: ${e.message}`))
    if (e.status && e.status >= 400 && e.status < 500) return send(res, problem('INVALID_REQUEST', String(e.message)))
    log.error({ err: error, method: req.method, path: req.path }, 'request failed')
    const unavailable = /ECONNREFUSED|Connection terminated|timeout exceeded/.test(String(e.message))
    return send(res, unavailable ? problem('INFRA_UNAVAILABLE', 'the document store is unavailable; retry later (nothing was accepted)') : problem('INTERNAL', 'internal error; it has been logged'))
  })
  return app
}
