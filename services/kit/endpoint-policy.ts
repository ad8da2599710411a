// Where the hub may deliver: an SSRF guard shared by the gateway (checked when the admin registers an endpoint)
// and the forwarder's channels (checked again at connect time, since DNS may answer differently later: DNS
// rebinding). HTTP(S) endpoints must resolve to public unicast addresses unless the admin allows the host by
// name (FACTEUR_DELIVERY_ALLOWED_HOSTS); file: endpoints must lie under one root (FACTEUR_DROP_ROOT).
import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Why an address is not a public destination; null when it is one. */
export type AddressClass =
  | 'unspecified' | 'loopback' | 'private' | 'cgnat' | 'link-local' | 'multicast' | 'broadcast' | 'reserved'

type Range = { base: bigint; bits: number; size: 32 | 128; kind: AddressClass }

function v4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n)
}

/** The 16 bytes of an IPv6 address (with an embedded dotted quad, `::ffff:1.2.3.4`, accepted). */
function v6ToBigInt(ip: string): bigint {
  let text = ip.toLowerCase().split('%')[0]!
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (quad) {
    const v4 = v4ToBigInt(quad[1]!)
    text = text.slice(0, quad.index) + `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, null]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n)
}

const v4 = (cidr: string, kind: AddressClass): Range => {
  const [ip, bits] = cidr.split('/') as [string, string]
  return { base: v4ToBigInt(ip), bits: Number(bits), size: 32, kind }
}
const v6 = (cidr: string, kind: AddressClass): Range => {
  const [ip, bits] = cidr.split('/') as [string, string]
  return { base: v6ToBigInt(ip), bits: Number(bits), size: 128, kind }
}

// IANA special-purpose registries (RFC 6890 and its updates). Only what a recipient can never legitimately be.
const ranges: Range[] = [
  v4('0.0.0.0/8', 'unspecified'), // "this network"; 0.0.0.0 reaches the local host on Linux
  v4('10.0.0.0/8', 'private'), v4('172.16.0.0/12', 'private'), v4('192.168.0.0/16', 'private'), // RFC 1918
  v4('100.64.0.0/10', 'cgnat'), // RFC 6598
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'), // cloud metadata services live here (169.254.169.254)
  v4('255.255.255.255/32', 'broadcast'), // before 240/4, which holds it: the first match names the class
  v4('192.0.0.0/24', 'reserved'), v4('198.18.0.0/15', 'reserved'), v4('240.0.0.0/4', 'reserved'),
  v4('224.0.0.0/4', 'multicast'),
  v6('::/128', 'unspecified'), v6('::1/128', 'loopback'),
  v6('fc00::/7', 'private'), // unique local addresses, RFC 4193
  v6('fe80::/10', 'link-local'), v6('ff00::/8', 'multicast'),
  v6('64:ff9b:1::/48', 'reserved'), // local-use NAT64
]

/**
 * The class of a literal IP address, or null for a public unicast address. IPv4-mapped and IPv4-compatible
 * IPv6 addresses (`::ffff:127.0.0.1`, `::127.0.0.1`) and NAT64 (`64:ff9b::7f00:1`) are judged by the IPv4
 * address they carry, since the kernel connects to that one. Not an IP at all: 'reserved' (never trusted).
 */
export function classifyAddress(ip: string): AddressClass | null {
  const family = isIP(ip.split('%')[0]!)
  if (family === 0) return 'reserved'
  if (family === 4) {
    const n = v4ToBigInt(ip)
    return ranges.find((r) => r.size === 32 && n >> BigInt(32 - r.bits) === r.base >> BigInt(32 - r.bits))?.kind ?? null
  }
  const n = v6ToBigInt(ip)
  const embedded = n >> 32n === 0xffffn || (n >> 32n === 0n && n > 1n) || n >> 32n === 0x64ff9b0000000000000000n
    ? n & 0xffffffffn : null
  if (embedded !== null) {
    const dotted = [24n, 16n, 8n, 0n].map((s) => String((embedded >> s) & 0xffn)).join('.')
    return classifyAddress(dotted)
  }
  return ranges.find((r) => r.size === 128 && n >> BigInt(128 - r.bits) === r.base >> BigInt(128 - r.bits))?.kind ?? null
}

export type EndpointPolicy = {
  /** Host names or IP literals the admin allows although they are not public (exact, case-insensitive). */
  allowedHosts: readonly string[]
  /** The only folder (and its subfolders) file: endpoints may name. */
  dropRoot: string
}

export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>
export const systemResolve: Resolve = (host) => dnsLookup(host, { all: true, verbatim: true })

export type Checked = { ok: true } | { ok: false; reason: string }

/** The URL's host as the allow-list and the resolver see it: lower case, IPv6 without brackets. */
export const hostOf = (url: URL) => url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1')

export const hostAllowed = (policy: Pick<EndpointPolicy, 'allowedHosts'>, host: string) =>
  policy.allowedHosts.some((h) => h.toLowerCase().replace(/^\[(.*)\]$/, '$1') === host)

/**
 * The addresses `host` may be reached at: every address it resolves to must be public (one private answer
 * among public ones is how a rebinding attack hides), unless the admin allowed the host by name.
 */
export async function checkHost(host: string, policy: Pick<EndpointPolicy, 'allowedHosts'>, resolveHost: Resolve = systemResolve):
  Promise<{ ok: true; addresses: { address: string; family: number }[] } | { ok: false; reason: string }> {
  const literal = isIP(host)
  let addresses: { address: string; family: number }[]
  if (literal) addresses = [{ address: host, family: literal }]
  else {
    try { addresses = await resolveHost(host) } catch (error) {
      return { ok: false, reason: `the host ${host} does not resolve (${(error as { code?: string }).code ?? (error as Error).message})` }
    }
    if (addresses.length === 0) return { ok: false, reason: `the host ${host} does not resolve to any address` }
  }
  if (hostAllowed(policy, host)) return { ok: true, addresses }
  const refused = addresses.map((a) => ({ ...a, kind: classifyAddress(a.address) })).find((a) => a.kind !== null)
  if (refused) {
    const via = literal ? '' : ` resolves to ${refused.address}, which`
    return { ok: false, reason: `the host ${host}${via} is a ${refused.kind} address; the hub delivers only to public addresses unless the operator allows the host in FACTEUR_DELIVERY_ALLOWED_HOSTS` }
  }
  return { ok: true, addresses }
}

/** The folder of a file: endpoint if it lies under the root (lexically: `..` and encoded dots are resolved by URL parsing). */
export function dropFolderPath(url: URL, dropRoot: string): { ok: true; path: string } | { ok: false; reason: string } {
  let path: string
  try { path = fileURLToPath(url) } catch (error) {
    return { ok: false, reason: `the file URL ${url.href} does not name a local folder (${(error as Error).message})` }
  }
  if (!isInside(resolve(dropRoot), resolve(path))) {
    return { ok: false, reason: `the folder ${path} is outside the drop root ${dropRoot} (FACTEUR_DROP_ROOT); file endpoints must name a folder under it` }
  }
  return { ok: true, path: resolve(path) }
}

/** True when `path` is `root` or below it (both absolute and already resolved). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))
}

/**
 * The registration-time check of an endpoint: the URL's scheme, then its host's addresses or its folder.
 * The delivery channels check again when they connect or write (the answer may change in between).
 */
export async function checkEndpoint(raw: string, policy: EndpointPolicy, resolveHost: Resolve = systemResolve): Promise<Checked> {
  let url: URL
  try { url = new URL(raw) } catch { return { ok: false, reason: `'${raw}' is not a URL` } }
  if (url.protocol === 'file:') {
    if (/(^|\/)(\.|%2e){2}(\/|$)/i.test(raw.replace(/^file:\/\//i, ''))) {
      return { ok: false, reason: 'file endpoints may not contain `..` segments' }
    }
    const folder = dropFolderPath(url, policy.dropRoot)
    return folder.ok ? { ok: true } : folder
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const host = await checkHost(hostOf(url), policy, resolveHost)
    return host.ok ? { ok: true } : host
  }
  // A participant on the Peppol network: the AS4 URL comes from its SMP at delivery, and is checked there.
  if (raw === 'peppol:') return { ok: true }
  return { ok: false, reason: `the protocol ${url.protocol} is not supported` }
}

/** A URL fit for logs and error texts: any user name and password replaced by `***`. */
export function redactUrl(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i, (_m, scheme: string) => `${scheme}***@`)
}
