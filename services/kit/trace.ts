// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` that follows one document from the
// gateway to the recipient, in HTTP headers and Kafka message headers. The hub records no spans itself (no
// exporter): each step takes a new span id under the one it received, logs `traceId`, `spanId` and
// `parentSpanId`, and passes its own span on, so `grep <traceId>` over the services' logs follows a document and
// a tracing backend fed by a partner or a recipient sees the hub's steps in its trace. A pure module: no
// @opentelemetry/api, whose context propagation the hub would not use.
import { randomBytes } from 'node:crypto'

export type TraceContext = {
  /** 32 lowercase hex digits (16 bytes), never all zero */
  traceId: string
  /** 16 lowercase hex digits (8 bytes), never all zero: the span this context names */
  spanId: string
  /** 2 lowercase hex digits; bit 0 is "sampled" */
  flags: string
  /** the span this one was started under, when the hub started it from a received context */
  parentSpanId?: string
}

export const TRACEPARENT = 'traceparent'

const HEADER = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)

/**
 * The context of a `traceparent` value, or null when it is absent or invalid (the caller then starts a new
 * trace, as the specification says). Version 00 is exactly four fields; a later version may append fields,
 * which are ignored; version ff, upper-case hex and all-zero ids are invalid.
 */
export function parseTraceparent(value: string | null | undefined): TraceContext | null {
  if (typeof value !== 'string') return null
  const m = HEADER.exec(value.trim())
  if (!m) return null
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined]
  if (version === 'ff') return null
  if (version === '00' && rest !== undefined) return null
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return null
  return { traceId, spanId, flags }
}

/** The `traceparent` value of a context (always version 00). */
export const formatTraceparent = (context: TraceContext) => `00-${context.traceId}-${context.spanId}-${context.flags}`

const randomHex = (bytes: number, zero: string) => {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex')
    if (hex !== zero) return hex
  }
}

/** A new trace (the gateway, for a deposit that came without a valid `traceparent`); sampled. */
export const newTrace = (): TraceContext => ({ traceId: randomHex(16, ZERO_TRACE), spanId: randomHex(8, ZERO_SPAN), flags: '01' })

/** A new span under `parent`: same trace and flags, a new span id, the parent's span id as `parentSpanId`. */
export const childSpan = (parent: TraceContext): TraceContext =>
  ({ traceId: parent.traceId, spanId: randomHex(8, ZERO_SPAN), flags: parent.flags, parentSpanId: parent.spanId })

/** A span under the received `traceparent`, or a new trace when there is none (or it is invalid). */
export const continueTrace = (traceparent: string | null | undefined): TraceContext => {
  const parent = parseTraceparent(traceparent)
  return parent ? childSpan(parent) : newTrace()
}

/** The log fields of a context: `grep <traceId>` follows a document through every service. */
export const traceFields = (context: TraceContext | null) => (context
  ? { traceId: context.traceId, spanId: context.spanId, ...(context.parentSpanId ? { parentSpanId: context.parentSpanId } : {}) }
  : {})
