// The hub's part of the document lifecycle (Chorus Pro / French e-invoicing reform). Codes are those of the
// reform's lifecycle statuses where one exists (DGFiP "Spécifications externes", cycle de vie: 200 Déposée,
// 203 Mise à disposition, 213 Rejetée); the business statuses after delivery, set by recipients and senders
// through the gateway, are in schemas/lifecycle.ts.
// ECHEC_DISTRIBUTION and EN_ERREUR are the hub's own technical states so that no accepted document is ever
// left without a known state: delivery given up, or processing parked in a dead-letter topic.
import type { Finding } from '../../schemas/events.js'
import { statuses } from '../../schemas/lifecycle.js'

export type HubStatus = 'DEPOSEE' | 'REJETEE' | 'A_RECYCLER' | 'MISE_A_DISPOSITION' | 'ECHEC_DISTRIBUTION' | 'EN_ERREUR' | 'RELANCEE'

export const statusCodes: Record<HubStatus, string | null> = {
  DEPOSEE: statuses.DEPOSEE.code,
  MISE_A_DISPOSITION: statuses.MISE_A_DISPOSITION.code,
  REJETEE: statuses.REJETEE.code,
  A_RECYCLER: statuses.A_RECYCLER.code,
  ECHEC_DISTRIBUTION: statuses.ECHEC_DISTRIBUTION.code,
  EN_ERREUR: statuses.EN_ERREUR.code,
  RELANCEE: statuses.RELANCEE.code,
}

/** What the hub may move a document to, from each status. Absent: a final state for the hub. */
export const hubTransitions: Partial<Record<HubStatus, HubStatus[]>> = {
  DEPOSEE: ['REJETEE', 'A_RECYCLER', 'MISE_A_DISPOSITION', 'ECHEC_DISTRIBUTION', 'EN_ERREUR'],
  // A parked document that an operator replays may still go on to any outcome. RELANCEE (the replay, recorded
  // by the operator's command: see replayedFrom in schemas/lifecycle.ts) is where ECHEC_DISTRIBUTION leaves.
  EN_ERREUR: ['REJETEE', 'A_RECYCLER', 'MISE_A_DISPOSITION', 'ECHEC_DISTRIBUTION', 'RELANCEE'],
  ECHEC_DISTRIBUTION: ['RELANCEE'],
  RELANCEE: ['REJETEE', 'A_RECYCLER', 'MISE_A_DISPOSITION', 'ECHEC_DISTRIBUTION', 'EN_ERREUR', 'RELANCEE'],
}

export type Change = { status: HubStatus; reason: string | null; findings: Finding[]; at: number }

export type Plan = { append: Change[]; ignored: string | null }

/**
 * The rows to append to a document's history for one change. DEPOSEE is always first: if a later stage's
 * event is seen before `received` (they come from different topics), DEPOSEE is implied at `receivedAt`.
 */
export function planChange(history: readonly { status: string }[], change: Change, receivedAt: number): Plan {
  const current = history.at(-1)?.status as HubStatus | undefined
  if (change.status === 'DEPOSEE') {
    return current ? { append: [], ignored: 'DEPOSEE is already recorded' } : { append: [change], ignored: null }
  }
  if (!current) {
    return { append: [{ status: 'DEPOSEE', reason: null, findings: [], at: receivedAt }, change], ignored: null }
  }
  if (current === change.status && change.status === 'EN_ERREUR') return { append: [change], ignored: null }
  const allowed = hubTransitions[current] ?? []
  if (!allowed.includes(change.status)) {
    return { append: [], ignored: `${current} does not move to ${change.status} (allowed: ${allowed.join(', ') || 'none'})` }
  }
  return { append: [change], ignored: null }
}

/** One line saying why a document was rejected: the fatal rule ids, the first message. */
export function rejectionReason(stage: string, findings: readonly Finding[]): string {
  const fatal = findings.filter((f) => f.severity === 'fatal')
  if (fatal.length === 0) return `${stage}: rejected`
  const ids = [...new Set(fatal.map((f) => f.ruleId))]
  const shown = ids.slice(0, 8).join(', ') + (ids.length > 8 ? `, … (${ids.length} rules)` : '')
  return `${stage}: ${fatal.length} fatal finding${fatal.length > 1 ? 's' : ''} (${shown}): ${fatal[0]!.message}`.slice(0, 1000)
}
