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
  'DEPOSEE', 'REJETEE', 'A_RECYCLER', 'MISE_A_DISPOSITION', 'ECHEC_DISTRIBUTION', 'EN_ERREUR', 'PRISE_EN_CHARGE', 'APPROUVEE',
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
    { name: 'partners', description: 'Partners and their API keys (admin key).' },
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
        description: 'Runs every readiness check (PostgreSQL, Kafka, the outbox relay, the services), each with 2 s to answer.',
        responses: {
          200: { description: 'Ready.', content: { 'application/json': { schema: ref('schemas', 'Readiness'), example: { status: 'ready', failures: {} } } } },
          503: { description: 'Not ready: `failures` names each failing check (plain JSON, not problem+json).', content: { 'application/json': { schema: ref('schemas', 'Readiness'), example: { status: 'not ready', failures: { kafka: 'timed out after 2 s' } } } } },
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
          'The body is the raw invoice or credit note: UBL 2.1 or CII D16B. Checked in this order: media type (415, before the body is read), declared and actual size (413), then emptiness and XML safety (400: malformed, too deep, or any DOCTYPE). Nothing else is checked here: business problems come later as status `REJETEE` with findings, routing problems as `A_RECYCLER`.',
          '',
          '`202` means the document and its `received` event are committed: the deposit is durable.',
        ].join('\n'),
        parameters: [ref('parameters', 'IdempotencyKey')],
        requestBody: {
          required: true,
          description: 'The document, byte for byte. Factur-X (`application/pdf`) is refused with 415: send its embedded CII XML.',
          content: {
            'application/xml': { schema: { type: 'string', contentMediaType: 'application/xml' }, example: '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">…</Invoice>' },
            'text/xml': { schema: { type: 'string', contentMediaType: 'text/xml' } },
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
          415: problemResponse('`Content-Type` is neither `application/xml` nor `text/xml` (or is missing); `application/pdf` gets a Factur-X hint.', 'unsupported-media-type'),
          422: problemResponse('The `Idempotency-Key` was already used by this partner for a different body; `documentId` names the first document.', 'idempotency-key-reused'),
          503: ref('responses', 'Unavailable'),
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
          'REFUSEE and ENCAISSEE are final; the hub\'s statuses (DEPOSEE, REJETEE, A_RECYCLER, ECHEC_DISTRIBUTION, EN_ERREUR) allow none. MISE_EN_PAIEMENT only for a structure that manages it (`paymentStatusManaged`).',
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
          200: { description: 'The original bytes.', content: { 'application/xml': { schema: { type: 'string' } }, 'text/xml': { schema: { type: 'string' } } } },
          401: ref('responses', 'Unauthenticated'),
          404: ref('responses', 'NotFound'),
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
    },
    schemas: {
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
        description: 'Lifecycle status. Hub: DEPOSEE (200), REJETEE (213), A_RECYCLER (Chorus Pro: routing data to correct, e.g. code service BT-10 or numéro d\'engagement BT-13, then resubmit under the same number), MISE_A_DISPOSITION (203), ECHEC_DISTRIBUTION, EN_ERREUR. Recipient: PRISE_EN_CHARGE (204), APPROUVEE (205), APPROUVEE_PARTIELLEMENT (206), EN_LITIGE (207), SUSPENDUE (208), REFUSEE (210), SERVICE_FAIT, MANDATEE, MISE_EN_PAIEMENT, PAIEMENT_TRANSMIS (211). Sender: COMPLETEE (209), ENCAISSEE (212).',
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
      Document: {
        type: 'object', required: ['id', 'status', 'receivedAt', 'syntax', 'history', 'findings'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          status: ref('schemas', 'Status'),
          receivedAt: { type: 'string', format: 'date-time' },
          syntax: ref('schemas', 'Syntax'),
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
      Readiness: {
        type: 'object', required: ['status', 'failures'],
        properties: {
          status: { type: 'string', enum: ['ready', 'not ready'] },
          failures: { type: 'object', additionalProperties: { type: 'string' }, description: 'Failing checks by name.' },
        },
      },
    },
  },
} satisfies OpenApiDocument
