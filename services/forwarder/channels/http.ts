// HTTP(S) delivery: POST of the original bytes. The document id travels in `X-Facteur-Document-Id` (and as
// `Idempotency-Key`) so a recipient can de-duplicate the redeliveries that at-least-once implies.
// SSRF guard at connect time (kit/endpoint-policy.ts): the host is resolved here, every address checked, and
// the socket connects to those checked addresses only (a pinned lookup), so a DNS answer that changed since
// registration (DNS rebinding) cannot send the hub to loopback, a private network or a metadata service.
// Redirects are not followed: a 3xx is a permanent failure, never a second, unchecked destination.
// `traceparent` (W3C Trace Context) carries the document's trace to the recipient, when it has one.
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { checkHost, hostOf, systemResolve, type Resolve } from '../../kit/endpoint-policy.js'
import type { Channel, DeliveryOutcome } from './channel.js'

/** 408, 425, 429 and 5xx may succeed later (RFC 9110 §15.5.9, §15.6; RFC 6585 §4); other 4xx will not. */
export function classifyStatus(status: number): DeliveryOutcome['outcome'] {
  if (status >= 200 && status < 300) return 'delivered'
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry-later'
  return 'failed'
}

export type HttpChannelOptions = {
  timeoutMs: number
  /** FACTEUR_DELIVERY_ALLOWED_HOSTS: hosts allowed although they resolve to non-public addresses. */
  allowedHosts: readonly string[]
  resolve?: Resolve
}

/** A lookup that answers only the addresses already checked (net.connect asks for one or, with autoSelectFamily, all). */
const pinnedLookup = (addresses: { address: string; family: number }[]): LookupFunction => (_host, options, callback) => {
  const cb = callback as (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void
  if ((options as { all?: boolean }).all) cb(null, addresses)
  else cb(null, addresses[0]!.address, addresses[0]!.family)
}

export type Posted =
  | { ok: true; status: number; body: Buffer; contentType: string }
  | { ok: false; outcome: 'retry-later' | 'failed'; detail: string }

/**
 * One POST through the SSRF guard: the host checked and pinned, no redirects, a deadline, and at most
 * `maxResponseBytes` of the answer kept. Transport failures are outcomes, not throws.
 */
export async function postChecked(endpoint: URL, request: { headers: Record<string, string>; body: Buffer }, options: HttpChannelOptions & { maxResponseBytes: number }): Promise<Posted> {
  const checked = await checkHost(hostOf(endpoint), { allowedHosts: options.allowedHosts }, options.resolve ?? systemResolve)
  // Permanent: retrying cannot make a forbidden destination allowed; the operator fixes the endpoint or the list.
  if (!checked.ok) return { ok: false, outcome: 'failed', detail: `refused before connecting: ${checked.reason}` }
  const client = endpoint.protocol === 'https:' ? https : http
  return new Promise<Posted>((resolveOutcome) => {
    let settled = false
    const done = (o: Posted) => { if (!settled) { settled = true; clearTimeout(timer); resolveOutcome(o) } }
    const req = client.request(endpoint, {
      method: 'POST',
      headers: { ...request.headers, 'content-length': String(request.body.length) },
      lookup: pinnedLookup(checked.addresses),
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => { if (size < options.maxResponseBytes) { chunks.push(c); size += c.length } })
      res.on('end', () => done({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).subarray(0, options.maxResponseBytes), contentType: String(res.headers['content-type'] ?? '') }))
      res.on('error', (error) => done({ ok: false, outcome: 'retry-later', detail: `the answer was cut off: ${error.message}` }))
    })
    const timer = setTimeout(() => {
      done({ ok: false, outcome: 'retry-later', detail: `no answer within ${options.timeoutMs} ms` })
      req.destroy()
    }, options.timeoutMs)
    // ECONNREFUSED, ECONNRESET, TLS errors: the endpoint may come back.
    req.on('error', (error: Error & { code?: string }) => done({ ok: false, outcome: 'retry-later', detail: `${error.code ?? 'error'}: ${error.message}` }))
    req.end(request.body)
  })
}

export const httpChannel = (options: HttpChannelOptions): Channel => async (endpoint, delivery) => {
  const posted = await postChecked(endpoint, {
    headers: {
      'content-type': delivery.contentType,
      'x-facteur-document-id': delivery.documentId, 'idempotency-key': delivery.name ?? delivery.documentId,
      ...(delivery.traceparent ? { traceparent: delivery.traceparent } : {}),
    },
    body: delivery.bytes,
  }, { ...options, maxResponseBytes: 300 })
  if (!posted.ok) return { outcome: posted.outcome, detail: posted.detail }
  const text = posted.body.toString('utf8').slice(0, 300)
  return { outcome: classifyStatus(posted.status), detail: `HTTP ${posted.status}${text ? `: ${text}` : ''}` } as DeliveryOutcome
}
