// The words and number formats of the readable invoice, in French (the default: French e-invoicing) and English.
// Labels are one table per language with the same keys, so a missing translation is a type error; the code
// lists name the codes an invoice carries (UNTDID 1001 document types, 4461 payment means, 5305 VAT categories,
// UN/ECE Rec. 20 units, ISO 6523 identifier schemes) for a reader who does not know them, and keep the code beside
// the name. Amounts and quantities are formatted from their decimal text, never through a float: Intl.NumberFormat
// formats a decimal string exactly (ECMA-402 NumberFormat v3, in Node 20).

export type Lang = 'fr' | 'en'

const fr = {
  invoice: 'Facture', creditNote: 'Avoir', document: 'Document',
  number: 'N°', issueDate: 'Date d’émission', dueDate: 'Échéance', currency: 'Devise', typeCode: 'Type',
  deliveryDate: 'Date de livraison', continued: 'suite',
  seller: 'Vendeur', buyer: 'Acheteur', vatId: 'N° TVA', legalId: 'Identifiant légal', endpoint: 'Adresse électronique',
  buyerReference: 'Réf. acheteur / code service', orderReference: 'Commande / engagement',
  contractReference: 'Contrat', projectReference: 'Projet', precedingInvoice: 'Facture d’origine',
  lines: 'Lignes de facture', lineId: 'N°', item: 'Désignation', quantity: 'Qté', unit: 'Unité', unitPrice: 'Prix unit. HT',
  vat: 'TVA', lineNet: 'Montant HT',
  allowancesCharges: 'Remises et frais', allowance: 'Remise', charge: 'Frais', reason: 'Motif', amount: 'Montant',
  vatBreakdown: 'Récapitulatif TVA', vatCategory: 'Catégorie', vatRate: 'Taux', taxableAmount: 'Base HT', taxAmount: 'Montant TVA',
  totals: 'Totaux',
  lineTotal: 'Total des lignes HT', allowanceTotal: 'Total des remises', chargeTotal: 'Total des frais',
  taxExclusive: 'Total HT', taxTotal: 'Total TVA', taxInclusive: 'Total TTC', prepaid: 'Déjà payé', rounding: 'Arrondi',
  payable: 'Net à payer', credited: 'Montant de l’avoir',
  // Under the "Paiement" title: short labels, beside their values.
  payment: 'Paiement', paymentMeans: 'Moyen', iban: 'IBAN', bic: 'BIC', accountName: 'Titulaire',
  paymentTerms: 'Conditions', remittance: 'Référence', mandate: 'Mandat',
  notes: 'Notes',
  amountsIn: (currency: string) => `montants en ${currency}`,
  footer: (syntax: string) => `Représentation lisible de la facture électronique ${syntax}`,
}

export type Labels = typeof fr

const en: Labels = {
  invoice: 'Invoice', creditNote: 'Credit note', document: 'Document',
  number: 'No.', issueDate: 'Issue date', dueDate: 'Due date', currency: 'Currency', typeCode: 'Type',
  deliveryDate: 'Delivery date', continued: 'continued',
  seller: 'Seller', buyer: 'Buyer', vatId: 'VAT no.', legalId: 'Legal identifier', endpoint: 'Electronic address',
  buyerReference: 'Buyer ref. / service code', orderReference: 'Order / commitment',
  contractReference: 'Contract', projectReference: 'Project', precedingInvoice: 'Preceding invoice',
  lines: 'Invoice lines', lineId: 'No.', item: 'Item', quantity: 'Qty', unit: 'Unit', unitPrice: 'Unit price',
  vat: 'VAT', lineNet: 'Net amount',
  allowancesCharges: 'Allowances and charges', allowance: 'Allowance', charge: 'Charge', reason: 'Reason', amount: 'Amount',
  vatBreakdown: 'VAT breakdown', vatCategory: 'Category', vatRate: 'Rate', taxableAmount: 'Tax base', taxAmount: 'VAT amount',
  totals: 'Totals',
  lineTotal: 'Sum of line net amounts', allowanceTotal: 'Sum of allowances', chargeTotal: 'Sum of charges',
  taxExclusive: 'Total without VAT', taxTotal: 'Total VAT', taxInclusive: 'Total with VAT', prepaid: 'Paid amount', rounding: 'Rounding',
  payable: 'Amount due', credited: 'Amount credited',
  payment: 'Payment', paymentMeans: 'Means', iban: 'IBAN', bic: 'BIC', accountName: 'Account name',
  paymentTerms: 'Terms', remittance: 'Reference', mandate: 'Mandate',
  notes: 'Notes',
  amountsIn: (currency: string) => `amounts in ${currency}`,
  footer: (syntax: string) => `Readable rendering of the electronic invoice ${syntax}`,
}

