// HTTP(S) delivery: POST of the original bytes. The document id travels in `X-Facteur-Document-Id` (and as
// `Idempotency-Key`) so a recipient can de-duplicate the redeliveries that at-least-once implies.
import type { Channel, DeliveryOutcome } from './channel.js'

/** 408, 425, 429 and 5xx may succeed later (RFC 9110 §15.5.9, §15.6; RFC 6585 §4); other 4xx will not. */
export function classifyStatus(status: number): DeliveryOutcome['outcome'] {
  if (status >= 200 && status < 300) return 'delivered'
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry-later'
  return 'failed'
}

export const httpChannel = (timeoutMs: number): Channel => async (endpoint, delivery) => {
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': delivery.contentType, 'x-facteur-document-id': delivery.documentId, 'idempotency-key': delivery.name ?? delivery.documentId },
      body: delivery.bytes,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    })
    const text = (await res.text().catch(() => '')).slice(0, 300)
    const outcome = classifyStatus(res.status)
    return { outcome, detail: `HTTP ${res.status}${text ? `: ${text}` : ''}` } as DeliveryOutcome
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } }
    if (e.name === 'TimeoutError') return { outcome: 'retry-later', detail: `no answer within ${timeoutMs} ms` }
    // fetch reports "fetch failed"; what happened (ECONNREFUSED, bad port, TLS) is in the cause.
    return { outcome: 'retry-later', detail: `${e.message}: ${e.cause?.code ?? ''} ${e.cause?.message ?? ''}`.trim() }
  }
}
