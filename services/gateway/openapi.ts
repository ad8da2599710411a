// The hub's HTTP API reference, OpenAPI 3.1, served at GET /v1/openapi.json. A plain object written by hand:
// openapi.test.ts keeps it true to the code (every express route documented and every documented path
// registered, enums equal to schemas/lifecycle.ts, problem `type`s and statuses equal to kit/errors.ts, the
// key each operation needs checked against the running app).

type JsonSchema = { [keyword: string]: unknown } // JSON Schema 2020-12, the OpenAPI 3.1 dialect
type Ref = { $ref: string }
type Example = { summary?: string; description?: string; value: unknown }
type MediaType = { schema?: JsonSchema | Ref; example?: unknown; examples?: Record<string, Example> }
type Header = { description?: string; required?: boolean; schema: JsonSchema | Ref; example?: unknown }
type Response = { description: string; headers?: Record<string, Header | Ref>; content?: Record<string, MediaType> }
type Parameter = {
  name: string; in: 'path' | 'query' | 'header'; description?: string; required?: boolean
  style?: string; explode?: boolean; schema: JsonSchema | Ref; example?: unknown
}
type RequestBody = { description?: string; required?: boolean; content: Record<string, MediaType> }
/** Which API key an operation takes (checked in openapi.test.ts against the app's auth middleware). */
export type KeyKind = 'partner' | 'admin' | 'any' | 'none'
export type Operation = {
  operationId: string; summary: string; description?: string; tags: string[]
  security?: Record<string, string[]>[]; 'x-facteur-key': KeyKind
  parameters?: (Parameter | Ref)[]; requestBody?: RequestBody | Ref; responses: Record<string, Response | Ref>
}
export const httpMethods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const
export type PathItem = { summary?: string; description?: string; parameters?: (Parameter | Ref)[] } & Partial<Record<(typeof httpMethods)[number], Operation>>
export type OpenApiDocument = {
  openapi: `3.1.${number}`
  jsonSchemaDialect?: string
  info: { title: string; version: string; summary?: string; description?: string; license?: { name: string; identifier?: string; url?: string } }
  servers?: { url: string; description?: string }[]
  tags?: { name: string; description?: string }[]
  security?: Record<string, string[]>[]
  paths: Record<string, PathItem>
  components: {
    schemas?: Record<string, JsonSchema>
    responses?: Record<string, Response>
    parameters?: Record<string, Parameter>
    headers?: Record<string, Header>
    securitySchemes?: Record<string, { type: 'http'; scheme: string; bearerFormat?: string; description?: string }>
  }
}

const ref = (kind: 'schemas' | 'responses' | 'parameters' | 'headers', name: string): Ref => ({ $ref: `#/components/${kind}/${name}` })
const PROBLEM = 'application/problem+json'
const publicOp = { security: [] as Record<string, string[]>[], 'x-facteur-key': 'none' as const }

/** A problem+json response whose `type` is one of `types` (https://facteur.dev/problems/…). */
const problemResponse = (description: string, ...types: string[]): Response => ({
  description,
  content: {
    [PROBLEM]: {
      schema: {
        allOf: [ref('schemas', 'Problem'), { properties: { type: types.length === 1 ? { const: `https://facteur.dev/problems/${types[0]}` } : { enum: types.map((t) => `https://facteur.dev/problems/${t}`) } } }],
      },
    },
  },
})

const statusEnum = [
  'DEPOSEE', 'REJETEE', 'A_RECYCLER', 'MISE_A_DISPOSITION', 'ECHEC_DISTRIBUTION', 'EN_ERREUR', 'RELANCEE', 'PRISE_EN_CHARGE', 'APPROUVEE',
  'APPROUVEE_PARTIELLEMENT', 'EN_LITIGE', 'SUSPENDUE', 'COMPLETEE', 'REFUSEE', 'SERVICE_FAIT', 'MANDATEE', 'MISE_EN_PAIEMENT',
  'PAIEMENT_TRANSMIS', 'ENCAISSEE',
]
/** Statuses a partner may set through POST /v1/documents/{id}/status (all but the hub's). */
const settableStatuses = [
  'PRISE_EN_CHARGE', 'APPROUVEE', 'APPROUVEE_PARTIELLEMENT', 'EN_LITIGE', 'SUSPENDUE', 'COMPLETEE', 'REFUSEE', 'SERVICE_FAIT',
  'MANDATEE', 'MISE_EN_PAIEMENT', 'PAIEMENT_TRANSMIS', 'ENCAISSEE',
]
const reasonRequiredStatuses = ['REFUSEE', 'SUSPENDUE', 'EN_LITIGE', 'APPROUVEE_PARTIELLEMENT']

const documentId: Parameter = {
  name: 'id', in: 'path', required: true, description: 'The document id given by `POST /v1/documents` (a UUID; anything else answers 404).',
  schema: { type: 'string', format: 'uuid' }, example: '0b9d6c1e-5f7a-4c36-9a51-2f7d1e8f4a10',
}

const partnerId: Parameter = {
  name: 'id', in: 'path', required: true, description: 'The partner id given by `POST /v1/partners` (a UUID; anything else answers 404).',
  schema: { type: 'string', format: 'uuid' }, example: '6f1c2a3b-0000-4000-8000-000000000001',
}

/** The dashboard filters shared by the list and the summary. */
const filterParams: Parameter[] = [
  {
    name: 'status', in: 'query', style: 'form', explode: false,
    description: 'Only these statuses, comma-separated (`status=REFUSEE,EN_LITIGE`). Repeating the parameter keeps only the last one.',
    schema: { type: 'array', items: ref('schemas', 'Status') }, example: ['MISE_A_DISPOSITION', 'EN_LITIGE'],
  },
  { name: 'direction', in: 'query', description: '`sent`: posted with this key. `received`: delivered to one of the partner\'s addresses. Both when absent.', schema: { type: 'string', enum: ['sent', 'received'] } },
  {
    name: 'counterpart', in: 'query',
    description: 'Electronic address `scheme:value` (case-insensitive). Sent documents: their recipient address. Received ones: an address of their sender, or the seller\'s legal id (BT-30) or electronic address (BT-34).',
    schema: { type: 'string' }, example: '0009:21750001600019',
  },
  { name: 'from', in: 'query', description: 'Received at or after: an ISO 8601 instant, or a date alone (its start, UTC).', schema: { type: 'string', anyOf: [{ format: 'date' }, { format: 'date-time' }] }, example: '2026-11-01' },
  { name: 'to', in: 'query', description: 'Received at or before: an ISO 8601 instant, or a date alone (its end, UTC).', schema: { type: 'string', anyOf: [{ format: 'date' }, { format: 'date-time' }] }, example: '2026-11-30' },
]

