// The error-code catalogue: declared once, never reused. Each code maps to a problem+json `type`
// (RFC 9457 §3.1.1) and, where the error can reach an HTTP client, a status.
export const errorCodes = {
  CONFIG_INVALID: { status: null, title: 'Invalid configuration' },
  INFRA_UNAVAILABLE: { status: 503, title: 'A backing service is unavailable' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  MALFORMED_DOCUMENT: { status: 400, title: 'Malformed document' },
  FORBIDDEN_XML_CONSTRUCT: { status: 400, title: 'Forbidden XML construct' },
  INVALID_REQUEST: { status: 400, title: 'Invalid request' },
  DOCUMENT_TOO_LARGE: { status: 413, title: 'Document too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key reused with another document' },
  NOT_AN_INVOICE: { status: 422, title: 'Not readable as an invoice' },
  CONFLICT: { status: 409, title: 'Conflicts with the current state' },
  TRANSITION_NOT_ALLOWED: { status: 409, title: 'Status transition not allowed' },
  RATE_LIMITED: { status: 429, title: 'Too many requests for this API key' },
  UPLOADS_BUSY: { status: 503, title: 'Too many large uploads at once' },
  SCHEMA_INCOMPATIBLE: { status: null, title: 'Avro schema incompatible with the registered one' },
  EVENT_TOO_LARGE: { status: null, title: 'Event over the hub\'s message size limit' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const

export type ErrorCode = keyof typeof errorCodes

export class FacteurError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FacteurError'
    this.code = code
  }
}

/** problem+json `type` URI for a code: stable, documented in the README's error table. */
export const problemType = (code: ErrorCode) => `https://facteur.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`
