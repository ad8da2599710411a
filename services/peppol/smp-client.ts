// Corner 2's question before sending: where does this participant receive this document type, and with which
// certificate? SML (BDXL) → SMP → signed metadata → the active AS4 endpoint. Answers are cached until the
// cache time or the endpoint's expiration, whichever comes first; "not registered" answers for a short while.
import { locateSmp, type NaptrResolver } from './bdxl.js'
import { formatId, type PeppolId } from './identifiers.js'
import { chooseEndpoint, readSignedServiceMetadata, serviceMetadataUrl, type Endpoint, type TrustCheck } from './smp.js'

export type Lookup =
  | { ok: true; endpoint: Endpoint; smpUrl: string }
  /** permanent: the participant, document type or endpoint does not exist (no use retrying soon). */
  | { ok: false; reason: string; permanent: boolean }

export type SmpClientOptions = {
  /** SML zone for BDXL, e.g. participant.sml.test.tech.peppol.org. */
  smlZone: string
  /** A fixed SMP base URL instead of the SML (one SMP for every participant: local use, tests). */
  smpUrl?: string | null
  resolveNaptr: NaptrResolver
  trust: TrustCheck
  fetch?: typeof globalThis.fetch
  cacheMs?: number
  notFoundCacheMs?: number
  timeoutMs?: number
  maxBytes?: number
  now?: () => number
}

export type SmpClient = { lookup(participant: PeppolId, documentType: PeppolId, process: PeppolId): Promise<Lookup> }

export function createSmpClient(options: SmpClientOptions): SmpClient {
  const fetchFn = options.fetch ?? globalThis.fetch
  const now = options.now ?? Date.now
  const cacheMs = options.cacheMs ?? 60 * 60_000
  const notFoundMs = options.notFoundCacheMs ?? 5 * 60_000
  const maxBytes = options.maxBytes ?? 1024 * 1024
  const cache = new Map<string, { until: number; answer: Lookup }>()

  async function fetchMetadata(url: string): Promise<{ ok: true; body: Buffer } | { ok: false; reason: string; permanent: boolean }> {
    let response: Response
    try {
      response = await fetchFn(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000), redirect: 'error', headers: { accept: 'application/xml, text/xml' } })
    } catch (error) {
      return { ok: false, permanent: false, reason: `SMP ${url} did not answer: ${(error as Error).message}` }
    }
    if (response.status === 404) return { ok: false, permanent: true, reason: `SMP ${url} answers 404: the participant does not receive this document type there` }
    if (!response.ok) return { ok: false, permanent: response.status < 500 && response.status !== 429, reason: `SMP ${url} answers HTTP ${response.status}` }
    const declared = Number(response.headers.get('content-length') ?? 0)
    if (declared > maxBytes) return { ok: false, permanent: false, reason: `SMP ${url} answer is ${declared} bytes, over the ${maxBytes} byte limit` }
    const body = Buffer.from(await response.arrayBuffer())
    if (body.length > maxBytes) return { ok: false, permanent: false, reason: `SMP ${url} answer is over the ${maxBytes} byte limit` }
    return { ok: true, body }
  }

  async function lookupUncached(participant: PeppolId, documentType: PeppolId, process: PeppolId): Promise<{ answer: Lookup; until: number }> {
    const fail = (reason: string, permanent: boolean) => ({ answer: { ok: false, reason, permanent } as Lookup, until: now() + (permanent ? notFoundMs : 0) })
    let base = options.smpUrl ?? null
    if (!base) {
      const located = await locateSmp(participant, options.smlZone, options.resolveNaptr)
      if (!located.ok) return fail(located.reason, located.permanent)
      base = located.url
    }
    const url = serviceMetadataUrl(base, participant, documentType)
    const fetched = await fetchMetadata(url)
    if (!fetched.ok) return fail(fetched.reason, fetched.permanent)
    const read = readSignedServiceMetadata(fetched.body, options.trust)
    // An answer that does not verify is not the participant's fault, but retrying will not fix it either.
    if (!read.ok) return fail(`SMP ${url}: ${read.reason}`, true)
    const chosen = chooseEndpoint(read.metadata, { participant, documentType, process }, new Date(now()))
    if (!chosen.ok) return fail(chosen.reason, true)
    const expires = chosen.endpoint.expiration?.getTime() ?? Infinity
    return { answer: { ok: true, endpoint: chosen.endpoint, smpUrl: url }, until: Math.min(now() + cacheMs, expires) }
  }

  return {
    async lookup(participant, documentType, process) {
      const key = `${formatId(participant).toLowerCase()}|${formatId(documentType)}|${formatId(process)}`
      const hit = cache.get(key)
      if (hit && hit.until > now()) return hit.answer
      const { answer, until } = await lookupUncached(participant, documentType, process)
      if (until > now()) cache.set(key, { until, answer })
      else cache.delete(key)
      return answer
    },
  }
}