export const labels: Record<Lang, Labels> = { fr, en }

const locales: Record<Lang, string> = { fr: 'fr-FR', en: 'en-GB' }

type Names = Record<string, Record<Lang, string>>

/** UNTDID 1001, the codes of EN 16931's BT-3 (the French CIUS list). */
export const documentTypes: Names = {
  380: { fr: 'Facture', en: 'Invoice' },
  381: { fr: 'Avoir', en: 'Credit note' },
  383: { fr: 'Note de débit', en: 'Debit note' },
  384: { fr: 'Facture rectificative', en: 'Corrected invoice' },
  386: { fr: 'Facture d’acompte', en: 'Prepayment invoice' },
  389: { fr: 'Autofacture', en: 'Self-billed invoice' },
  261: { fr: 'Avoir autofacturé', en: 'Self-billed credit note' },
  262: { fr: 'Avoir global', en: 'Global credit note' },
  393: { fr: 'Facture d’affacturage', en: 'Factored invoice' },
  396: { fr: 'Avoir d’affacturage', en: 'Factored credit note' },
  751: { fr: 'Facture (information comptable)', en: 'Invoice information for accounting' },
}

/** The credit-note types of UNTDID 1001 in the EN 16931 list: the title says "Avoir", not "Facture". */
export const creditNoteTypes = new Set(['381', '261', '262', '396'])

/** UNTDID 4461, BT-81. */
export const paymentMeans: Names = {
  1: { fr: 'Non défini', en: 'Not defined' },
  10: { fr: 'Espèces', en: 'Cash' },
  20: { fr: 'Chèque', en: 'Cheque' },
  30: { fr: 'Virement', en: 'Credit transfer' },
  31: { fr: 'Virement de débit', en: 'Debit transfer' },
  42: { fr: 'Paiement sur compte bancaire', en: 'Payment to bank account' },
  48: { fr: 'Carte bancaire', en: 'Bank card' },
  49: { fr: 'Prélèvement', en: 'Direct debit' },
  57: { fr: 'Accord permanent', en: 'Standing agreement' },
  58: { fr: 'Virement SEPA', en: 'SEPA credit transfer' },
  59: { fr: 'Prélèvement SEPA', en: 'SEPA direct debit' },
  68: { fr: 'Service de paiement en ligne', en: 'Online payment service' },
  97: { fr: 'Compensation entre partenaires', en: 'Clearing between partners' },
}

/** UNTDID 5305, BT-118 / BT-151. */
export const vatCategories: Names = {
  S: { fr: 'Taux normal', en: 'Standard rate' },
  Z: { fr: 'Taux zéro', en: 'Zero rated' },
  E: { fr: 'Exonéré', en: 'Exempt' },
  AE: { fr: 'Autoliquidation', en: 'Reverse charge' },
  K: { fr: 'Livraison intracommunautaire', en: 'Intra-community supply' },
  G: { fr: 'Exportation hors UE', en: 'Export outside the EU' },
  O: { fr: 'Hors champ de la TVA', en: 'Not subject to VAT' },
  L: { fr: 'IGIC (Canaries)', en: 'IGIC (Canary Islands)' },
  M: { fr: 'IPSI (Ceuta, Melilla)', en: 'IPSI (Ceuta, Melilla)' },
}