export const openapi = {
  openapi: '3.1.0',
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  info: {
    title: 'Facteur hub API',
    version: '0.1.0',
    summary: 'Deposit e-invoices (UBL 2.1, CII D16B), follow their lifecycle, administer the directory.',
    description: [
      'Partners deposit invoices, read their status and findings, set the business statuses of the French reform\'s lifecycle, and list their documents. The admin registers partners, participants and the directory of public structures (Chorus Pro\'s "annuaire").',
      '',
      'Every error is `application/problem+json` (RFC 9457) with a stable `type` (`https://facteur.dev/problems/<code>`) and a precise `detail`.',
    ].join('\n'),
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  servers: [{ url: 'http://127.0.0.1:8080', description: 'The gateway started by `npm start`' }],
  tags: [
    { name: 'documents', description: 'Deposit and follow invoices (partner key).' },
    { name: 'lifecycle', description: 'Business statuses after delivery (partner key: the recipient or the sender).' },
    { name: 'dashboard', description: 'A partner\'s documents, sent and received (Chorus Pro\'s "tableau de bord").' },
    { name: 'directory', description: 'Participants and public structures (admin key).' },
    { name: 'partners', description: 'Partners, their API keys and the sellers they send for (admin key).' },
    { name: 'keys', description: 'API key rotation and revocation, and the admin audit log.' },
    { name: 'chorus-pro', description: 'The OAuth clients and technical accounts of the Chorus Pro-compatible API (`/api/oauth/token`, `/cpro/...`: README, "Chorus Pro").' },
    { name: 'replay', description: 'Dead letters and failed deliveries, listed and replayed (admin key).' },
    { name: 'operations', description: 'Health, readiness and this document (no key).' },
  ],
  security: [{ bearer: [] }],
  paths: {
    '/healthz': {
      get: {
        ...publicOp, operationId: 'getHealth', tags: ['operations'], summary: 'Liveness',
        responses: { 200: { description: 'The process is alive.', content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } } } } } },
      },
    },
    '/readyz': {
      get: {
        ...publicOp, operationId: 'getReadiness', tags: ['operations'], summary: 'Readiness',
        description: 'Runs every readiness check (PostgreSQL, Kafka, the outbox relay and its backlog, the services), each with 2 s to answer, and shows the outbox backlog.',
        responses: {
          200: { description: 'Ready.', content: { 'application/json': { schema: ref('schemas', 'Readiness'), example: { status: 'ready', failures: {} } } } },
          503: { description: 'Not ready: `failures` names each failing check (plain JSON, not problem+json).', content: { 'application/json': { schema: ref('schemas', 'Readiness'), example: { status: 'not ready', failures: { kafka: 'timed out after 2 s' } } } } },
        },
      },
    },
    '/metrics': {
      get: {
        ...publicOp, operationId: 'getMetrics', tags: ['operations'], summary: 'Metrics (Prometheus)',
        description: 'Prometheus text exposition format 0.0.4. Read from PostgreSQL when scraped: `facteur_outbox_pending`, `facteur_outbox_oldest_pending_seconds`, `facteur_outbox_set_aside`, `facteur_documents{status}` (every status, zero included), `facteur_delivery_jobs{state}`, `facteur_delivery_oldest_due_seconds`, `facteur_housekeeping_deleted_total{table}`, `facteur_housekeeping_last_run_timestamp_seconds`, and the gateway process\'s memory and uptime. Then the process\'s counters and histograms (all six services under `npm start`): `facteur_consumer_messages_total{consumer,topic,outcome}`, `facteur_consumer_run_seconds`, `facteur_consumer_run_messages`, `facteur_event_age_seconds` (each `{consumer,topic}`), `facteur_consumer_lag{group,topic}` (read from Kafka), `facteur_deposits_total{outcome,status}`, `facteur_deposit_seconds{outcome}`, `facteur_validation_seconds{verdict}`, `facteur_delivery_attempts_total{kind,outcome}`, `facteur_delivery_attempt_seconds{kind,outcome}`, `facteur_accept_to_delivered_seconds`, and prom-client\'s `process_*` and `nodejs_*`. See the README, "Metrics and traces". 503 when PostgreSQL does not answer.',
        responses: {
          200: { description: 'The metrics.', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' }, example: '# HELP facteur_outbox_pending Outbox rows committed and not yet published to Kafka.\n# TYPE facteur_outbox_pending gauge\nfacteur_outbox_pending 0\n' } } },
          503: problemResponse('PostgreSQL does not answer: the metrics cannot be read.', 'infra-unavailable'),
        },
      },
    },
    '/v1/openapi.json': {
      get: {
        ...publicOp, operationId: 'getOpenApi', tags: ['operations'], summary: 'This document',
        responses: { 200: { description: 'The OpenAPI 3.1 document of the API.', content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'info', 'paths'] } } } } },
      },
    },
    '/v1/documents': {
      post: {
        operationId: 'depositDocument', tags: ['documents'], 'x-facteur-key': 'partner', summary: 'Deposit a document',
        description: [
          'The body is the raw invoice or credit note: UBL 2.1 or CII D16B, or a Factur-X / ZUGFeRD PDF carrying a CII invoice. Checked in this order: media type (415, before the body is read), declared and actual size (413), then emptiness and XML safety (400: malformed, too deep, or any DOCTYPE); a PDF is only checked to be one here (400 otherwise): ingest reads it and its embedded invoice, and a PDF-level problem becomes `REJETEE` with `FACTURX-…` findings. Nothing else is checked here: business problems come later as status `REJETEE` with findings, routing problems as `A_RECYCLER`.',
          '',
          '`202` means the document and its `received` event are committed: the deposit is durable.',
        ].join('\n'),
        parameters: [ref('parameters', 'IdempotencyKey'), ref('parameters', 'Traceparent')],
        requestBody: {
          required: true,
          description: 'The document, byte for byte; a Factur-X PDF is kept and delivered as it came, and validated on the CII it carries.',
          content: {
            'application/xml': { schema: { type: 'string', contentMediaType: 'application/xml' }, example: '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">…</Invoice>' },
            'text/xml': { schema: { type: 'string', contentMediaType: 'text/xml' } },
            'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } },
          },
        },
        responses: {
          202: {
            description: 'Accepted (`DEPOSEE`). A replay of an `Idempotency-Key` with the same body answers 202 with the same id and the document\'s current status.',
            headers: { Location: { description: 'The document: `/v1/documents/{id}`.', schema: { type: 'string', format: 'uri-reference' }, example: '/v1/documents/0b9d6c1e-5f7a-4c36-9a51-2f7d1e8f4a10' } },
            content: { 'application/json': { schema: ref('schemas', 'DepositAccepted'), example: { id: '0b9d6c1e-5f7a-4c36-9a51-2f7d1e8f4a10', status: 'DEPOSEE' } } },
          },
          400: problemResponse('Malformed XML or too deep nesting (`malformed-document`, with `ruleId` FACTEUR-XML-MALFORMED, -EMPTY or -TOO-DEEP and `line`), a DOCTYPE (`forbidden-xml-construct`, FACTEUR-XML-DTD-FORBIDDEN), or an invalid `Idempotency-Key` (`invalid-request`).',
            'malformed-document', 'forbidden-xml-construct', 'invalid-request'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          413: problemResponse('Larger than `FACTEUR_MAX_DOCUMENT_BYTES` (10 MiB by default), by `Content-Length` or by the bytes read.', 'document-too-large'),
          415: problemResponse('`Content-Type` is none of `application/xml`, `text/xml`, `application/pdf` (or is missing).', 'unsupported-media-type'),
          422: problemResponse('The `Idempotency-Key` was already used by this partner for a different body; `documentId` names the first document.', 'idempotency-key-reused'),
          429: ref('responses', 'RateLimited'),
          503: {
            ...problemResponse('The document store is unavailable (`infra-unavailable`), or `FACTEUR_MAX_LARGE_UPLOADS` uploads over `FACTEUR_LARGE_UPLOAD_BYTES` (or without `Content-Length`) are being read (`uploads-busy`, refused before the body is read, with `Retry-After`).', 'infra-unavailable', 'uploads-busy'),
            headers: { 'Retry-After': ref('headers', 'RetryAfter') },
          },
        },
      },
      get: {
        operationId: 'listDocuments', tags: ['dashboard'], 'x-facteur-key': 'partner', summary: 'List the partner\'s documents',
        description: 'Documents sent with this key or delivered to one of the partner\'s addresses (a recipient never sees one before `MISE_A_DISPOSITION`), newest first (by reception, then id), in pages of `limit`.',
        parameters: [
          ...filterParams,
          { name: 'cursor', in: 'query', description: 'The `nextCursor` of the previous page (opaque).', schema: { type: 'string' } },
          { name: 'limit', in: 'query', description: 'Page size.', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
        ],
        responses: {
          200: { description: 'One page.', content: { 'application/json': { schema: ref('schemas', 'DocumentList') } } },
          400: problemResponse('A filter is not valid (unknown status, direction, address, date, cursor or limit).', 'invalid-request'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/documents/summary': {
      get: {
        operationId: 'summarizeDocuments', tags: ['dashboard'], 'x-facteur-key': 'partner', summary: 'Count the partner\'s documents per status',
        description: 'The same documents and filters as the list (Chorus Pro\'s "synthèse"). `cursor` and `limit` are validated but ignored.',
        parameters: filterParams,
        responses: {
          200: { description: 'Counts.', content: { 'application/json': { schema: ref('schemas', 'DocumentSummary'), example: { total: 3, byStatus: { APPROUVEE: 1, MISE_A_DISPOSITION: 2 } } } } },
          400: problemResponse('A filter is not valid.', 'invalid-request'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/documents/{id}': {
      get: {
        operationId: 'getDocument', tags: ['documents'], 'x-facteur-key': 'any', summary: 'A document\'s status, history and findings',
        description: 'For its sender, its recipient (once delivered to one of its addresses) and the admin. Anyone else gets 404, exactly as for a missing document.',
        parameters: [documentId],
        responses: {
          200: { description: 'The document.', content: { 'application/json': { schema: ref('schemas', 'Document') } } },
          401: ref('responses', 'Unauthenticated'),
          404: ref('responses', 'NotFound'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/documents/{id}/status': {
      post: {
        operationId: 'setDocumentStatus', tags: ['lifecycle'], 'x-facteur-key': 'partner', summary: 'Set a business status',
        description: [
          'Set by the document\'s recipient (a partner owning the address it was delivered to) or its sender; each status is set by one of them only (`StatusRequest`). The change is hash-chained in the history and published on `document.status`.',
          '',
          'Allowed transitions (from → to; 409 `transition-not-allowed` otherwise, with `current` and the `allowed` statuses for this caller):',
          '',
          '| from | to |',
          '| --- | --- |',
          '| MISE_A_DISPOSITION | PRISE_EN_CHARGE, APPROUVEE, APPROUVEE_PARTIELLEMENT, EN_LITIGE, SUSPENDUE, REFUSEE |',
          '| PRISE_EN_CHARGE | APPROUVEE, APPROUVEE_PARTIELLEMENT, EN_LITIGE, SUSPENDUE, REFUSEE, SERVICE_FAIT |',
          '| EN_LITIGE | PRISE_EN_CHARGE, APPROUVEE, APPROUVEE_PARTIELLEMENT, SUSPENDUE, REFUSEE |',
          '| SUSPENDUE | COMPLETEE, REFUSEE |',
          '| COMPLETEE | PRISE_EN_CHARGE, APPROUVEE, APPROUVEE_PARTIELLEMENT, EN_LITIGE, SUSPENDUE, REFUSEE |',
          '| APPROUVEE | EN_LITIGE, SERVICE_FAIT, MANDATEE, MISE_EN_PAIEMENT, PAIEMENT_TRANSMIS, ENCAISSEE |',
          '| APPROUVEE_PARTIELLEMENT | EN_LITIGE, SERVICE_FAIT, MANDATEE, MISE_EN_PAIEMENT, PAIEMENT_TRANSMIS, ENCAISSEE |',
          '| SERVICE_FAIT | APPROUVEE, APPROUVEE_PARTIELLEMENT, MANDATEE, MISE_EN_PAIEMENT, PAIEMENT_TRANSMIS, ENCAISSEE |',
          '| MANDATEE | MISE_EN_PAIEMENT, PAIEMENT_TRANSMIS, ENCAISSEE |',
          '| MISE_EN_PAIEMENT | PAIEMENT_TRANSMIS, ENCAISSEE |',
          '| PAIEMENT_TRANSMIS | ENCAISSEE |',
          '',
          'REFUSEE and ENCAISSEE are final; the hub\'s statuses (DEPOSEE, REJETEE, A_RECYCLER, ECHEC_DISTRIBUTION, EN_ERREUR, RELANCEE) allow none. MISE_EN_PAIEMENT only for a structure that manages it (`paymentStatusManaged`).',
        ].join('\n'),
        parameters: [documentId],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: ref('schemas', 'StatusRequest'),
              examples: {
                approve: { value: { status: 'APPROUVEE' } },
                suspend: { value: { status: 'SUSPENDUE', reason: 'numéro d\'engagement (BT-13) manquant, bon de commande à joindre' } },
              },
            },
          },
        },
        responses: {
          200: { description: 'Set.', content: { 'application/json': { schema: ref('schemas', 'StatusSet') } } },
          400: problemResponse('Unknown or hub-only `status`, `reason` too long, or missing for REFUSEE, SUSPENDUE, EN_LITIGE, APPROUVEE_PARTIELLEMENT; or the body is not JSON.', 'invalid-request'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          404: ref('responses', 'NotFound'),
          409: {
            description: 'Not allowed from the current status, or set by the other side. `current` is the document\'s status, `allowed` what this caller may set from it.',
            content: { [PROBLEM]: { schema: ref('schemas', 'TransitionProblem') } },
          },
          413: problemResponse('The JSON body is over 16 kB.', 'document-too-large'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/documents/{id}/receipts': {
      get: {
        operationId: 'listDocumentReceipts', tags: ['lifecycle'], 'x-facteur-key': 'any', summary: 'The receipts of a document',
        description: 'One UBL 2.1 ApplicationResponse per status change that has one, newest last: a Peppol Message Level Response (`mlr`) for REJETEE, A_RECYCLER and MISE_A_DISPOSITION, a Peppol Invoice Response (`invoice-response`) for the business statuses. For the document\'s sender, its recipient (once delivered) and the admin; 404 for anyone else, exactly as for a missing document.',
        parameters: [documentId],
        responses: {
          200: { description: 'The receipts.', content: { 'application/json': { schema: ref('schemas', 'ReceiptList') } } },
          401: ref('responses', 'Unauthenticated'),
          404: ref('responses', 'NotFound'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/documents/{id}/content': {
      get: {
        operationId: 'getDocumentContent', tags: ['documents'], 'x-facteur-key': 'any', summary: 'The document itself',
        description: 'The original bytes as deposited, with their media type: how a recipient without a delivery endpoint (a structure whose documents are kept in the hub) fetches what was made available to it. For the sender, the recipient once delivered, and the admin; 404 for anyone else.',
        parameters: [documentId],
        responses: {
          200: { description: 'The original bytes.', content: { 'application/xml': { schema: { type: 'string' } }, 'text/xml': { schema: { type: 'string' } }, 'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } } } },
          401: ref('responses', 'Unauthenticated'),
          404: ref('responses', 'NotFound'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/documents/{id}/pdf': {
      get: {
        operationId: 'getDocumentPdf', tags: ['documents'], 'x-facteur-key': 'any', summary: 'The invoice as a readable PDF',
        description: 'Any invoice or credit note (UBL or CII; a Factur-X deposit\'s CII) rendered for people without an XML system: the parties, the lines, the VAT breakdown, the totals, the payment details, with French or English labels. For the sender, the recipient once delivered, and the admin; 404 for anyone else.',
        parameters: [documentId, { name: 'lang', in: 'query', required: false, schema: { type: 'string', enum: ['fr', 'en'], default: 'fr' } }],
        responses: {
          200: { description: 'A PDF (fonts embedded).', content: { 'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } } } },
          400: problemResponse('`lang` is neither fr nor en.', 'invalid-request'),
          401: ref('responses', 'Unauthenticated'),
          404: ref('responses', 'NotFound'),
          422: problemResponse('The document cannot be read as an invoice (e.g. it was rejected as malformed).', 'not-an-invoice'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/directory/participants/{address}': {
      parameters: [{
        name: 'address', in: 'path', required: true,
        description: 'Electronic address `scheme:value` (BT-49 with BT-49-1: 0009 SIRET, 0088 GLN, 9957 French VAT…), stored lower case.',
        schema: { type: 'string', pattern: '^[A-Za-z0-9]{1,10}:\\S{1,200}$' }, example: '0009:21750001600019',
      }],
      put: {
        operationId: 'putParticipant', tags: ['directory'], 'x-facteur-key': 'admin', summary: 'Register or update a participant',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('schemas', 'ParticipantInput'), example: { name: 'Mairie de Demo', endpoint: 'file:///tmp/facteur-inbox' } } },
        },
        responses: {
          200: { description: 'Updated.', content: { 'application/json': { schema: ref('schemas', 'ParticipantWritten') } } },
          201: { description: 'Created (no `Location`: the path is the resource).', content: { 'application/json': { schema: ref('schemas', 'ParticipantWritten'), example: { address: '0009:21750001600019', name: 'Mairie de Demo', endpoint: 'file:///tmp/facteur-inbox' } } } },
          400: ref('responses', 'InvalidRequest'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          413: problemResponse('The JSON body is over 64 kB.', 'document-too-large'),
          503: ref('responses', 'Unavailable'),
        },
      },
      get: {
        operationId: 'getParticipant', tags: ['directory'], 'x-facteur-key': 'admin', summary: 'A participant',
        responses: {
          200: { description: 'The participant.', content: { 'application/json': { schema: ref('schemas', 'Participant') } } },
          400: ref('responses', 'InvalidRequest'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          404: ref('responses', 'NotFound'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/directory/structures/{siret}': {
      parameters: [{
        name: 'siret', in: 'path', required: true, description: 'SIRET: 14 digits with a valid Luhn key (La Poste\'s establishments: digit sum a multiple of 5).',
        schema: { type: 'string', pattern: '^[0-9]{14}$' }, example: '21750001600019',
      }],
      put: {
        operationId: 'putStructure', tags: ['directory'], 'x-facteur-key': 'admin', summary: 'Register or replace a public structure',
        description: 'The structure and its services (replaced as a whole). A `siret` in the body is ignored: the path names the structure.',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: ref('schemas', 'StructureInput'),
              example: { name: 'Mairie de Demo', serviceRequired: true, commitmentRequired: false, endpoint: 'file:///tmp/facteur-inbox', services: [{ code: 'FACTURES', name: 'Service facturier' }, { code: 'TRAVAUX', commitmentRequired: true }] },
            },
          },
        },
        responses: {
          200: { description: 'Replaced.', content: { 'application/json': { schema: ref('schemas', 'Structure') } } },
          201: { description: 'Created (no `Location`: the path is the resource).', content: { 'application/json': { schema: ref('schemas', 'Structure') } } },
          400: ref('responses', 'InvalidRequest'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          413: problemResponse('The JSON body is over 1 MB.', 'document-too-large'),
          503: ref('responses', 'Unavailable'),
        },
      },
      get: {
        operationId: 'getStructure', tags: ['directory'], 'x-facteur-key': 'admin', summary: 'A public structure and its services',
        responses: {
          200: { description: 'The structure.', content: { 'application/json': { schema: ref('schemas', 'Structure') } } },
          400: ref('responses', 'InvalidRequest'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          404: ref('responses', 'NotFound'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/directory/structures:import': {
      post: {
        operationId: 'importStructures', tags: ['directory'], 'x-facteur-key': 'admin', summary: 'Bulk import of public structures',
        description: 'One structure per line (`StructureInput` with its `siret`), streamed: any size. Each valid line is upserted (later lines win), in batches of 1000 committed one by one; each invalid line is reported and the rest go on. The colon in the path is literal.',
        requestBody: {
          required: true,
          content: {
            'application/x-ndjson': {
              schema: { type: 'string', contentMediaType: 'application/x-ndjson' },
              example: '{"siret": "21750001600019", "name": "Mairie de Demo", "serviceRequired": true, "services": [{"code": "FACTURES"}]}\n{"siret": "35600000000048", "name": "La Poste"}\n',
            },
            'application/ndjson': { schema: { type: 'string', contentMediaType: 'application/ndjson' } },
          },
        },
        responses: {
          200: { description: 'The report, even when lines failed.', content: { 'application/json': { schema: ref('schemas', 'ImportReport') } } },
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          415: problemResponse('Not `application/x-ndjson` (or `application/ndjson`).', 'unsupported-media-type'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/partners': {
      post: {
        operationId: 'createPartner', tags: ['partners'], 'x-facteur-key': 'admin', summary: 'Register a partner and issue its API key',
        description: 'A partner and the addresses it sends from and receives at. The key (`fct_…`) is shown once in the answer; only its SHA-256 is kept.',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('schemas', 'PartnerInput'), example: { name: 'ACME Fournitures', addresses: ['0009:12345678200010'] } } },
        },
        responses: {
          201: {
            description: 'Created. The API key is shown this once; only its hash is kept.',
            content: { 'application/json': { schema: ref('schemas', 'PartnerCreated') } },
          },
          400: ref('responses', 'InvalidRequest'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          409: problemResponse('The name, or one of the addresses, belongs to another partner.', 'conflict'),
          413: problemResponse('The JSON body is over 64 kB.', 'document-too-large'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/admin/dead-letters': {
      get: {
        operationId: 'listDeadLetters', tags: ['replay'], 'x-facteur-key': 'admin', summary: 'Dead letters of every stage',
        description: 'Messages a consumer gave up on after its retries (`<topic>.dlq`), as the status service recorded them, newest first. The document of a stage\'s dead letter shows EN_ERREUR. `npx facteur dlq list` shows the same.',
        parameters: [
          { name: 'topic', in: 'query', description: 'Only the letters of this topic (`document.validated`, …).', schema: { type: 'string' }, example: 'document.validated' },
          { name: 'documentId', in: 'query', description: 'Only the letters of this document.', schema: { type: 'string', format: 'uuid' } },
          { name: 'replayed', in: 'query', description: '`false`: only the letters never replayed; `true`: only the replayed ones. Both when absent.', schema: { type: 'string', enum: ['true', 'false'] } },
          { name: 'limit', in: 'query', description: 'At most this many (1 to 1000; 100 by default).', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
        ],
        responses: {
          200: {
            description: 'The dead letters.',
            content: { 'application/json': { schema: { type: 'object', required: ['deadLetters'], properties: { deadLetters: { type: 'array', items: ref('schemas', 'DeadLetter') } } } } },
          },
          400: ref('responses', 'InvalidRequest'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/admin/dead-letters/replay': {
      post: {
        operationId: 'replayDeadLetters', tags: ['replay'], 'x-facteur-key': 'admin', summary: 'Replay dead letters once their cause is fixed',
        description: 'Puts each selected message back on its original topic (through the outbox, in one transaction with the replay\'s record). The consumer that failed on it handles it again; the consumers that had processed it skip it, as they skip any redelivery. A document in EN_ERREUR gets RELANCEE in its history (who replayed which letter), then the outcome of the stage. Exactly one selector: `id` (replayed even if it was before), or `topic`, `documentId` or `"all": true` (the letters never replayed). `npx facteur dlq replay` does the same.',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object', minProperties: 1, maxProperties: 1,
                properties: { id: { type: 'string', pattern: '^[0-9]+$' }, topic: { type: 'string' }, documentId: { type: 'string', format: 'uuid' }, all: { const: true } },
              },
              example: { topic: 'document.validated' },
            },
          },
        },
        responses: {
          200: {
            description: 'What was replayed, and what was not and why (a message that is not a valid event of its topic cannot be replayed as it is).',
            content: { 'application/json': { schema: { type: 'object', required: ['replayed', 'skipped'], properties: { replayed: { type: 'array', items: { type: 'object', required: ['id', 'topic', 'documentId'], properties: { id: { type: 'string' }, topic: { type: 'string' }, documentId: { type: ['string', 'null'] } } } }, skipped: { type: 'array', items: ref('schemas', 'Skipped') } } } } },
          },
          400: ref('responses', 'InvalidRequest'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          413: problemResponse('The JSON body is over 16 kB.', 'document-too-large'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/admin/deliveries': {
      get: {
        operationId: 'listDeliveries', tags: ['replay'], 'x-facteur-key': 'admin', summary: 'Delivery jobs, with their endpoint and last error',
        description: 'The forwarder\'s delivery jobs (documents to recipients, receipts to senders), newest first. The endpoint and the recipient\'s answers are shown here to the admin only; the sender of a document that could not be delivered reads a neutral reason. `npx facteur deliveries list` shows the same.',
        parameters: [
          { name: 'state', in: 'query', description: '`pending` (waiting for an attempt), `delivered` or `failed` (given up: ECHEC_DISTRIBUTION).', schema: { type: 'string', enum: ['pending', 'delivered', 'failed'] }, example: 'failed' },
          { name: 'documentId', in: 'query', description: 'Only the jobs of this document.', schema: { type: 'string', format: 'uuid' } },
          { name: 'endpoint', in: 'query', description: 'Only the jobs to this endpoint, written as listed.', schema: { type: 'string' } },
          { name: 'limit', in: 'query', description: 'At most this many (1 to 1000; 100 by default).', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
        ],
        responses: {
          200: {
            description: 'The jobs.',
            content: { 'application/json': { schema: { type: 'object', required: ['deliveries'], properties: { deliveries: { type: 'array', items: ref('schemas', 'DeliveryJob') } } } } },
          },
          400: ref('responses', 'InvalidRequest'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/admin/deliveries/retry': {
      post: {
        operationId: 'retryDeliveries', tags: ['replay'], 'x-facteur-key': 'admin', summary: 'Retry failed deliveries once the endpoint is fixed',
        description: 'Re-arms each selected failed job: a new round of attempts from zero, due now, with the same `X-Facteur-Document-Id` and `Idempotency-Key`. The document goes ECHEC_DISTRIBUTION → RELANCEE (who retried) → MISE_A_DISPOSITION, or ECHEC_DISTRIBUTION again. A document whose failure is not yet in its history is skipped (retry a moment later). Exactly one selector: `id` (one job, as listed), `documentId` (its failed jobs), `endpoint` or `"all": true`. `npx facteur deliveries retry` does the same.',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', minProperties: 1, maxProperties: 1, properties: { id: { type: 'string', pattern: '^\\d{1,18}$' }, documentId: { type: 'string', format: 'uuid' }, endpoint: { type: 'string' }, all: { const: true } } },
              example: { endpoint: 'https://ap.example.org/inbox' },
            },
          },
        },
        responses: {
          200: {
            description: 'What was retried (with its new round), and what was not and why.',
            content: { 'application/json': { schema: { type: 'object', required: ['retried', 'skipped'], properties: { retried: { type: 'array', items: { type: 'object', required: ['id', 'documentId', 'kind', 'generation'], properties: { id: { type: 'string' }, documentId: { type: 'string', format: 'uuid' }, kind: { type: 'string', enum: ['document', 'receipt'] }, generation: { type: 'integer' } } } }, skipped: { type: 'array', items: ref('schemas', 'Skipped') } } } } },
          },
          400: ref('responses', 'InvalidRequest'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          413: problemResponse('The JSON body is over 16 kB.', 'document-too-large'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/keys:rotate': {
      post: {
        operationId: 'rotateOwnKey', tags: ['keys'], 'x-facteur-key': 'any', summary: 'Rotate the key this request is made with',
        description: 'Issues a new key for the caller (partner or admin), shown this once. The key the request was made with keeps working for `FACTEUR_KEY_ROTATION_GRACE_SECONDS` (24 h by default), then answers 401; other keys of the caller are not touched.',
        responses: {
          201: { description: 'The new key (shown once) and the key it replaces, with the end of its grace period.', content: { 'application/json': { schema: ref('schemas', 'KeyIssued') } } },
          401: ref('responses', 'Unauthenticated'),
          429: ref('responses', 'RateLimited'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/cpro/clients': {
      post: {
        operationId: 'createCproClient', tags: ['chorus-pro'], 'x-facteur-key': 'any', summary: 'An OAuth client for the Chorus Pro-compatible API',
        description: 'A client id and secret (shown once) for `POST /api/oauth/token` (client_credentials), as a PISTE application gives them; the token then acts for the partner. A partner creates its own; the admin names the partner (`partnerId`). See README, "Chorus Pro".',
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { partnerId: { type: 'string', format: 'uuid', description: 'Admin only: the partner.' } } } } } },
        responses: {
          201: { description: 'The client; its secret is shown this once.', content: { 'application/json': { schema: { type: 'object', required: ['clientId', 'clientSecret', 'partnerId'], properties: { clientId: { type: 'string' }, clientSecret: { type: 'string' }, partnerId: { type: 'string', format: 'uuid' } } } } } },
          400: problemResponse('The admin did not name a partner.', 'invalid-request'),
          401: ref('responses', 'Unauthenticated'),
          429: ref('responses', 'RateLimited'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/cpro/accounts': {
      get: {
        operationId: 'listCproAccounts', tags: ['chorus-pro'], 'x-facteur-key': 'any', summary: 'Technical accounts (a partner\'s own; all for the admin)',
        responses: {
          200: { description: 'Oldest first; never the passwords.', content: { 'application/json': { schema: { type: 'object', required: ['accounts'], properties: { accounts: { type: 'array', items: ref('schemas', 'CproAccount') } } } } } },
          401: ref('responses', 'Unauthenticated'),
          429: ref('responses', 'RateLimited'),
          503: ref('responses', 'Unavailable'),
        },
      },
      post: {
        operationId: 'createCproAccount', tags: ['chorus-pro'], 'x-facteur-key': 'any', summary: 'A technical account (the `cpro-account` header of the Chorus Pro-compatible API)',
        description: 'Bound to structures (SIRETs) the partner sends for or receives at; its password (shown once) expires after 424 days, as on Chorus Pro, and is reset with `POST /v1/cpro/accounts/{login}/password`. The admin names the partner (`partnerId`).',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['structures'], properties: {
          structures: { type: 'array', items: { type: 'string', pattern: '^[0-9]{14}$' }, minItems: 1 },
          login: { type: 'string', description: 'Default: TECH_1_<random>@cpro.facteur.' },
          partnerId: { type: 'string', format: 'uuid', description: 'Admin only: the partner.' },
        } } } } },
        responses: {
          201: { description: 'The account and its password, shown this once.', content: { 'application/json': { schema: ref('schemas', 'CproAccountWithPassword') } } },
          400: problemResponse('A malformed login, no structures, or a structure that is not the partner\'s.', 'invalid-request'),
          401: ref('responses', 'Unauthenticated'),
          409: problemResponse('The login is taken.', 'conflict'),
          429: ref('responses', 'RateLimited'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/cpro/accounts/{login}/password': {
      post: {
        operationId: 'resetCproAccountPassword', tags: ['chorus-pro'], 'x-facteur-key': 'any', summary: 'A new password for a technical account',
        description: 'A new random password (shown once), valid 424 days; the old one stops working at once. The partner resets its own accounts, the admin any.',
        parameters: [{ name: 'login', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: { description: 'The account and its new password.', content: { 'application/json': { schema: ref('schemas', 'CproAccountWithPassword') } } },
          401: ref('responses', 'Unauthenticated'),
          404: ref('responses', 'NotFound'),
          429: ref('responses', 'RateLimited'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/partners/{id}/keys': {
      get: {
        operationId: 'listPartnerKeys', tags: ['keys'], 'x-facteur-key': 'admin', summary: 'A partner\'s keys (ids and dates, never the keys or their hashes)',
        parameters: [partnerId],
        responses: {
          200: { description: 'Oldest first.', content: { 'application/json': { schema: ref('schemas', 'KeyList') } } },
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          404: ref('responses', 'NotFound'),
          429: ref('responses', 'RateLimited'),
          503: ref('responses', 'Unavailable'),
        },
      },
      post: {
        operationId: 'rotatePartnerKeys', tags: ['keys'], 'x-facteur-key': 'admin', summary: 'Issue a new key for a partner; its working keys expire after the grace period',
        description: 'Every key of the partner still working stops after `FACTEUR_KEY_ROTATION_GRACE_SECONDS` (an earlier expiry is kept). To stop a key at once, revoke it.',
        parameters: [partnerId],
        responses: {
          201: { description: 'The new key (shown once) and the keys it replaces.', content: { 'application/json': { schema: ref('schemas', 'KeyIssued') } } },
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          404: ref('responses', 'NotFound'),
          429: ref('responses', 'RateLimited'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/partners/{id}/keys/{keyId}': {
      delete: {
        operationId: 'revokePartnerKey', tags: ['keys'], 'x-facteur-key': 'admin', summary: 'Revoke a key at once',
        description: 'The key answers 401 from now on (saying it was revoked). Idempotent: revoking a revoked key keeps its first revocation time. The last working admin key cannot be revoked (409): issue another first.',
        parameters: [partnerId, { name: 'keyId', in: 'path', required: true, description: 'The key id (from the key list or the rotation answer).', schema: { type: 'string', format: 'uuid' }, example: '6f1c2a3b-0000-4000-8000-0000000000a1' }],
        responses: {
          200: { description: 'The revoked key.', content: { 'application/json': { schema: ref('schemas', 'KeySummary') } } },
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          404: ref('responses', 'NotFound'),
          409: problemResponse('It is the last working admin key.', 'conflict'),
          429: ref('responses', 'RateLimited'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/partners/{id}/sellers': {
      get: {
        operationId: 'getPartnerSellers', tags: ['partners'], 'x-facteur-key': 'admin', summary: 'The sellers a partner may send for',
        parameters: [partnerId],
        responses: {
          200: { description: 'Its addresses (from registration) and the sellers the operator bound to it.', content: { 'application/json': { schema: ref('schemas', 'SellerBindings') } } },
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          404: ref('responses', 'NotFound'),
          429: ref('responses', 'RateLimited'),
          503: ref('responses', 'Unavailable'),
        },
      },
      put: {
        operationId: 'setPartnerSellers', tags: ['partners'], 'x-facteur-key': 'admin', summary: 'Set the sellers a partner may send for',
        description: 'Replaces the operator\'s list: SIRETs as `0009:<siret>` (Luhn-checked) or other seller identifiers `scheme:value`. Routing refuses a document whose seller (BT-34 electronic address, or BT-30 SIRET) is neither one of the partner\'s addresses nor in this list (`REJETEE`, finding FACTEUR-SENDER-NOT-AUTHORISED); a partner bound to nothing sends for nobody.',
        parameters: [partnerId],
        requestBody: { required: true, content: { 'application/json': { schema: ref('schemas', 'SellersInput'), example: { sellers: ['0009:73282932000074'] } } } },
        responses: {
          200: { description: 'The bindings now.', content: { 'application/json': { schema: ref('schemas', 'SellerBindings') } } },
          400: ref('responses', 'InvalidRequest'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          404: ref('responses', 'NotFound'),
          413: problemResponse('The JSON body is over 1 MB.', 'document-too-large'),
          429: ref('responses', 'RateLimited'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
    '/v1/admin/audit': {
      get: {
        operationId: 'listAdminAudit', tags: ['keys'], 'x-facteur-key': 'admin', summary: 'What admin keys did',
        description: 'Every request made with an admin key, reads and refusals included, newest first: who (principal and key id), the method, route pattern and path, the ids the route names (`target`), when, and the HTTP status answered (499: the client left before the answer). Append-only in PostgreSQL (`admin_audit`).',
        parameters: [
          { name: 'limit', in: 'query', description: 'Page size.', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
          { name: 'before', in: 'query', description: 'The `nextBefore` of the previous page.', schema: { type: 'integer', minimum: 1 } },
        ],
        responses: {
          200: { description: 'One page.', content: { 'application/json': { schema: ref('schemas', 'AuditPage') } } },
          400: ref('responses', 'InvalidRequest'),
          401: ref('responses', 'Unauthenticated'),
          403: ref('responses', 'Forbidden'),
          429: ref('responses', 'RateLimited'),
          503: ref('responses', 'Unavailable'),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: {
        type: 'http', scheme: 'bearer', bearerFormat: 'fct_<base64url>',
        description: 'An API key, `Authorization: Bearer fct_…`. Partner keys (issued by `POST /v1/partners`, or the demo key of `npm start`) deposit and follow documents; the admin key administers the directory and partners and may read any document. Each operation says which in `x-facteur-key` (`partner`, `admin`, `any`); the other kind gets 403.',
      },
    },
    parameters: {
      IdempotencyKey: {
        name: 'Idempotency-Key', in: 'header', required: false,
        description: 'Makes retries safe: the same key from the same partner returns the same document, never a second one; a different body under it gets 422. 1 to 255 visible ASCII characters.',
        schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' }, example: 'F-2026-0001',
      },
      Traceparent: {
        name: 'traceparent', in: 'header', required: false,
        description: 'W3C Trace Context: the document\'s trace continues the caller\'s (same trace id); it travels in the Kafka headers of the document\'s events and to the recipient with the HTTP delivery, and every log line about the document names it (`traceId`). Absent or invalid (all-zero ids, version ff, upper-case hex): a new trace.',
        schema: { type: 'string', pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$' }, example: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    },
    headers: {
      RetryAfter: { description: 'Seconds to wait before retrying (RFC 9110 §10.2.3); at least 1.', schema: { type: 'integer', minimum: 1 }, example: 1 },
    },
    responses: {
      InvalidRequest: problemResponse('The request is not valid: `detail` says what.', 'invalid-request'),
      Unauthenticated: {
        ...problemResponse('No API key, or an unknown one.', 'unauthenticated'),
        headers: { 'WWW-Authenticate': { description: '`Bearer realm="facteur"` (with `error="invalid_token"` for an unknown key).', schema: { type: 'string' } } },
      },
      Forbidden: problemResponse('The other kind of key: this operation needs a partner key, or the admin key.', 'forbidden'),
      NotFound: problemResponse('Not found, or not visible with this key (its existence is not disclosed).', 'not-found'),
      Unavailable: problemResponse('The document store is unavailable; retry later (nothing was accepted).', 'infra-unavailable'),
      RateLimited: {
        ...problemResponse('This API key is over its rate (`FACTEUR_RATE_LIMIT_PER_SECOND`, bursts of `FACTEUR_RATE_LIMIT_BURST`; per gateway process); `retryAfter` and the header say when to retry.', 'rate-limited'),
        headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
      },
    },
    schemas: {
      DeadLetter: {
        type: 'object', description: 'A message a consumer gave up on, as recorded from `<topic>.dlq`.',
        required: ['id', 'topic', 'partition', 'offset', 'consumer', 'documentId', 'error', 'attempts', 'failedAt', 'replayable', 'replays', 'replayedAt', 'replayedBy'],
        properties: {
          id: { type: 'string', description: 'Its id for `POST /v1/admin/dead-letters/replay`.' },
          topic: { type: 'string' }, partition: { type: 'integer' }, offset: { type: 'string' },
          consumer: { type: 'string', description: 'The service that failed on it.' },
          documentId: { type: ['string', 'null'] },
          error: { type: 'string', description: 'The error, with its stack.' },
          attempts: { type: 'integer' }, failedAt: { type: 'string', format: 'date-time' },
          replayable: { type: 'boolean', description: 'False when the message is not a valid event of its topic.' },
          replays: { type: 'integer' }, replayedAt: { type: ['string', 'null'], format: 'date-time' }, replayedBy: { type: ['string', 'null'] },
        },
      },
      DeliveryJob: {
        type: 'object', description: 'One delivery: a document to its recipient or a receipt to its sender.',
        required: ['id', 'kind', 'documentId', 'receiptSequence', 'endpoint', 'state', 'generation', 'attempts', 'nextAttemptAt', 'lastError', 'createdAt', 'finishedAt', 'retriedAt', 'retriedBy'],
        properties: {
          id: { type: 'string' }, kind: { type: 'string', enum: ['document', 'receipt'] }, documentId: { type: 'string', format: 'uuid' },
          receiptSequence: { type: ['integer', 'null'] }, endpoint: { type: 'string' }, state: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
          generation: { type: 'integer', description: 'The round of attempts: 1, then one more per retry.' },
          attempts: { type: 'integer', description: 'Attempts in this round.' },
          nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
          lastError: { type: ['string', 'null'], description: 'The endpoint\'s last answer or error.' },
          createdAt: { type: 'string', format: 'date-time' }, finishedAt: { type: ['string', 'null'], format: 'date-time' },
          retriedAt: { type: ['string', 'null'], format: 'date-time' }, retriedBy: { type: ['string', 'null'] },
        },
      },
      Skipped: {
        type: 'object', required: ['id', 'documentId', 'reason'],
        properties: { id: { type: 'string' }, documentId: { type: ['string', 'null'] }, reason: { type: 'string' } },
      },
      Problem: {
        type: 'object', description: 'RFC 9457 problem details; extensions depend on the `type`.',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: { type: 'string', format: 'uri', description: 'Stable per error: `https://facteur.dev/problems/<code>`.' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string', description: 'What exactly was wrong.' },
          instance: { type: 'string' },
          ruleId: { type: 'string', description: 'Deposit refusals: the FACTEUR-XML-* finding.' },
          line: { type: 'integer', description: 'Deposit refusals: the line of the problem, where known.' },
          documentId: { type: 'string', format: 'uuid', description: '422: the document first deposited under the Idempotency-Key.' },
        },
        additionalProperties: true,
        example: { type: 'https://facteur.dev/problems/malformed-document', title: 'Malformed document', status: 400, detail: 'Opening and ending tag mismatch: Invoice line 1 and Invoic', ruleId: 'FACTEUR-XML-MALFORMED', line: 42 },
      },
      TransitionProblem: {
        allOf: [ref('schemas', 'Problem'), {
          type: 'object', required: ['current', 'allowed'],
          properties: {
            type: { const: 'https://facteur.dev/problems/transition-not-allowed' },
            current: { type: 'string', description: 'The document\'s status.' },
            allowed: { type: 'array', items: ref('schemas', 'Status'), description: 'What this caller may set from `current` (empty: final for it).' },
          },
        }],
      },
      Status: {
        type: 'string', enum: statusEnum,
        description: 'Lifecycle status. Hub: DEPOSEE (200), REJETEE (213), A_RECYCLER (Chorus Pro: routing data to correct, e.g. code service BT-10 or numéro d\'engagement BT-13, then resubmit under the same number), MISE_A_DISPOSITION (203), ECHEC_DISTRIBUTION, EN_ERREUR, RELANCEE (an operator replayed a failed delivery or a dead letter). Recipient: PRISE_EN_CHARGE (204), APPROUVEE (205), APPROUVEE_PARTIELLEMENT (206), EN_LITIGE (207), SUSPENDUE (208), REFUSEE (210), SERVICE_FAIT, MANDATEE, MISE_EN_PAIEMENT, PAIEMENT_TRANSMIS (211). Sender: COMPLETEE (209), ENCAISSEE (212).',
      },
      StatusCode: { type: 'string', pattern: '^2[0-9]{2}$', description: 'The French reform\'s lifecycle code (200 … 213); absent for statuses without one.' },
      Syntax: { type: ['string', 'null'], enum: ['ubl-invoice', 'ubl-creditnote', 'cii', null], description: 'Detected syntax; null until parsed (or when unreadable).' },
      Actor: { type: 'string', enum: ['hub', 'recipient', 'sender'] },
      Finding: {
        type: 'object', description: 'One problem found in the document, by ingest (parse, syntax) or by a rule pack.',
        required: ['ruleId', 'severity', 'location', 'message', 'pack', 'line'],
        properties: {
          ruleId: { type: 'string', examples: ['BR-CO-15', 'FACTEUR-XSD'] },
          severity: { type: 'string', enum: ['fatal', 'warning', 'information'] },
          location: { type: 'string', description: 'XPath from SVRL, or `line N` for a parse error.' },
          message: { type: 'string' },
          pack: { type: ['string', 'null'], description: 'Rule pack (en16931, peppol-bis-billing-3, fr-ctc, fr-b2g); null for ingest findings.' },
          packVersion: { type: ['string', 'null'], description: 'The pack\'s version; absent for ingest findings.' },
          line: { type: ['integer', 'null'], description: 'Line in the document, where known.' },
        },
      },
      StatusChange: {
        type: 'object', description: 'One entry of a document\'s history.',
        required: ['sequence', 'status', 'at', 'actor'],
        properties: {
          sequence: { type: 'integer', description: 'Its place in the hash-chained history; receipts carry the same number.' },
          status: ref('schemas', 'Status'),
          code: ref('schemas', 'StatusCode'),
          at: { type: 'string', format: 'date-time' },
          actor: ref('schemas', 'Actor'),
          reason: { type: 'string', description: 'Why (required for REFUSEE, SUSPENDUE, EN_LITIGE, APPROUVEE_PARTIELLEMENT; A_RECYCLER: the business term to correct).' },
        },
      },
      DepositAccepted: {
        type: 'object', required: ['id', 'status'],
        properties: { id: { type: 'string', format: 'uuid' }, status: ref('schemas', 'Status') },
      },
      CproAccount: {
        type: 'object', required: ['login', 'partnerId', 'structures', 'passwordExpiresAt', 'createdAt', 'disabled'],
        properties: {
          login: { type: 'string', example: 'TECH_1_4F2A9C1B7E30@cpro.facteur' }, partnerId: { type: 'string', format: 'uuid' },
          structures: { type: 'array', items: { type: 'string' }, example: ['73282932000074'] },
          passwordExpiresAt: { type: 'string', format: 'date-time' }, createdAt: { type: 'string', format: 'date-time' }, disabled: { type: 'boolean' },
        },
      },
      CproAccountWithPassword: {
        allOf: [ref('schemas', 'CproAccount'), { type: 'object', required: ['password'], properties: { password: { type: 'string', description: 'Shown this once; send `base64(login:password)` as the `cpro-account` header.' } } }],
      },
      Document: {
        type: 'object', required: ['id', 'status', 'receivedAt', 'syntax', 'history', 'findings'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          status: ref('schemas', 'Status'),
          receivedAt: { type: 'string', format: 'date-time' },
          syntax: ref('schemas', 'Syntax'),
          contentType: { type: 'string', description: 'As deposited: `application/xml`, `text/xml`, or `application/pdf` (Factur-X, delivered as it came).' },
          container: {
            type: 'object', description: 'A Factur-X deposit: what ingest read of the PDF (absent for XML, and until ingest read it).',
            properties: {
              format: { type: 'string', enum: ['factur-x'] }, fileName: { type: 'string', example: 'factur-x.xml' }, relationship: { type: ['string', 'null'], example: 'Data' },
              conformanceLevel: { type: ['string', 'null'], description: 'fx:ConformanceLevel of the XMP.', example: 'EN 16931' },
              profile: { type: ['string', 'null'], description: 'The profile of the embedded invoice (its BT-24).', example: 'EN 16931' },
              pdfVersion: { type: 'string', example: '1.7' }, pdfa: { type: ['string', 'null'], description: 'pdfaid:part and conformance of the XMP.', example: '3B' },
              findings: { type: 'array', items: ref('schemas', 'Finding'), description: 'The PDF\'s warnings (its fatal findings make the document REJETEE).' },
            },
          },
          direction: { type: 'string', enum: ['sent', 'received'], description: 'For this key; absent for the admin.' },
          recipient: { type: 'string', description: 'The recipient\'s electronic address, once routed.', example: '0009:21750001600019' },
          serviceCode: { type: 'string', description: 'B2G: the structure\'s code service (BT-10).' },
          resubmissionOf: { type: 'string', format: 'uuid', description: 'The A_RECYCLER document this one resubmits under the same number.' },
          resubmittedAs: { type: 'string', format: 'uuid', description: 'The latest resubmission of this (A_RECYCLER) document.' },
          history: { type: 'array', items: ref('schemas', 'StatusChange'), description: 'Oldest first.' },
          findings: { type: 'array', items: ref('schemas', 'Finding') },
        },
      },
      DocumentListItem: {
        type: 'object',
        required: ['id', 'direction', 'status', 'receivedAt', 'statusAt', 'syntax', 'invoiceNumber', 'issueDate', 'counterpart', 'amount', 'currency'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          direction: { type: 'string', enum: ['sent', 'received'] },
          status: ref('schemas', 'Status'),
          code: ref('schemas', 'StatusCode'),
          receivedAt: { type: 'string', format: 'date-time' },
          statusAt: { type: 'string', format: 'date-time', description: 'When the current status was set.' },
          syntax: ref('schemas', 'Syntax'),
          invoiceNumber: { type: ['string', 'null'], description: 'BT-1' },
          issueDate: { type: ['string', 'null'], format: 'date', description: 'BT-2' },
          counterpart: { type: ['string', 'null'], description: 'Sent: the recipient address (else the buyer\'s name). Received: the seller\'s name.' },
          amount: { type: ['string', 'null'], description: 'Amount due (BT-115), a decimal string as written in the document.', example: '1200.00' },
          currency: { type: ['string', 'null'], description: 'BT-5', example: 'EUR' },
        },
      },
      DocumentList: {
        type: 'object', required: ['items', 'nextCursor'],
        properties: {
          items: { type: 'array', items: ref('schemas', 'DocumentListItem') },
          nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last one.' },
        },
      },
      DocumentSummary: {
        type: 'object', required: ['total', 'byStatus'],
        properties: {
          total: { type: 'integer', minimum: 0 },
          byStatus: { type: 'object', propertyNames: ref('schemas', 'Status'), additionalProperties: { type: 'integer', minimum: 1 }, description: 'Statuses with no document are absent.' },
        },
      },
      StatusRequest: {
        type: 'object', required: ['status'],
        properties: {
          status: {
            type: 'string', enum: settableStatuses,
            description: 'Set by the recipient: PRISE_EN_CHARGE, APPROUVEE, APPROUVEE_PARTIELLEMENT, EN_LITIGE, SUSPENDUE, REFUSEE, SERVICE_FAIT, MANDATEE, MISE_EN_PAIEMENT, PAIEMENT_TRANSMIS. By the sender: COMPLETEE (a SUSPENDUE invoice completed), ENCAISSEE.',
          },
          reason: { type: ['string', 'null'], maxLength: 1000, description: 'Trimmed; required (non-blank) for REFUSEE, SUSPENDUE, EN_LITIGE and APPROUVEE_PARTIELLEMENT (Chorus Pro\'s "motif").' },
        },
        if: { properties: { status: { enum: reasonRequiredStatuses } } },
        then: { required: ['reason'], properties: { reason: { type: 'string', pattern: '\\S' } } },
      },
      StatusSet: {
        type: 'object', required: ['id', 'status', 'sequence', 'actor', 'at'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          status: ref('schemas', 'Status'),
          code: ref('schemas', 'StatusCode'),
          sequence: { type: 'integer', description: 'Its place in the document\'s hash-chained history.' },
          actor: ref('schemas', 'Actor'),
          at: { type: 'string', format: 'date-time' },
          reason: { type: 'string' },
        },
        example: { id: '0b9d6c1e-5f7a-4c36-9a51-2f7d1e8f4a10', status: 'APPROUVEE', code: '205', sequence: 4, actor: 'recipient', at: '2026-11-24T10:15:00.000Z' },
      },
      Receipt: {
        type: 'object', required: ['sequence', 'status', 'kind', 'responseCode', 'issuedAt', 'xml'],
        properties: {
          sequence: { type: 'integer', description: 'The status change answered.' },
          status: ref('schemas', 'Status'),
          kind: { type: 'string', enum: ['mlr', 'invoice-response'], description: '`mlr`: Peppol Message Level Response 3.0 (issued by the hub). `invoice-response`: Peppol Invoice Response 3 (issued by the buyer).' },
          responseCode: { type: 'string', description: 'UNCL4343 (AP, RE, AB, IP, UQ, CA, PD).', example: 'AP' },
          issuedAt: { type: 'string', format: 'date-time' },
          deliveredAt: { type: 'string', format: 'date-time', description: 'When the forwarder delivered it to the sender\'s endpoint; absent until then, or when the sender has none in the directory.' },
          xml: { type: 'string', contentMediaType: 'application/xml', description: 'The UBL 2.1 ApplicationResponse.' },
        },
      },
      ReceiptList: {
        type: 'object', required: ['documentId', 'receipts'],
        properties: {
          documentId: { type: 'string', format: 'uuid' },
          receipts: { type: 'array', items: ref('schemas', 'Receipt'), description: 'Newest last.' },
        },
      },
      ParticipantInput: {
        type: 'object', required: ['name', 'endpoint'],
        properties: {
          name: { type: 'string', minLength: 1 },
          endpoint: { type: 'string', format: 'uri', description: 'Where documents are delivered: `file:///absolute/dir` (written as `<id>.xml`) or `http(s)://…` (POSTed).' },
        },
      },
      ParticipantWritten: {
        type: 'object', required: ['address', 'name', 'endpoint'],
        properties: { address: { type: 'string' }, name: { type: 'string' }, endpoint: { type: 'string' } },
      },
      Participant: {
        type: 'object', required: ['address', 'name', 'endpoint', 'updatedAt'],
        properties: { address: { type: 'string' }, name: { type: 'string' }, endpoint: { type: 'string' }, updatedAt: { type: 'string', format: 'date-time' } },
      },
      ServiceInput: {
        type: 'object', required: ['code'],
        properties: {
          code: { type: 'string', pattern: '^[A-Za-z0-9_./-]{1,100}$', description: 'Code service (BT-10, the buyer reference), unique within the structure.' },
          name: { type: 'string', description: 'Defaults to the code.' },
          active: { type: ['boolean', 'null'], default: true },
          commitmentRequired: { type: ['boolean', 'null'], default: false, description: 'Invoices to this service need a numéro d\'engagement (BT-13).' },
        },
      },
      Service: {
        type: 'object', required: ['code', 'name', 'active', 'commitmentRequired'],
        properties: {
          code: { type: 'string', description: 'Code service (BT-10).' },
          name: { type: 'string' },
          active: { type: 'boolean', description: 'An inactive service sends its invoices to A_RECYCLER.' },
          commitmentRequired: { type: 'boolean', description: 'Numéro d\'engagement (BT-13) required.' },
        },
      },
      StructureInput: {
        type: 'object', required: ['name'],
        properties: {
          siret: { type: 'string', pattern: '^[0-9]{14}$', description: 'Required on an import line; ignored by PUT (the path names it).' },
          name: { type: 'string', minLength: 1 },
          active: { type: ['boolean', 'null'], default: true },
          commitmentRequired: { type: ['boolean', 'null'], default: false, description: 'Every invoice needs a numéro d\'engagement (BT-13).' },
          serviceRequired: { type: ['boolean', 'null'], default: false, description: 'Every invoice needs a code service (BT-10).' },
          paymentStatusManaged: { type: ['boolean', 'null'], default: false, description: 'The structure reports MISE_EN_PAIEMENT.' },
          endpoint: { type: ['string', 'null'], format: 'uri', description: '`file:///dir` or `http(s)://…`.' },
          services: { type: 'array', items: ref('schemas', 'ServiceInput'), description: 'Replaces the structure\'s services.' },
        },
      },
      Structure: {
        type: 'object', description: 'A public structure of the directory (Chorus Pro\'s "annuaire des structures publiques"), addressed as `0009:<SIRET>`.',
        required: ['siret', 'name', 'active', 'commitmentRequired', 'serviceRequired', 'paymentStatusManaged', 'endpoint', 'services', 'updatedAt'],
        properties: {
          siret: { type: 'string', pattern: '^[0-9]{14}$' },
          name: { type: 'string' },
          active: { type: 'boolean' },
          commitmentRequired: { type: 'boolean', description: 'Numéro d\'engagement (BT-13) required; without it: A_RECYCLER.' },
          serviceRequired: { type: 'boolean', description: 'Code service (BT-10) required; without it: A_RECYCLER.' },
          paymentStatusManaged: { type: 'boolean' },
          endpoint: { type: ['string', 'null'] },
          services: { type: 'array', items: ref('schemas', 'Service'), description: 'By code.' },
          updatedAt: { type: 'string', format: 'date-time' },
        },
      },
      ImportReport: {
        type: 'object', required: ['lines', 'imported', 'created', 'updated', 'failed', 'errors', 'errorsNotShown', 'seconds'],
        properties: {
          lines: { type: 'integer', description: 'Lines read, blank ones included.' },
          imported: { type: 'integer' },
          created: { type: 'integer' },
          updated: { type: 'integer' },
          failed: { type: 'integer' },
          errors: { type: 'array', maxItems: 1000, items: { type: 'object', required: ['line', 'message'], properties: { line: { type: 'integer' }, message: { type: 'string' } } } },
          errorsNotShown: { type: 'integer', description: 'Failed lines beyond the first 1000.' },
          seconds: { type: 'number' },
        },
      },
      PartnerInput: {
        type: 'object', required: ['name', 'addresses'],
        properties: {
          name: { type: 'string', pattern: '^[\\p{L}\\p{N} ._\'&()-]{1,200}$', description: 'Unique; trimmed.' },
          addresses: { type: 'array', items: { type: 'string' }, description: 'Electronic addresses `scheme:value`, each owned by one partner only (`0009:` needs a valid SIRET).' },
        },
      },
      PartnerCreated: {
        type: 'object', required: ['id', 'name', 'addresses', 'apiKey'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          name: { type: 'string' },
          addresses: { type: 'array', items: { type: 'string' }, description: 'Normalised (lower case), duplicates removed.' },
          apiKey: { type: 'string', pattern: '^fct_[A-Za-z0-9_-]{32}$', description: 'Shown once: store it.' },
        },
      },
      KeySummary: {
        type: 'object', required: ['id', 'origin', 'state', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt'],
        description: 'A key without its secret: only its id and dates.',
        properties: {
          id: { type: 'string', format: 'uuid' },
          origin: { type: 'string', enum: ['seed', 'issued', 'rotation'], description: '`seed`: given to the hub at start (`npm start` keys); `issued`: by `POST /v1/partners`; `rotation`: by a rotation.' },
          state: { type: 'string', enum: ['active', 'expiring', 'expired', 'revoked'], description: '`expiring`: replaced by a rotation, working until `expiresAt`.' },
          createdAt: { type: 'string', format: 'date-time' },
          expiresAt: { type: ['string', 'null'], format: 'date-time' },
          revokedAt: { type: ['string', 'null'], format: 'date-time' },
          lastUsedAt: { type: ['string', 'null'], format: 'date-time', description: 'To the minute: refreshed at most once a minute.' },
        },
      },
      KeyList: {
        type: 'object', required: ['partnerId', 'keys'],
        properties: { partnerId: { type: 'string', format: 'uuid' }, keys: { type: 'array', items: ref('schemas', 'KeySummary') } },
      },
      KeyIssued: {
        type: 'object', required: ['id', 'apiKey', 'createdAt', 'replaced'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          apiKey: { type: 'string', pattern: '^fct_[A-Za-z0-9_-]{32}$', description: 'Shown once: store it.' },
          createdAt: { type: 'string', format: 'date-time' },
          replaced: {
            type: 'array', description: 'The keys that stop working at `expiresAt` (the grace period).',
            items: { type: 'object', required: ['id', 'expiresAt'], properties: { id: { type: 'string', format: 'uuid' }, expiresAt: { type: 'string', format: 'date-time' } } },
          },
        },
      },
      SellersInput: {
        type: 'object', required: ['sellers'],
        properties: { sellers: { type: 'array', maxItems: 10000, items: { type: 'string', description: '`0009:<siret>` or `scheme:value`' } } },
      },
      SellerBindings: {
        type: 'object', required: ['partnerId', 'addresses', 'sellers'],
        properties: {
          partnerId: { type: 'string', format: 'uuid' },
          addresses: { type: 'array', items: { type: 'string' }, description: 'The partner\'s own addresses (it receives there and sends from them).' },
          sellers: { type: 'array', items: { type: 'string' }, description: 'The sellers the operator bound to it (lower case).' },
        },
      },
      AuditPage: {
        type: 'object', required: ['items', 'nextBefore'],
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object', required: ['id', 'at', 'principal', 'keyId', 'method', 'route', 'path', 'target', 'status'],
              properties: {
                id: { type: 'integer' }, at: { type: 'string', format: 'date-time' },
                principal: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string', format: 'uuid' }, name: { type: ['string', 'null'] } } },
                keyId: { type: 'string', format: 'uuid' }, method: { type: 'string' },
                route: { type: 'string', description: 'The route pattern, e.g. `/v1/partners/:id/keys`.' }, path: { type: 'string' },
                target: { type: ['string', 'null'], description: 'The path parameters, `name=value` separated by spaces.' },
                status: { type: 'integer', description: 'The HTTP status answered; 499 when the client left first.' },
              },
            },
          },
          nextBefore: { type: ['integer', 'null'], description: 'Pass as `before` for the next (older) page.' },
        },
      },
      Readiness: {
        type: 'object', required: ['status', 'failures'],
        properties: {
          status: { type: 'string', enum: ['ready', 'not ready'] },
          failures: { type: 'object', additionalProperties: { type: 'string' }, description: 'Failing checks by name.' },
          outbox: {
            type: 'object', required: ['pending', 'oldestPendingSeconds'],
            description: 'The outbox backlog (gateway only): rows not yet published to Kafka; the check `outbox` fails when the oldest is older than `FACTEUR_OUTBOX_READY_MAX_AGE_MS`.',
            properties: { pending: { type: 'integer', minimum: 0 }, oldestPendingSeconds: { type: 'number', minimum: 0 }, setAside: { type: 'integer', minimum: 0 } },
          },
        },
      },
    },
  },
} satisfies OpenApiDocument
