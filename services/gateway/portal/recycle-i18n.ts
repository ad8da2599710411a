// The words of recycling an A_RECYCLER invoice and of the supplier's own statuses (document-routes.ts, recycle.ts).
import type { Lang } from './i18n.js'

const en = {
  title: 'Correct and send again',
  help: 'The hub could not route this invoice with the data above. Correct what the reason names: a copy with these values is deposited under the same invoice number and linked to this one; this one stays as it is.',
  pdfHelp: 'In a Factur-X the PDF shows the data too: export a corrected Factur-X from your software and deposit it under the same invoice number; the hub links it to this one.',
  buyerSiret: 'Recipient SIRET (BT-49)',
  serviceCode: 'Service code (BT-10)',
  commitment: 'Commitment number (BT-13)',
  submit: 'Deposit the corrected copy',
  notRecyclable: 'Only an invoice in A_RECYCLER can be corrected here.',
  badSiret: 'The recipient SIRET is not valid (14 digits with a correct check key).',
  cannot: (why: string) => `The invoice could not be corrected: ${why}`,
  correctedSuffix: 'corrected',
  tellBuyer: 'Tell the buyer',
}
const fr: typeof en = {
  title: 'Corriger et renvoyer',
  help: 'Le hub n\'a pas pu acheminer cette facture avec les données ci-dessus. Corrigez ce que le motif indique : une copie avec ces valeurs est déposée sous le même numéro de facture et liée à celle-ci, qui reste telle quelle.',
  pdfHelp: 'Dans une Factur-X, le PDF montre aussi ces données : exportez une Factur-X corrigée depuis votre logiciel et déposez-la sous le même numéro ; le hub la lie à celle-ci.',
  buyerSiret: 'SIRET du destinataire (BT-49)',
  serviceCode: 'Code service (BT-10)',
  commitment: 'Numéro d\'engagement (BT-13)',
  submit: 'Déposer la copie corrigée',
  notRecyclable: 'Seule une facture à recycler (A_RECYCLER) peut être corrigée ici.',
  badSiret: 'Le SIRET du destinataire n\'est pas valide (14 chiffres avec une clé correcte).',
  cannot: (why: string) => `La facture n'a pas pu être corrigée : ${why}`,
  correctedSuffix: 'corrigee',
  tellBuyer: 'Informer le destinataire',
}
export const recycleMessages: Record<Lang, typeof en> = { en, fr }
