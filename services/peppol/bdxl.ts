// Finding a participant's SMP through the SML (Peppol SML 1.3 / SMP 1.4, BDXL): the host name is
// base32(SHA-256(lowercase participant value)) without padding, under `iso6523-actorid-upis.` and the SML zone;
// its U-NAPTR record with service `Meta:SMP` carries the SMP's base URL. The MD5/CNAME scheme is gone.
import { createHash } from 'node:crypto'
import { Resolver } from 'node:dns/promises'
import { PARTICIPANT_SCHEME, type PeppolId } from './identifiers.js'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567' // RFC 4648 §6

export function base32(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/** The DNS name to query for a participant (the value lowercased before hashing; the scheme is not hashed). */
export function bdxlHostName(participant: PeppolId, smlZone: string): string {
  const hash = createHash('sha256').update(participant.value.toLowerCase(), 'utf8').digest()
  return `${base32(hash).toLowerCase()}.${PARTICIPANT_SCHEME}.${smlZone.replace(/\.$/, '')}`
}

export type NaptrRecord = { flags: string; service: string; regexp: string; replacement: string; order: number; preference: number }
export type NaptrResolver = (host: string) => Promise<NaptrRecord[]>

/** Node's resolver, optionally pointed at given DNS servers (`host:port`), e.g. a loopback one in tests. */
export function dnsNaptrResolver(servers?: string[]): NaptrResolver {
  const resolver = new Resolver({ timeout: 5000, tries: 2 })
  if (servers?.length) resolver.setServers(servers)
  return (host) => resolver.resolveNaptr(host)
}

export type SmpLocation = { ok: true; url: string; host: string } | { ok: false; reason: string; permanent: boolean; host: string }

/**
 * The SMP base URL of a participant: the U-NAPTR records (flag `U`, service `Meta:SMP`) in order/preference
 * order, the first whose regexp `!^.*$!<url>!` yields an http(s) URL. No record: the participant is not
 * registered (permanent); a DNS failure other than "no such name" is not.
 */
export async function locateSmp(participant: PeppolId, smlZone: string, resolve: NaptrResolver): Promise<SmpLocation> {
  const host = bdxlHostName(participant, smlZone)
  let records: NaptrRecord[]
  try {
    records = await resolve(host)
  } catch (error) {
    const code = (error as { code?: string }).code
    const notRegistered = code === 'ENOTFOUND' || code === 'ENODATA'
    return { ok: false, host, permanent: notRegistered, reason: notRegistered ? `participant ${participant.value} is not registered in the SML ${smlZone} (no NAPTR record at ${host})` : `DNS lookup of ${host} failed: ${code ?? (error as Error).message}` }
  }
  const usable = records
    .filter((r) => r.flags.toUpperCase() === 'U' && r.service === 'Meta:SMP')
    .sort((a, b) => a.order - b.order || a.preference - b.preference)
  for (const record of usable) {
    const url = uriFromRegexp(record.regexp)
    if (url) return { ok: true, url, host }
  }
  return { ok: false, host, permanent: true, reason: `no usable Meta:SMP U-NAPTR record at ${host}` }
}

// RFC 4848 U-NAPTR: the regexp's delimiter is its first character; Peppol uses `!^.*$!<uri>!` (the whole
// input replaced by the URI). Other patterns are not used by the SML and are refused rather than interpreted.
function uriFromRegexp(regexp: string): string | null {
  const delimiter = regexp[0]
  if (!delimiter) return null
  const parts = regexp.split(delimiter)
  if (parts.length !== 4 || parts[1] !== '^.*$' || parts[3] !== '') return null
  try {
    const url = new URL(parts[2]!)
    return url.protocol === 'https:' || url.protocol === 'http:' ? parts[2]!.replace(/\/+$/, '') : null
  } catch {
    return null
  }
}
