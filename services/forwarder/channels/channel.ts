// A delivery channel: one way of handing the original bytes to a recipient. Outcomes are values:
// 'delivered', 'retry-later' (the endpoint may accept later) or 'failed' (it never will as configured).
/**
 * `bytes`: what is delivered, the document as deposited. `invoice`: the business document itself when it differs (the
 * CII inside a Factur-X PDF), for a channel that carries XML only (Peppol). `name` (default: the document id) names
 * the file or the HTTP idempotency key: a receipt is `<id>.receipt-<n>`. `traceparent`: the attempt's span in the
 * document's trace (kit/trace.ts), sent to HTTP recipients.
 */
export type Delivery = { documentId: string; contentType: string; bytes: Buffer; invoice?: Buffer; name?: string; traceparent?: string }

export type DeliveryOutcome =
  | { outcome: 'delivered'; detail: string }
  | { outcome: 'retry-later'; detail: string }
  | { outcome: 'failed'; detail: string }

export type Channel = (endpoint: URL, delivery: Delivery) => Promise<DeliveryOutcome>
