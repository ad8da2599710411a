// The auditors' hash chain over the status events of one document (part of the contract: anyone holding the
// `document.status` topic can recompute it). Each event's hash is SHA-256 over a canonical JSON array of its
// fields and the previous event's hash (the empty string for sequence 1); field order is fixed here, not
// taken from an object, so the producer, the database and a consumer decoding Avro all hash the same bytes.
// A missing, reordered, altered or inserted event breaks the chain at that point.
import { createHash } from 'node:crypto'
import type { Finding } from './events.js'

export type Chained = {
  documentId: string; sequence: number; status: string; code: string | null; actor: string
  at: number; reason: string | null; findings: Finding[]; prevHash: string | null
}

export function canonical(e: Chained): string {
  return JSON.stringify([
    'facteur-status-v1', e.documentId, e.sequence, e.status, e.code, e.actor, e.at, e.reason,
    e.findings.map((f) => [f.ruleId, f.severity, f.location, f.message, f.pack, f.packVersion ?? null, f.line]),
    e.prevHash ?? '',
  ])
}

export const chainHash = (e: Chained): string => createHash('sha256').update(canonical(e), 'utf8').digest('hex')

export type Break = { documentId: string; sequence: number; problem: string }
export type Verification = { documents: number; events: number; duplicates: number; breaks: Break[] }

/**
 * Checks the chains of every document in a stream of status events (in topic order). Repeats of an event
 * with the same hash (redelivery) are counted and skipped; everything else out of line is a break:
 * a gap or reordering in the sequence, a previous hash that is not the last event's, a hash that does not
 * match the event's content, or two different events under one sequence number.
 */
export function createVerifier() {
  const last = new Map<string, { sequence: number; hash: string; seen: Map<number, string> }>()
  const result: Verification = { documents: 0, events: 0, duplicates: 0, breaks: [] }
  return {
    add(e: Chained & { hash: string | null }) {
      result.events++
      let doc = last.get(e.documentId)
      if (!doc) { doc = { sequence: 0, hash: '', seen: new Map() }; last.set(e.documentId, doc); result.documents++ }
      const brk = (problem: string) => result.breaks.push({ documentId: e.documentId, sequence: e.sequence, problem })
      const earlier = doc.seen.get(e.sequence)
      if (earlier !== undefined) {
        if (earlier === e.hash) result.duplicates++
        else brk(`a second, different event with sequence ${e.sequence}`)
        return
      }
      const computed = chainHash(e)
      if (e.hash !== computed) brk(`its hash ${e.hash ?? '(none)'} does not match its content (${computed})`)
      if (e.sequence !== doc.sequence + 1) brk(`sequence ${e.sequence} follows ${doc.sequence || 'nothing'}: ${e.sequence > doc.sequence + 1 ? `event(s) ${doc.sequence + 1}..${e.sequence - 1} missing` : 'out of order'}`)
      else if ((e.prevHash ?? '') !== doc.hash) brk(`its previous hash ${e.prevHash ?? '(none)'} is not the hash of event ${doc.sequence} (${doc.hash || 'none'})`)
      doc.seen.set(e.sequence, e.hash ?? '')
      if (e.sequence > doc.sequence) { doc.sequence = e.sequence; doc.hash = e.hash ?? '' }
    },
    result: () => result,
  }
}
