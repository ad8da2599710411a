// Delivers one document: picks the channel from the endpoint's scheme, tries up to `attempts` times with
// back-off, and reports each attempt. `sleep` is a parameter so tests do not wait.
import type { Channel, Delivery, DeliveryOutcome } from './channels/channel.js'
import { backoffDelay } from './backoff.js'

export type Channels = { http: Channel; file: Channel }

export type AttemptReport = { attempt: number; outcome: DeliveryOutcome['outcome']; detail: string }

export type Final = { outcome: 'DELIVERED' | 'FAILED'; attempts: number; detail: string }

export async function deliver(options: {
  endpoint: string; delivery: Delivery; channels: Channels; attempts: number; backoffMs: number
  sleep: (ms: number) => Promise<unknown>; onAttempt: (report: AttemptReport) => Promise<void>
}): Promise<Final> {
  // A structure without an endpoint: the document waits in the hub, where its recipient fetches it (Chorus Pro's
  // "mise à disposition" on the portal). Nothing to send, so it is delivered at once.
  if (options.endpoint === 'mailbox:') {
    await options.onAttempt({ attempt: 1, outcome: 'delivered', detail: 'kept in the hub for the recipient to fetch' })
    return { outcome: 'DELIVERED', attempts: 1, detail: 'kept in the hub for the recipient to fetch' }
  }
  let url: URL
  try { url = new URL(options.endpoint) } catch { return { outcome: 'FAILED', attempts: 0, detail: `endpoint '${options.endpoint}' is not a URL` } }
  const channel = url.protocol === 'file:' ? options.channels.file : url.protocol === 'http:' || url.protocol === 'https:' ? options.channels.http : null
  if (!channel) return { outcome: 'FAILED', attempts: 0, detail: `no delivery channel for ${url.protocol} endpoints (use file:, http: or https:)` }
  let last: DeliveryOutcome = { outcome: 'retry-later', detail: 'not attempted' }
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    last = await channel(url, options.delivery)
    await options.onAttempt({ attempt, outcome: last.outcome, detail: last.detail })
    if (last.outcome === 'delivered') return { outcome: 'DELIVERED', attempts: attempt, detail: last.detail }
    if (last.outcome === 'failed') return { outcome: 'FAILED', attempts: attempt, detail: last.detail }
    if (attempt < options.attempts) await options.sleep(backoffDelay(attempt, options.backoffMs))
  }
  return { outcome: 'FAILED', attempts: options.attempts, detail: `gave up after ${options.attempts} attempts; last: ${last.detail}` }
}
