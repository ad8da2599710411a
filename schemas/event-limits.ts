// How big an event may get. Kafka refuses a record over the topic's `max.message.bytes` (MESSAGE_TOO_LARGE, not
// retriable), so every field that comes from a document must be bounded before it is put on an event: the
// extracted keys by a length limit at ingest, the findings by `capFindings` below. Events then stay far under
// MAX_EVENT_BYTES whatever a partner sends, and the complete findings stay in PostgreSQL (document_findings).
import type { DocumentKeys, Finding } from './events.js'

/** Largest value the hub produces on its topics, and the `max.message.bytes` it sets on them (1 MiB). */
export const MAX_EVENT_BYTES = 1024 * 1024

/** Dead letters wrap a whole failed message plus the error, so their topics take a little more. */
export const MAX_DEAD_LETTER_BYTES = MAX_EVENT_BYTES + 64 * 1024

/** Findings carried on one event: at most this many, and at most FINDINGS_BUDGET_BYTES of them in all. */
export const MAX_EVENT_FINDINGS = 500
export const FINDINGS_BUDGET_BYTES = 512 * 1024

/** Longest text kept per finding field (UTF-16 code units); the official messages are under 600. */
export const FINDING_FIELD_LIMITS = { ruleId: 128, location: 1_000, message: 2_000, pack: 128, packVersion: 64 } as const

/** Longest value accepted in one extracted key (BT-1, names, identifiers): a longer one is refused at ingest. */
export const MAX_KEY_CHARS = 1_000

export const TRUNCATED_RULE = 'FACTEUR-FINDINGS-TRUNCATED'

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`)

/** Bytes a finding takes on the wire, over-estimated (UTF-8 worst case plus field framing). */
const weight = (f: Finding) =>
  Buffer.byteLength(f.ruleId) + Buffer.byteLength(f.location) + Buffer.byteLength(f.message) + Buffer.byteLength(f.pack ?? '') + Buffer.byteLength(f.packVersion ?? '') + 32

function clipFinding(f: Finding): Finding {
  const L = FINDING_FIELD_LIMITS
  return {
    ...f,
    ruleId: clip(f.ruleId, L.ruleId), location: clip(f.location, L.location), message: clip(f.message, L.message),
    pack: f.pack === null ? null : clip(f.pack, L.pack),
    ...(f.packVersion !== undefined ? { packVersion: f.packVersion === null ? null : clip(f.packVersion, L.packVersion) } : {}),
  }
}

export type CappedFindings = { findings: Finding[]; total: number; truncated: boolean }

/**
 * The findings an event carries: fatal ones first (they decide the verdict), each field clipped, at most
 * MAX_EVENT_FINDINGS and FINDINGS_BUDGET_BYTES; when some are left out, one more finding (FACTEUR-FINDINGS-TRUNCATED)
 * says how many there were and counts them per rule, so a reader knows the list is partial and where the rest is.
 */
export function capFindings(all: readonly Finding[], limits = { count: MAX_EVENT_FINDINGS, bytes: FINDINGS_BUDGET_BYTES }): CappedFindings {
  const clipped = all.map(clipFinding)
  const total = clipped.reduce((sum, f) => sum + weight(f), 0)
  if (clipped.length <= limits.count && total <= limits.bytes) return { findings: clipped, total: all.length, truncated: false }

  const rank = { fatal: 0, warning: 1, information: 2 } as const
  const ordered = clipped.map((f, i) => ({ f, i })).sort((a, b) => rank[a.f.severity] - rank[b.f.severity] || a.i - b.i).map((x) => x.f)
  const summaryBudget = 4 * FINDING_FIELD_LIMITS.message + 512
  const kept: Finding[] = []
  let used = summaryBudget
  for (const f of ordered) {
    if (kept.length >= limits.count - 1 || used + weight(f) > limits.bytes) break
    kept.push(f)
    used += weight(f)
  }
  const perRule = new Map<string, number>()
  for (const f of clipped) perRule.set(f.ruleId, (perRule.get(f.ruleId) ?? 0) + 1)
  const counts = [...perRule].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([rule, n]) => `${rule} ×${n}`)
  const severities = (['fatal', 'warning', 'information'] as const).map((s) => [s, clipped.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0)
  const summary: Finding = {
    ruleId: TRUNCATED_RULE, severity: 'information', location: '/', pack: null, packVersion: null, line: null,
    message: clip(`${all.length} findings in all (${severities.map(([s, n]) => `${n} ${s}`).join(', ')}); ${kept.length} are listed here, `
      + `fatal first; the complete list is kept by the hub. Per rule: ${counts.join(', ')}`, FINDING_FIELD_LIMITS.message),
  }
  return { findings: [...kept, summary], total: all.length, truncated: true }
}

/** The first extracted key longer than MAX_KEY_CHARS, named by its business term, or null. */
export function overlongKey(keys: DocumentKeys): { term: string; length: number } | null {
  const party = (p: DocumentKeys['seller'], terms: { name: string; legalId: string; vatId: string; endpoint: string }) => [
    [terms.name, p.name], [terms.legalId, p.legalId?.value], [`${terms.legalId}-1`, p.legalId?.scheme], [terms.vatId, p.vatId],
    [terms.endpoint, p.endpoint?.value], [`${terms.endpoint}-1`, p.endpoint?.scheme],
  ] as [string, string | null | undefined][]
  const fields: [string, string | null | undefined][] = [
    ['BT-1', keys.invoiceNumber], ['BT-2', keys.issueDate], ['BT-3', keys.typeCode], ['BT-5', keys.currency], ['BT-24', keys.customizationId],
    ['BT-23', keys.profileId], ['BT-10', keys.buyerReference], ['BT-13', keys.orderReference],
    ...party(keys.seller, { name: 'BT-27', legalId: 'BT-30', vatId: 'BT-31', endpoint: 'BT-34' }),
    ...party(keys.buyer, { name: 'BT-44', legalId: 'BT-47', vatId: 'BT-48', endpoint: 'BT-49' }),
    ['BT-106', keys.totals.lineExtension], ['BT-109', keys.totals.taxExclusive], ['BT-110', keys.totals.taxTotal],
    ['BT-112', keys.totals.taxInclusive], ['BT-115', keys.totals.payable],
  ]
  for (const [term, value] of fields) if (value && value.length > MAX_KEY_CHARS) return { term, length: value.length }
  return null
}
