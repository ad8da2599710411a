// The words of the "saisie" page (typing an invoice in the portal: saisie-routes.ts) in French and English. English
// is the reference; French must have every key (the type says so). Field names follow Chorus Pro's saisie screen,
// with the EN 16931 term (BT-n) in the hints for those who compare with their accounting software.
import type { Lang } from './i18n.js'
import type { Fault, Rate, UnitCode } from './saisie.js'

const en = {
  title: 'Enter an invoice',
  intro: 'Type a simple invoice or credit note to a public structure. The hub makes of it an EN 16931 electronic invoice (UN/CEFACT CII, or a Factur-X PDF) and checks it like any other deposit. Fields marked * are required.',
  noStructure: 'You are not a member of a structure that sends invoices.',
  orUpload: 'Already have an invoice file? Deposit it instead.',
  required: '*',
  sections: { seller: 'You, the seller', buyer: 'The public buyer', invoice: 'The invoice', notes: 'Notes and legal mentions', lines: 'Lines', totals: 'Amounts', send: 'Send' },
  structure: 'Invoice for',
  sellerName: 'Company name',
  sellerLine: 'Address',
  sellerPostcode: 'Post code',
  sellerCity: 'City',
  sellerCountry: 'Country: France',
  franchise: 'I am not liable to VAT (franchise en base, art. 293 B du CGI)',
  franchiseShort: 'VAT franchise',
  franchiseHint: 'Ticked: no VAT number and no VAT rates are asked; every line is without VAT and the invoice states "TVA non applicable, art. 293 B du CGI" (BT-120, code VATEX-FR-FRANCHISE). Your SIREN is given as your tax registration (BT-32).',
  franchiseRate: 'No VAT (art. 293 B)',
  sellerVat: 'VAT number',
  sellerVatHint: 'FR followed by 11 characters, e.g. FR44732829320 (BT-31).',
  iban: 'IBAN for the payment (optional)',
  ibanHint: 'Given, the invoice asks for a SEPA credit transfer to this account (BT-84).',
  buyerSiret: 'Buyer SIRET',
  buyerSiretHint: '14 digits: the public structure you invoice, as in the Chorus Pro directory (BT-47).',
  buyerName: 'Buyer name',
  buyerNameHint: 'Left empty, the name in the hub\'s directory is used.',
  service: 'Service code (optional)',
  serviceHint: 'When the structure asks for one (BT-10).',
  commitment: 'Commitment number (optional)',
  commitmentHint: 'The purchase order or commitment number the structure gave you (BT-13).',
  type: 'Type',
  types: { '380': 'Invoice', '381': 'Credit note' } as Record<string, string>,
  number: 'Invoice number',
  numberHint: 'Letters, digits and - + _ / . only; 35 characters at most (BT-1).',
  issueDate: 'Invoice date',
  dueDate: 'Due date',
  terms: 'Payment terms',
  termsHint: 'A due date, or payment terms such as "30 days from the invoice date", or both (BT-9, BT-20).',
  preceding: 'Invoice corrected (credit note)',
  precedingHint: 'For a credit note: the number of the invoice it corrects (BT-25).',
  exemption: 'VAT exemption reason',
  exemptionHint: 'Required when a line is at 0 %: e.g. "Exonération de TVA, article 261-4-4° du CGI" (BT-120). Under the VAT franchise, tick the box in "You, the seller" instead.',
  notesHint: 'Printed on the invoice as notes (BT-22). French law requires the three mentions on an invoice to a business or a public buyer (Code de commerce L441-9 and L441-10); they are filled in with the usual wording, in French, which you may change.',
  note: 'Note (optional)',
  noteHint: 'Any information for the buyer (subject AAI).',
  penalties: 'Late-payment penalties',
  penaltiesHint: 'The rate of the penalties for late payment (subject PMD).',
  indemnity: 'Fixed recovery indemnity',
  indemnityHint: 'The 40 € indemnity for recovery costs due on late payment (subject PMT).',
  discount: 'Early-payment discount',
  discountHint: 'The discount for early payment, or that there is none (subject AAB).',
  output: 'Output',
  outputs: { cii: 'XML invoice (UN/CEFACT CII)', facturx: 'PDF invoice (Factur-X, the XML inside)' } as Record<string, string>,
  line: (n: number) => `Line ${n}`,
  moreLines: (n: number) => `${n} more lines`,
  description: 'Description',
  quantity: 'Quantity',
  quantityHint: 'Negative on an invoice for a deduction.',
  unit: 'Unit',
  units: {
    C62: 'unit', H87: 'piece', HUR: 'hour', DAY: 'day', WEE: 'week', MON: 'month', ANN: 'year', KGM: 'kilogram', TNE: 'tonne',
    MTR: 'metre', KMT: 'kilometre', MTK: 'square metre', MTQ: 'cubic metre', LTR: 'litre', KWH: 'kilowatt hour', SET: 'set',
  } as Record<UnitCode, string>,
  unitPrice: 'Unit price excl. VAT (€)',
  rate: 'VAT',
  rates: { '20': '20 %', '10': '10 %', '5.5': '5.5 %', '2.1': '2.1 %', '0': '0 % (exempt)' } as Record<Rate, string>,
  amounts: { line: 'Line', description: 'Description', net: 'Net amount', rate: 'VAT rate', basis: 'Taxable amount', tax: 'VAT', lineTotal: 'Total excl. VAT', taxTotal: 'Total VAT', grand: 'Total incl. VAT', due: 'Amount due' },
  vatBreakdown: 'VAT breakdown',
  compute: 'Check and compute the totals',
  send: 'Send the invoice',
  computedHelp: 'Check the amounts below, then send.',
  faultsFound: (n: number) => `${n} field${n > 1 ? 's' : ''} to correct: each says what is wrong.`,
  failed: 'The invoice could not be stored just now. Try again in a moment.',
  fault: (f: Fault): string => {
    switch (f.code) {
      case 'required': return 'Required.'
      case 'tooLong': return `Too long: ${f.max} characters at most.`
      case 'characters': return 'Contains characters that are not allowed here.'
      case 'structure': return 'Choose one of your structures.'
      case 'siretFormat': return 'A SIRET is 14 digits.'
      case 'siretKey': return 'Not a valid SIRET: its check key (Luhn) is wrong. Check the digits.'
      case 'vatFormat': return 'A French VAT number is FR, two characters and the 9-digit SIREN, e.g. FR44732829320.'
      case 'vatKey': return 'Not a valid VAT number: its key does not match the SIREN.'
      case 'postcode': return 'A French post code is 5 digits.'
      case 'iban': return 'Not a valid IBAN: check the digits.'
      case 'date': return 'Not a date: use the date picker or type DD/MM/YYYY.'
      case 'future': return 'An invoice cannot be dated after today.'
      case 'dueBeforeIssue': return 'The due date is before the invoice date.'
      case 'dueOrTerms': return 'Give a due date or payment terms.'
      case 'decimal': return 'Not a number: digits, with a decimal comma or point.'
      case 'decimals': return `At most ${f.max} decimals.`
      case 'zero': return 'The quantity cannot be zero.'
      case 'negativeCredit': return 'A credit note states positive quantities (its type makes them a credit).'
      case 'priceNegative': return 'A price cannot be negative: for a deduction, enter a negative quantity.'
      case 'choice': return 'Choose one of the options.'
      case 'exemptionRequired': return 'A line is at 0 % VAT: give the exemption reason.'
      case 'noLines': return 'An invoice has at least one line: fill in the first one.'
      case 'totalNotPositive': return 'The total excl. VAT must be more than zero: for a refund, make a credit note.'
      case 'buyerUnknown': return 'This SIRET is not a public structure of the hub\'s directory: check it with the structure.'
      case 'structureInactive': return 'This structure is inactive in the directory and receives no invoices: check the SIRET.'
      case 'serviceRequired': return `This structure requires a service code. Its services: ${f.services.join(', ') || 'none'}.`
      case 'serviceUnknown': return `Not a service of this structure. Its services: ${f.services.join(', ') || 'none'}.`
      case 'serviceInactive': return `This service is inactive. The structure's active services: ${f.services.join(', ') || 'none'}.`
      case 'commitmentRequired': return 'This structure (or this service) requires a commitment number.'
    }
  },
}