/** UN/ECE Recommendation 20 (BT-130): the units French invoices use most; others are shown as their code. */
export const units: Names = {
  C62: { fr: 'unité', en: 'unit' }, H87: { fr: 'pièce', en: 'piece' }, EA: { fr: 'unité', en: 'each' },
  HUR: { fr: 'heure', en: 'hour' }, MIN: { fr: 'minute', en: 'minute' }, DAY: { fr: 'jour', en: 'day' },
  WEE: { fr: 'semaine', en: 'week' }, MON: { fr: 'mois', en: 'month' }, ANN: { fr: 'an', en: 'year' },
  KGM: { fr: 'kg', en: 'kg' }, GRM: { fr: 'g', en: 'g' }, TNE: { fr: 't', en: 't' },
  MTR: { fr: 'm', en: 'm' }, KMT: { fr: 'km', en: 'km' }, MTK: { fr: 'm²', en: 'm²' }, MTQ: { fr: 'm³', en: 'm³' },
  LTR: { fr: 'l', en: 'l' }, KWH: { fr: 'kWh', en: 'kWh' }, SET: { fr: 'lot', en: 'set' }, LS: { fr: 'forfait', en: 'lump sum' },
  XPP: { fr: 'colis', en: 'package' }, E48: { fr: 'service', en: 'service unit' },
}

/** ISO 6523 ICD and Peppol EAS codes (schemeID of BT-29, BT-30, BT-34 …) worth a name. */
export const identifierSchemes: Record<string, string> = {
  '0002': 'SIREN', '0009': 'SIRET', '0088': 'GLN', '0060': 'DUNS', '0106': 'KvK', '0184': 'CVR', '0192': 'Org.nr.',
  '0208': 'KBO-BCE', '0225': 'FRCTC', '0238': 'PPF', '9957': 'TVA', EM: 'e-mail', VA: 'TVA',
}

/** A code's name in `lang` with the code after it, "Virement (30)"; the bare code when the list does not know it. */
export function codeName(names: Names, code: string, lang: Lang): string {
  const name = names[code]?.[lang]
  return name ? `${name} (${code})` : code
}

/** "SIRET 73282932000074"; the scheme code itself when it has no common name. */
export function identifier(value: string, scheme: string | null): string {
  if (!scheme) return value
  return `${identifierSchemes[scheme] ?? scheme} ${value}`
}

/** An amount in the invoice's currency: "1 250,00 €" in French, "€1,250.00" in English. Never rounded. */
export function formatMoney(amount: string, currency: string, lang: Lang): string {
  if (!isDecimal(amount)) return `${amount} ${currency}`
  let format: Intl.NumberFormat
  try {
    format = new Intl.NumberFormat(locales[lang], { style: 'currency', currency, maximumFractionDigits: 20 })
  } catch {
    // Not a currency code Intl accepts (the validation reports it): the number, then the code as written.
    return `${formatNumber(amount, lang, 2)} ${currency}`
  }
  return format.format(amount.trim() as Decimal)
}

/** A decimal with the locale's separators and at least `minDigits` decimals; the digits written are all kept. */
export function formatNumber(value: string, lang: Lang, minDigits = 0): string {
  if (!isDecimal(value)) return value
  return new Intl.NumberFormat(locales[lang], { minimumFractionDigits: minDigits, maximumFractionDigits: 20 }).format(value.trim() as Decimal)
}

/** A VAT rate, "20 %" / "20%"; "5,5 %" / "5.5%". */
export function formatRate(rate: string, lang: Lang): string {
  return lang === 'fr' ? `${formatNumber(rate, lang)}\u00A0%` : `${formatNumber(rate, lang)}%`
}

// Intl.NumberFormat reads a string as an exact decimal, but reads what is not a number as NaN: a malformed value
// is shown as written instead.
type Decimal = `${number}`
const isDecimal = (value: string) => /^[+-]?(\d+\.?\d*|\.\d+)$/.test(value.trim())

/** A date (ISO 8601 "YYYY-MM-DD") as a reader of `lang` writes it: 20/11/2026, 20 Nov 2026. */
export function formatDate(iso: string, lang: Lang): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso)
  if (!match) return iso
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
  const options: Intl.DateTimeFormatOptions = lang === 'fr'
    ? { timeZone: 'UTC', day: '2-digit', month: '2-digit', year: 'numeric' }
    : { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' }
  return new Intl.DateTimeFormat(locales[lang], options).format(date)
}

/** An IBAN in groups of four, as printed on paper (ISO 13616-1 §5.2: the "print format"). */
export function formatIban(iban: string): string {
  const compact = iban.replace(/\s+/g, '')
  return /^[A-Z]{2}\d{2}[A-Z0-9]+$/i.test(compact) ? compact.replace(/(.{4})(?=.)/g, '$1 ') : iban
}
