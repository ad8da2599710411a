// One delivery attempt: picks the channel from the endpoint's scheme and hands the bytes over once. Retries,
// back-off and giving up are the job runner's (runner.ts, jobs.ts), never a loop in a Kafka handler.
import type { Channel, Delivery, DeliveryOutcome } from './channels/channel.js'

/** `peppol` is there when Peppol is on (FACTEUR_PEPPOL_SEAT_ID and its keys). */
export type Channels = { http: Channel; file: Channel; peppol?: Channel | null }

/** `mailbox:` is a structure without an endpoint; an unusable endpoint fails without an attempt. */
export async function attemptDelivery(endpoint: string, delivery: Delivery, channels: Channels): Promise<DeliveryOutcome> {
  // A structure without an endpoint: the document waits in the hub, where its recipient fetches it (Chorus Pro's
  // "mise à disposition" on the portal). Nothing to send, so it is delivered at once.
  if (endpoint === 'mailbox:') return { outcome: 'delivered', detail: 'kept in the hub for the recipient to fetch' }
  let url: URL
  try { url = new URL(endpoint) } catch { return { outcome: 'failed', detail: `endpoint '${endpoint}' is not a URL` } }
  if (url.protocol === 'peppol:' && !channels.peppol) return { outcome: 'failed', detail: 'the endpoint is on the Peppol network, but Peppol is off in this hub (FACTEUR_PEPPOL_SEAT_ID and its keys)' }
  const channel = url.protocol === 'file:' ? channels.file : url.protocol === 'http:' || url.protocol === 'https:' ? channels.http : url.protocol === 'peppol:' ? channels.peppol : null
  if (!channel) return { outcome: 'failed', detail: `no delivery channel for ${url.protocol} endpoints (use file:, http:, https: or peppol:)` }
  try {
    return await channel(url, delivery)
  } catch (error) {
    // A channel reports outcomes as values; a throw is a bug in it, retried like any transient failure.
    return { outcome: 'retry-later', detail: `channel error: ${(error as Error).message}` }
  }
}