export type SaisieMessages = typeof en

const fr: SaisieMessages = {
  title: 'Saisir une facture',
  intro: 'Saisissez une facture ou un avoir simple à destination d\'une structure publique. Le hub en fait une facture électronique EN 16931 (UN/CEFACT CII, ou un PDF Factur-X) et la contrôle comme tout autre dépôt. Les champs marqués * sont obligatoires.',
  noStructure: 'Vous n\'êtes membre d\'aucune structure qui émet des factures.',
  orUpload: 'Vous avez déjà le fichier de la facture ? Déposez-le plutôt.',
  required: '*',
  sections: { seller: 'Vous, le fournisseur', buyer: 'La structure publique destinataire', invoice: 'La facture', notes: 'Notes et mentions légales', lines: 'Lignes', totals: 'Montants', send: 'Envoi' },
  structure: 'Facture de',
  sellerName: 'Raison sociale',
  sellerLine: 'Adresse',
  sellerPostcode: 'Code postal',
  sellerCity: 'Ville',
  sellerCountry: 'Pays : France',
  franchise: 'Je ne suis pas assujetti à la TVA (franchise en base, art. 293 B du CGI)',
  franchiseShort: 'Franchise en base de TVA',
  franchiseHint: 'Cochée : ni numéro de TVA ni taux de TVA ne sont demandés ; toutes les lignes sont sans TVA et la facture porte « TVA non applicable, art. 293 B du CGI » (BT-120, code VATEX-FR-FRANCHISE). Votre SIREN est donné comme identifiant fiscal (BT-32).',
  franchiseRate: 'Sans TVA (art. 293 B)',
  sellerVat: 'Numéro de TVA intracommunautaire',
  sellerVatHint: 'FR suivi de 11 caractères, par exemple FR44732829320 (BT-31).',
  iban: 'IBAN pour le paiement (facultatif)',
  ibanHint: 'S\'il est donné, la facture demande un virement SEPA sur ce compte (BT-84).',
  buyerSiret: 'SIRET du destinataire',
  buyerSiretHint: '14 chiffres : la structure publique facturée, comme dans l\'annuaire Chorus Pro (BT-47).',
  buyerName: 'Nom du destinataire',
  buyerNameHint: 'Laissé vide, le nom de l\'annuaire du hub est repris.',
  service: 'Code service (facultatif)',
  serviceHint: 'Quand la structure en demande un (BT-10).',
  commitment: 'Numéro d\'engagement (facultatif)',
  commitmentHint: 'Le numéro de bon de commande ou d\'engagement que la structure vous a donné (BT-13).',
  type: 'Type',
  types: { '380': 'Facture', '381': 'Avoir' },
  number: 'Numéro de facture',
  numberHint: 'Lettres, chiffres et - + _ / . seulement ; 35 caractères au plus (BT-1).',
  issueDate: 'Date de facture',
  dueDate: 'Date d\'échéance',
  terms: 'Conditions de paiement',
  termsHint: 'Une date d\'échéance, ou des conditions comme « 30 jours date de facture », ou les deux (BT-9, BT-20).',
  preceding: 'Facture rectifiée (avoir)',
  precedingHint: 'Pour un avoir : le numéro de la facture qu\'il rectifie (BT-25).',
  exemption: 'Motif d\'exonération de TVA',
  exemptionHint: 'Obligatoire si une ligne est à 0 % : par exemple « Exonération de TVA, article 261-4-4° du CGI » (BT-120). En franchise en base, cochez plutôt la case de « Vous, le fournisseur ».',
  notesHint: 'Portées sur la facture comme notes (BT-22). La loi exige les trois mentions sur une facture à une entreprise ou à un acheteur public (Code de commerce, art. L441-9 et L441-10) ; elles sont préremplies avec la formulation usuelle, que vous pouvez modifier.',
  note: 'Note (facultative)',
  noteHint: 'Toute information pour le destinataire (sujet AAI).',
  penalties: 'Pénalités de retard',
  penaltiesHint: 'Le taux des pénalités dues en cas de retard de paiement (sujet PMD).',
  indemnity: 'Indemnité forfaitaire de recouvrement',
  indemnityHint: 'L\'indemnité de 40 € pour frais de recouvrement due en cas de retard de paiement (sujet PMT).',
  discount: 'Escompte',
  discountHint: 'L\'escompte pour paiement anticipé, ou son absence (sujet AAB).',
  output: 'Format',
  outputs: { cii: 'Facture XML (UN/CEFACT CII)', facturx: 'Facture PDF (Factur-X, le XML inclus)' },
  line: (n: number) => `Ligne ${n}`,
  moreLines: (n: number) => `${n} lignes de plus`,
  description: 'Désignation',
  quantity: 'Quantité',
  quantityHint: 'Négative sur une facture pour une déduction.',
  unit: 'Unité',
  units: {
    C62: 'unité', H87: 'pièce', HUR: 'heure', DAY: 'jour', WEE: 'semaine', MON: 'mois', ANN: 'an', KGM: 'kilogramme', TNE: 'tonne',
    MTR: 'mètre', KMT: 'kilomètre', MTK: 'mètre carré', MTQ: 'mètre cube', LTR: 'litre', KWH: 'kilowattheure', SET: 'lot',
  },
  unitPrice: 'Prix unitaire HT (€)',
  rate: 'TVA',
  rates: { '20': '20 %', '10': '10 %', '5.5': '5,5 %', '2.1': '2,1 %', '0': '0 % (exonéré)' },
  amounts: { line: 'Ligne', description: 'Désignation', net: 'Montant HT', rate: 'Taux de TVA', basis: 'Base HT', tax: 'TVA', lineTotal: 'Total HT', taxTotal: 'Total TVA', grand: 'Total TTC', due: 'Net à payer' },
  vatBreakdown: 'Détail de la TVA',
  compute: 'Vérifier et calculer les totaux',
  send: 'Envoyer la facture',
  computedHelp: 'Vérifiez les montants ci-dessous, puis envoyez.',
  faultsFound: (n: number) => `${n} champ${n > 1 ? 's' : ''} à corriger : chacun dit ce qui ne va pas.`,
  failed: 'La facture n\'a pas pu être enregistrée pour l\'instant. Réessayez dans un moment.',
  fault: (f: Fault): string => {
    switch (f.code) {
      case 'required': return 'Obligatoire.'
      case 'tooLong': return `Trop long : ${f.max} caractères au plus.`
      case 'characters': return 'Contient des caractères qui ne sont pas permis ici.'
      case 'structure': return 'Choisissez une de vos structures.'
      case 'siretFormat': return 'Un SIRET compte 14 chiffres.'
      case 'siretKey': return 'SIRET invalide : sa clé de contrôle (Luhn) est fausse. Vérifiez les chiffres.'
      case 'vatFormat': return 'Un numéro de TVA français s\'écrit FR, deux caractères et le SIREN à 9 chiffres, par exemple FR44732829320.'
      case 'vatKey': return 'Numéro de TVA invalide : sa clé ne correspond pas au SIREN.'
      case 'postcode': return 'Un code postal français compte 5 chiffres.'
      case 'iban': return 'IBAN invalide : vérifiez les chiffres.'
      case 'date': return 'Ce n\'est pas une date : utilisez le calendrier ou saisissez JJ/MM/AAAA.'
      case 'future': return 'Une facture ne peut pas être datée d\'après aujourd\'hui.'
      case 'dueBeforeIssue': return 'La date d\'échéance précède la date de facture.'
      case 'dueOrTerms': return 'Donnez une date d\'échéance ou des conditions de paiement.'
      case 'decimal': return 'Ce n\'est pas un nombre : des chiffres, avec une virgule ou un point décimal.'
      case 'decimals': return `${f.max} décimales au plus.`
      case 'zero': return 'La quantité ne peut pas être nulle.'
      case 'negativeCredit': return 'Un avoir indique des quantités positives (son type en fait un crédit).'
      case 'priceNegative': return 'Un prix ne peut pas être négatif : pour une déduction, saisissez une quantité négative.'
      case 'choice': return 'Choisissez une des options proposées.'
      case 'exemptionRequired': return 'Une ligne est à 0 % de TVA : donnez le motif d\'exonération.'
      case 'noLines': return 'Une facture a au moins une ligne : remplissez la première.'
      case 'totalNotPositive': return 'Le total HT doit être supérieur à zéro : pour un remboursement, faites un avoir.'
      case 'buyerUnknown': return 'Ce SIRET n\'est pas une structure publique de l\'annuaire du hub : vérifiez-le auprès de la structure.'
      case 'structureInactive': return 'Cette structure est inactive dans l\'annuaire et ne reçoit pas de factures : vérifiez le SIRET.'
      case 'serviceRequired': return `Cette structure exige un code service. Ses services : ${f.services.join(', ') || 'aucun'}.`
      case 'serviceUnknown': return `Ce n'est pas un service de cette structure. Ses services : ${f.services.join(', ') || 'aucun'}.`
      case 'serviceInactive': return `Ce service est inactif. Services actifs de la structure : ${f.services.join(', ') || 'aucun'}.`
      case 'commitmentRequired': return 'Cette structure (ou ce service) exige un numéro d\'engagement.'
    }
  },
}

export const saisieMessages: Record<Lang, SaisieMessages> = { en, fr }
