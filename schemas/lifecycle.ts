// The document lifecycle, as a contract between the hub, its partners and its auditors: every status, its
// code, who may set it, and from which status. Codes are those of the French e-invoicing reform's lifecycle
// (DGFiP, "Spécifications externes de la facturation électronique", cycle de vie des factures: 200 Déposée,
// 201 Émise par la plateforme, 202 Reçue par la plateforme, 203 Mise à disposition, 204 Prise en charge,
// 205 Approuvée, 206 Approuvée partiellement, 207 En litige, 208 Suspendue, 209 Complétée, 210 Refusée,
// 211 Paiement transmis, 212 Encaissée, 213 Rejetée). Statuses of Chorus Pro that the reform does not code
// (A_RECYCLER, SERVICE_FAIT, MANDATEE, MISE_EN_PAIEMENT) and the hub's own technical states
// (ECHEC_DISTRIBUTION, EN_ERREUR, and RELANCEE: an operator replayed a failed delivery or a dead letter)
// have no code.
export type Actor = 'hub' | 'recipient' | 'sender'

export const statuses = {
  DEPOSEE: { code: '200', by: 'hub' },
  REJETEE: { code: '213', by: 'hub' },
  A_RECYCLER: { code: null, by: 'hub' },
  MISE_A_DISPOSITION: { code: '203', by: 'hub' },
  ECHEC_DISTRIBUTION: { code: null, by: 'hub' },
  EN_ERREUR: { code: null, by: 'hub' },
  RELANCEE: { code: null, by: 'hub' },
  PRISE_EN_CHARGE: { code: '204', by: 'recipient' },
  APPROUVEE: { code: '205', by: 'recipient' },
  APPROUVEE_PARTIELLEMENT: { code: '206', by: 'recipient' },
  EN_LITIGE: { code: '207', by: 'recipient' },
  SUSPENDUE: { code: '208', by: 'recipient' },
  COMPLETEE: { code: '209', by: 'sender' },
  REFUSEE: { code: '210', by: 'recipient' },
  SERVICE_FAIT: { code: null, by: 'recipient' },
  MANDATEE: { code: null, by: 'recipient' },
  MISE_EN_PAIEMENT: { code: null, by: 'recipient' },
  PAIEMENT_TRANSMIS: { code: '211', by: 'recipient' },
  ENCAISSEE: { code: '212', by: 'sender' },
} as const satisfies Record<string, { code: string | null; by: Actor }>

export type Status = keyof typeof statuses
export const isStatus = (s: string): s is Status => Object.hasOwn(statuses, s)

const processing = ['PRISE_EN_CHARGE', 'APPROUVEE', 'APPROUVEE_PARTIELLEMENT', 'EN_LITIGE', 'SUSPENDUE', 'REFUSEE'] as const
const payment = ['SERVICE_FAIT', 'MANDATEE', 'MISE_EN_PAIEMENT', 'PAIEMENT_TRANSMIS'] as const

/**
 * The business lifecycle after delivery: from each status, where a recipient or the sender may take it.
 * Absent or empty: final (REFUSEE, ENCAISSEE). A suspended invoice (missing attachments) goes back to the
 * recipient once the sender completes it (COMPLETEE). The supplier may declare ENCAISSEE once the invoice
 * is approved, whatever the buyer has reported of its payment steps.
 */
export const businessTransitions: Partial<Record<Status, readonly Status[]>> = {
  MISE_A_DISPOSITION: processing,
  PRISE_EN_CHARGE: [...processing.filter((s) => s !== 'PRISE_EN_CHARGE'), 'SERVICE_FAIT'],
  EN_LITIGE: ['PRISE_EN_CHARGE', 'APPROUVEE', 'APPROUVEE_PARTIELLEMENT', 'SUSPENDUE', 'REFUSEE'],
  SUSPENDUE: ['COMPLETEE', 'REFUSEE'],
  COMPLETEE: processing,
  APPROUVEE: ['EN_LITIGE', ...payment, 'ENCAISSEE'],
  APPROUVEE_PARTIELLEMENT: ['EN_LITIGE', ...payment, 'ENCAISSEE'],
  SERVICE_FAIT: ['APPROUVEE', 'APPROUVEE_PARTIELLEMENT', 'MANDATEE', 'MISE_EN_PAIEMENT', 'PAIEMENT_TRANSMIS', 'ENCAISSEE'],
  MANDATEE: ['MISE_EN_PAIEMENT', 'PAIEMENT_TRANSMIS', 'ENCAISSEE'],
  MISE_EN_PAIEMENT: ['PAIEMENT_TRANSMIS', 'ENCAISSEE'],
  PAIEMENT_TRANSMIS: ['ENCAISSEE'],
}

/**
 * Where an operator's replay (a failed delivery retried, a dead letter replayed) records RELANCEE before the
 * document goes on: from the hub's two technical dead ends, or a replay not yet concluded. From any other
 * status a replay changes nothing in the history (e.g. a receipt's dead letter of a delivered document).
 */
export const replayedFrom: readonly Status[] = ['ECHEC_DISTRIBUTION', 'EN_ERREUR', 'RELANCEE']

export type TransitionContext = { paymentStatusManaged: boolean }

/** What `actor` may set from `current`: MISE_EN_PAIEMENT only for a structure that manages that status. */
export function allowedNext(current: string, actor: Actor, context: TransitionContext): Status[] {
  if (!isStatus(current)) return []
  return (businessTransitions[current] ?? []).filter((s) =>
    statuses[s].by === actor && (s !== 'MISE_EN_PAIEMENT' || context.paymentStatusManaged))
}
