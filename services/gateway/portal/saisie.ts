// "Saisie" (Chorus Pro's word): a small supplier types a simple invoice in a form, and the hub makes of it an
// EN 16931 invoice in UN/CEFACT CII D16B (`urn:cen.eu:en16931:2017`), deposited like any other and validated like
// any other. Pure: the form's strings → an Invoice or the faults of each field (codes; saisie-i18n.ts words
// them) → the CII. The routes are saisie-routes.ts.
//
// Amounts are exact: decimals are parsed into scaled BigInts and rounded once, where EN 16931 says:
// - an invoice line net amount (BT-131) is quantity × net price rounded to 2 decimals (BR-DEC-23), half away
//   from zero (a line may be negative on an invoice: a deduction);
// - each VAT breakdown (BG-23) groups the lines of one category and rate; its taxable amount (BT-116) is the sum
//   of their net amounts (BR-S-08, BR-E-08), its tax (BT-117) the taxable amount × rate / 100 rounded to 2
//   decimals as the rules compute it, XPath round() i.e. half up toward +∞ (BR-CO-17, BR-S-09: both tolerate
//   ±1 € in EN 16931 1.3.16; we compute the exact cent, once per rate, never per line), 0 when exempt (BR-E-09);
// - the totals add up: BT-106 = Σ BT-131 (BR-CO-10), BT-109 = BT-106 with no document-level allowances or
//   charges (BR-CO-13), BT-110 = Σ BT-117 (BR-CO-14), BT-112 = BT-109 + BT-110 (BR-CO-15), BT-115 = BT-112
//   with nothing prepaid (BR-CO-16).
// VAT categories: S (standard rated, 20, 10, 5.5 or 2.1 %) and E (exempt, 0 %, with the exemption reason BT-120
// that BR-E-10 asks for). Others (K, AE, Z, G, O) need facts this form does not ask; they are deposited as files.
//
// The VAT franchise ("franchise en base", art. 293 B du CGI: micro-entrepreneurs and other small businesses under
// the thresholds charge no VAT and often have no VAT number). Every line is E at 0 % and the breakdown gives the
// wording the CGI asks for (BT-120) and the code VATEX-FR-FRANCHISE (BT-121), which the CEF VATEX list checked by
// BR-CL-22 of EN 16931 1.3.16 holds. Not O ("not subject to VAT"): the franchise is an exemption of a taxable
// person, and VATEX-FR-FRANCHISE is an E code. With no VAT number (BT-31), BR-E-02 wants the seller's tax
// registration identifier (BT-32, CII schemeID FC): its SIREN, the French practice for a seller without one.
//
// Notes (BG-1): a free note (subject AAI, general information) and the mentions French law requires on a B2B or
// B2G invoice (Code de commerce L441-9 and L441-10, D441-5; for a public buyer Code de la commande publique
// R2192-31 and R2192-35), with the subject codes of the French reform's rule BR-FR-05 (PMD late-payment penalties,
// PMT the 40 € fixed recovery indemnity, AAB the discount or its absence), each once (BR-FR-06). All four codes are
// in the UNTDID 4451 list BR-CL-08 checks.
import { isValidSiret } from '../structures.js'

export const maxLines = 8
export const rates = ['20', '10', '5.5', '2.1', '0'] as const
export type Rate = (typeof rates)[number]
/** UN/ECE Recommendation 20 units a simple invoice uses (BT-130); C62 "one" by default. */
export const unitCodes = ['C62', 'H87', 'HUR', 'DAY', 'WEE', 'MON', 'ANN', 'KGM', 'TNE', 'MTR', 'KMT', 'MTK', 'MTQ', 'LTR', 'KWH', 'SET'] as const
export type UnitCode = (typeof unitCodes)[number]
export const typeCodes = ['380', '381'] as const
export type TypeCode = (typeof typeCodes)[number]
export const outputs = ['cii', 'facturx'] as const
export type Output = (typeof outputs)[number]
export const specification = 'urn:cen.eu:en16931:2017'

/** Why a field is refused; `max` for lengths and decimals. The words are in saisie-i18n.ts. */
export type Fault =
  | { code: 'required' | 'siretFormat' | 'siretKey' | 'vatFormat' | 'vatKey' | 'postcode' | 'iban' | 'date' | 'future' | 'dueBeforeIssue'
      | 'dueOrTerms' | 'characters' | 'decimal' | 'negativeCredit' | 'zero' | 'priceNegative' | 'choice' | 'exemptionRequired'
      | 'noLines' | 'totalNotPositive' | 'structure' | 'buyerUnknown' | 'structureInactive' | 'commitmentRequired' }
  | { code: 'tooLong' | 'decimals'; max: number }
  | { code: 'serviceRequired' | 'serviceUnknown' | 'serviceInactive'; services: string[] }
export type Faults = Record<string, Fault>

export type Party = { siret: string; name: string }
export type Invoice = {
  typeCode: TypeCode
  number: string                 // BT-1
  issueDate: string              // BT-2, YYYY-MM-DD
  dueDate: string | null         // BT-9
  paymentTerms: string | null    // BT-20
  precedingInvoice: string | null // BT-25 (the invoice a credit note corrects)
  currency: 'EUR'                // BT-5
  // vatId BT-31 (null under the franchise); taxRegistration BT-32 (the SIREN, under the franchise only)
  seller: Party & { addressLine: string; postcode: string; city: string; country: 'FR'; vatId: string | null; taxRegistration: string | null; iban: string | null }
  buyer: Party & { serviceCode: string | null; commitment: string | null } // BT-10, BT-13
  franchise: boolean             // art. 293 B du CGI: no VAT at all
  exemptionReason: string | null // BT-120 of the E breakdown
  notes: Note[]                  // BG-1
  lines: InvoiceLine[]
  vat: VatGroup[]
  totals: Totals
}
export type InvoiceLine = { id: string; description: string; quantity: string; unitCode: UnitCode; unitPrice: string; rate: Rate; category: 'S' | 'E'; amount: string }
export type VatGroup = { category: 'S' | 'E'; rate: Rate; basis: string; tax: string; exemptionReason: string | null; exemptionCode: string | null }
/** BT-22 with its subject BT-21 (UNTDID 4451). */
export type Note = { subject: NoteSubject; text: string }
export type NoteSubject = 'AAI' | 'PMD' | 'PMT' | 'AAB'

/** The wording art. 242 nonies A (I, 8°) of annex II to the CGI asks of a seller under the franchise (BT-120), and its code (BT-121). */
export const franchiseReason = 'TVA non applicable, art. 293 B du CGI'
export const franchiseCode = 'VATEX-FR-FRANCHISE'

/**
 * The form's note fields and their subjects: a free note, and the mentions required on a B2B or B2G invoice, in
 * French whatever the page's language (they are the invoice's words, for a French buyer).
 */
export const noteFields = { note: 'AAI', penalties: 'PMD', indemnity: 'PMT', discount: 'AAB' } as const satisfies Record<string, NoteSubject>
export type MentionField = 'penalties' | 'indemnity' | 'discount'
export const mentionDefaults: Record<MentionField, string> = {
  penalties: 'Pénalités de retard : taux de la BCE majoré de 10 points (art. L441-10 du Code de commerce) ; acheteur public : intérêts moratoires au taux de la BCE majoré de 8 points (art. R2192-31 du Code de la commande publique).',
  indemnity: 'Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € (art. L441-10 et D441-5 du Code de commerce, art. R2192-35 du Code de la commande publique).',
  discount: 'Pas d\'escompte pour paiement anticipé.',
}
const NOTE_MAX = 1000
const MENTION_MAX = 500
export type Totals = { lineTotal: string; taxBasis: string; tax: string; grand: string; due: string }

export type Parsed = { ok: true; invoice: Invoice; output: Output } | { ok: false; faults: Faults }

/** What the hub's directory says of the buyer's SIRET: a public structure (with its services), a B2B recipient, or nothing. */
export type BuyerInDirectory = {
  structure: { name: string; active: boolean; serviceRequired: boolean; commitmentRequired: boolean; services: { code: string; active: boolean; commitmentRequired: boolean }[] } | null
  recipient: boolean
}

// ---- exact decimals ----

const QTY_DECIMALS = 4
const PRICE_DECIMALS = 4
const pow10 = (n: number) => 10n ** BigInt(n)

/** "1 234,5" or "1234.50" → the value × 10^decimals; French decimal commas and spaces between thousands allowed. */
export function parseDecimal(raw: string, decimals: number): { ok: true; value: bigint } | { ok: false; fault: Fault } {
  const compact = raw.replace(/[\s\u00a0\u202f]/g, '')
  const text = compact.includes(',') && !compact.includes('.') ? compact.replace(',', '.') : compact
  const m = /^([+-]?)(\d{1,12})(?:\.(\d+))?$/.exec(text)
  if (!m) return { ok: false, fault: { code: 'decimal' } }
  const fraction = (m[3] ?? '').replace(/0+$/, '')
  if (fraction.length > decimals) return { ok: false, fault: { code: 'decimals', max: decimals } }
  const value = BigInt(m[2]! + fraction.padEnd(decimals, '0'))
  return { ok: true, value: m[1] === '-' ? -value : value }
}

/** A scaled value as XML decimal text: at least `minDecimals` decimals, trailing zeros beyond them dropped. */
export function decimalText(value: bigint, scale: number, minDecimals = 0): string {
  const sign = value < 0n ? '-' : ''
  const digits = (value < 0n ? -value : value).toString().padStart(scale + 1, '0')
  const whole = digits.slice(0, digits.length - scale)
  let fraction = digits.slice(digits.length - scale)
  while (fraction.length > minDecimals && fraction.endsWith('0')) fraction = fraction.slice(0, -1)
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}`
}
const cents = (value: bigint) => decimalText(value, 2, 2)

/** n / d rounded half away from zero (commercial rounding of a line amount). */
export function roundHalfAway(n: bigint, d: bigint): bigint {
  const q = n / d
  const r = n % d
  const twice = (r < 0n ? -r : r) * 2n
  return twice >= d ? q + (n < 0n ? -1n : 1n) : q
}
const floorDiv = (a: bigint, b: bigint) => {
  const q = a / b
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q
}
/** n / d rounded as XPath's round(): floor(x + 0.5), which is how BR-CO-17 computes a VAT amount. */
export const roundXPath = (n: bigint, d: bigint) => floorDiv(2n * n + d, 2n * d)

const rateTenths: Record<Rate, bigint> = { '20': 200n, '10': 100n, '5.5': 55n, '2.1': 21n, '0': 0n }

/** Net amount (cents) of a line: quantity × price, both scaled by 10^4, rounded half away from zero. */
export const lineAmount = (quantity: bigint, price: bigint) => roundHalfAway(quantity * price, pow10(QTY_DECIMALS + PRICE_DECIMALS - 2))

/** The VAT breakdown and the totals of lines (amounts in cents), by EN 16931's rules (see the header). */
export function computeVat(lines: { amount: bigint; rate: Rate }[], exemptionReason: string | null, exemptionCode: string | null = null): { vat: VatGroup[]; totals: Totals; taxBasisCents: bigint } {
  const groups = new Map<Rate, bigint>()
  for (const line of lines) groups.set(line.rate, (groups.get(line.rate) ?? 0n) + line.amount)
  let taxTotal = 0n
  const vat: VatGroup[] = rates.filter((r) => groups.has(r)).map((rate) => {
    const basis = groups.get(rate)!
    const tax = roundXPath(basis * rateTenths[rate], 1000n)
    taxTotal += tax
    return rate === '0'
      ? { category: 'E', rate, basis: cents(basis), tax: cents(tax), exemptionReason, exemptionCode }
      : { category: 'S', rate, basis: cents(basis), tax: cents(tax), exemptionReason: null, exemptionCode: null }
  })
  const lineTotal = lines.reduce((sum, l) => sum + l.amount, 0n)
  const grand = lineTotal + taxTotal
  return { vat, totals: { lineTotal: cents(lineTotal), taxBasis: cents(lineTotal), tax: cents(taxTotal), grand: cents(grand), due: cents(grand) }, taxBasisCents: lineTotal }
}

// ---- identifiers and dates ----

/** A French VAT identifier: FR, a two-character key, the SIREN; a numeric key is (12 + 3 × (SIREN mod 97)) mod 97. */
export function vatFault(vat: string): Fault | null {
  if (!/^FR[0-9A-HJ-NP-Z]{2}[0-9]{9}$/.test(vat)) return { code: 'vatFormat' }
  const key = vat.slice(2, 4)
  if (/^[0-9]{2}$/.test(key) && Number(key) !== (12 + 3 * (Number(vat.slice(4)) % 97)) % 97) return { code: 'vatKey' }
  return null
}

/** ISO 13616: letters moved to numbers, the whole mod 97 is 1. */
export function isValidIban(iban: string): boolean {
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(iban)) return false
  const moved = iban.slice(4) + iban.slice(0, 4)
  let rest = 0
  for (const ch of moved) {
    const n = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch
    for (const d of n) rest = (rest * 10 + Number(d)) % 97
  }
  return rest === 1
}

/** YYYY-MM-DD (what a date input sends) or DD/MM/YYYY (typed by hand) → YYYY-MM-DD, when the day exists. */
export function parseDate(raw: string): string | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw)
  const fr = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(raw)
  const [y, m, d] = iso ? [iso[1]!, iso[2]!, iso[3]!] : fr ? [fr[3]!, fr[2]!.padStart(2, '0'), fr[1]!.padStart(2, '0')] : []
  if (!y || !m || !d) return null
  const date = new Date(`${y}-${m}-${d}T00:00:00Z`)
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== `${y}-${m}-${d}` || Number(y) < 2000 ? null : `${y}-${m}-${d}`
}

/** Today in France, YYYY-MM-DD (the default issue date; an issue date after it is refused). */
export const todayInFrance = (now = new Date()) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(now)

// ---- the form ----

/** The names of a line's fields: `l<n>-desc`, `l<n>-qty`, `l<n>-unit`, `l<n>-price`, `l<n>-rate`. */
export const lineField = (n: number, part: 'desc' | 'qty' | 'unit' | 'price' | 'rate') => `l${n}-${part}`

/** The form's field names, in page order (the routes keep exactly these from a request). */
export const fieldNames = [
  'structure', 'sellerName', 'sellerLine', 'sellerPostcode', 'sellerCity', 'franchise', 'sellerVat', 'iban',
  'buyerSiret', 'buyerName', 'service', 'commitment',
  'type', 'number', 'issueDate', 'dueDate', 'terms', 'preceding', 'exemption', 'note', 'penalties', 'indemnity', 'discount', 'output',
  ...Array.from({ length: maxLines }, (_, i) => (['desc', 'qty', 'unit', 'price', 'rate'] as const).map((p) => lineField(i + 1, p))).flat(),
] as const
export type Values = Record<string, string>

/** A line is left empty when its description, quantity and price are (its unit and rate have defaults). */
export const lineIsEmpty = (v: Values, n: number) => !v[lineField(n, 'desc')]?.trim() && !v[lineField(n, 'qty')]?.trim() && !v[lineField(n, 'price')]?.trim()

/**
 * The form's strings → an invoice, or every field's fault at once (a person fixes them in one go). `structures`:
 * the SIRETs the person may send for (the seller, BT-30); `today`: for the default and latest issue date.
 */
export function parseSaisie(values: Values, context: { structures: readonly string[]; today: string; buyer?: BuyerInDirectory }): Parsed {
  const faults: Faults = {}
  const v = (name: string) => (values[name] ?? '').trim()
  const fault = (name: string, f: Fault) => { faults[name] ??= f }
  const text = (name: string, max: number, required = true): string | null => {
    const s = v(name).replace(/\s+/g, ' ')
    if (!s) { if (required) fault(name, { code: 'required' }); return null }
    if (s.length > max) { fault(name, { code: 'tooLong', max }); return null }
    // No control characters: they are not allowed in XML 1.0 text.
    if (/[\u0000-\u001f\u007f]/.test(s)) { fault(name, { code: 'characters' }); return null }
    return s
  }
  const pattern = (name: string, re: RegExp, max: number, required = false): string | null => {
    const s = text(name, max, required)
    if (s !== null && !re.test(s)) { fault(name, { code: 'characters' }); return null }
    return s
  }

  const structure = v('structure')
  if (!context.structures.includes(structure)) fault('structure', { code: 'structure' })

  const sellerName = text('sellerName', 200)
  const sellerLine = text('sellerLine', 200)
  const sellerPostcode = text('sellerPostcode', 5)
  if (sellerPostcode !== null && !/^[0-9]{5}$/.test(sellerPostcode)) fault('sellerPostcode', { code: 'postcode' })
  const sellerCity = text('sellerCity', 100)
  // The checkbox sends "1"; ticked, the VAT number, the exemption reason and the lines' rates are not asked (the
  // page hides them) and whatever they hold is ignored.
  const franchise = v('franchise') !== ''
  if (franchise && v('franchise') !== '1') fault('franchise', { code: 'choice' })
  const sellerVat = franchise ? null : v('sellerVat').replace(/\s/g, '').toUpperCase()
  if (sellerVat === '') fault('sellerVat', { code: 'required' })
  else if (sellerVat !== null) { const f = vatFault(sellerVat); if (f) fault('sellerVat', f) }
  const iban = v('iban').replace(/\s/g, '').toUpperCase() || null
  if (iban !== null && !isValidIban(iban)) fault('iban', { code: 'iban' })

  const buyerSiret = v('buyerSiret').replace(/\s/g, '')
  if (!buyerSiret) fault('buyerSiret', { code: 'required' })
  else if (!/^[0-9]{14}$/.test(buyerSiret)) fault('buyerSiret', { code: 'siretFormat' })
  else if (!isValidSiret(buyerSiret)) fault('buyerSiret', { code: 'siretKey' })
  // Left empty, the buyer's name is the directory's (Chorus Pro's saisie fills it from the SIRET too).
  const buyerName = !v('buyerName') && context.buyer?.structure ? context.buyer.structure.name.slice(0, 200) : text('buyerName', 200)
  // The directory's service codes (structures.ts SERVICE_CODE); commitment numbers as Chorus Pro takes them.
  const serviceCode = pattern('service', /^[A-Za-z0-9_./-]+$/, 100)
  const commitment = pattern('commitment', /^[\x21-\x7e]+$/, 50)
  if (context.buyer && !faults.buyerSiret && !faults.service && !faults.commitment) {
    for (const [name, f] of Object.entries(directoryFaults(context.buyer, serviceCode, commitment))) fault(name, f)
  }

  const typeCode = v('type') || '380'
  if (!(typeCodes as readonly string[]).includes(typeCode)) fault('type', { code: 'choice' })
  const output = v('output') || 'cii'
  if (!(outputs as readonly string[]).includes(output)) fault('output', { code: 'choice' })
  // BT-1: letters, digits and - + _ / . (the French reform's invoice numbers), 35 at most.
  const number = pattern('number', /^[A-Za-z0-9][A-Za-z0-9_/.+-]*$/, 35, true)
  const issueDate = v('issueDate') ? parseDate(v('issueDate')) : context.today
  if (issueDate === null) fault('issueDate', { code: 'date' })
  else if (issueDate > context.today) fault('issueDate', { code: 'future' })
  const dueDate = v('dueDate') ? parseDate(v('dueDate')) : null
  if (v('dueDate') && dueDate === null) fault('dueDate', { code: 'date' })
  else if (dueDate !== null && issueDate !== null && dueDate < issueDate) fault('dueDate', { code: 'dueBeforeIssue' })
  const terms = text('terms', 300, false)
  // BR-CO-25: an amount due needs a due date or payment terms.
  if (!v('dueDate') && !v('terms')) fault('dueDate', { code: 'dueOrTerms' })
  const preceding = typeCode === '381' ? pattern('preceding', /^[A-Za-z0-9][A-Za-z0-9_/.+-]*$/, 35) : null
  const exemption = franchise ? franchiseReason : text('exemption', 300, false)
  // The mentions are required; a request without the field at all (a form from before they existed, a script)
  // gets the default wording, a field emptied on the page is refused.
  const mention = (name: MentionField) => (values[name] === undefined ? mentionDefaults[name] : text(name, MENTION_MAX))
  const notes: Note[] = []
  for (const [name, subject] of Object.entries(noteFields) as [keyof typeof noteFields, NoteSubject][]) {
    const content = name === 'note' ? text(name, NOTE_MAX, false) : mention(name)
    if (content !== null) notes.push({ subject, text: content })
  }

  const lines: (InvoiceLine & { cents: bigint })[] = []
  for (let n = 1; n <= maxLines; n++) {
    if (lineIsEmpty(values, n)) continue
    const f = (part: Parameters<typeof lineField>[1]) => lineField(n, part)
    const description = text(f('desc'), 200)
    const unit = v(f('unit')) || 'C62'
    if (!(unitCodes as readonly string[]).includes(unit)) fault(f('unit'), { code: 'choice' })
    const rate = franchise ? '0' : v(f('rate')) || '20'
    if (!(rates as readonly string[]).includes(rate)) fault(f('rate'), { code: 'choice' })
    let quantity: bigint | null = null
    if (!v(f('qty'))) fault(f('qty'), { code: 'required' })
    else {
      const q = parseDecimal(v(f('qty')), QTY_DECIMALS)
      if (!q.ok) fault(f('qty'), q.fault)
      else if (q.value === 0n) fault(f('qty'), { code: 'zero' })
      // A credit note states its amounts positive: its type (BT-3) reverses them.
      else if (q.value < 0n && typeCode === '381') fault(f('qty'), { code: 'negativeCredit' })
      else quantity = q.value
    }
    let price: bigint | null = null
    if (!v(f('price'))) fault(f('price'), { code: 'required' })
    else {
      const p = parseDecimal(v(f('price')), PRICE_DECIMALS)
      if (!p.ok) fault(f('price'), p.fault)
      // BR-27: the item net price is never negative (a deduction is a negative quantity).
      else if (p.value < 0n) fault(f('price'), { code: 'priceNegative' })
      else price = p.value
    }
    if (description === null || quantity === null || price === null || faults[f('unit')] || faults[f('rate')]) continue
    const amount = lineAmount(quantity, price)
    lines.push({
      id: String(lines.length + 1), description, quantity: decimalText(quantity, QTY_DECIMALS), unitCode: unit as UnitCode,
      unitPrice: decimalText(price, PRICE_DECIMALS, 2), rate: rate as Rate, category: rate === '0' ? 'E' : 'S', amount: cents(amount), cents: amount,
    })
  }
  const anyLine = Array.from({ length: maxLines }, (_, i) => i + 1).some((n) => !lineIsEmpty(values, n))
  if (!anyLine) fault(lineField(1, 'desc'), { code: 'noLines' })
  // BR-E-10: an exempt breakdown gives its reason.
  const exempt = franchise || Array.from({ length: maxLines }, (_, i) => i + 1).some((n) => !lineIsEmpty(values, n) && v(lineField(n, 'rate')) === '0')
  if (exempt && exemption === null) fault('exemption', { code: 'exemptionRequired' })

  const computed = computeVat(lines.map((l) => ({ amount: l.cents, rate: l.rate })), exempt ? exemption : null, franchise ? franchiseCode : null)
  if (Object.keys(faults).length === 0 && computed.taxBasisCents <= 0n) fault(lineField(1, 'qty'), { code: 'totalNotPositive' })
  if (Object.keys(faults).length > 0) return { ok: false, faults }
  return {
    ok: true, output: output as Output,
    invoice: {
      typeCode: typeCode as TypeCode, number: number!, issueDate: issueDate!, dueDate, paymentTerms: terms, precedingInvoice: preceding, currency: 'EUR',
      seller: {
        siret: structure, name: sellerName!, addressLine: sellerLine!, postcode: sellerPostcode!, city: sellerCity!, country: 'FR', iban,
        vatId: sellerVat, taxRegistration: franchise ? structure.slice(0, 9) : null,
      },
      buyer: { siret: buyerSiret, name: buyerName!, serviceCode, commitment },
      franchise, exemptionReason: exempt ? exemption : null, notes,
      lines: lines.map(({ cents: _, ...line }) => line), vat: computed.vat, totals: computed.totals,
    },
  }
}

/**
 * What routing will ask of the buyer (routing/resolve-route.ts routeToStructure: keep the two in step), checked
 * while the person can still correct it, rather than after the invoice comes back A_RECYCLER: a public structure
 * that is active, its service code (BT-10) when it requires one or lists its services, its commitment number
 * (BT-13) when it or the service requires one. A SIRET that is neither a structure nor a recipient of the hub
 * would not be routed at all.
 */
export function directoryFaults(buyer: BuyerInDirectory, serviceCode: string | null, commitment: string | null): Faults {
  const s = buyer.structure
  if (!s) return buyer.recipient ? {} : { buyerSiret: { code: 'buyerUnknown' } }
  if (!s.active) return { buyerSiret: { code: 'structureInactive' } }
  const faults: Faults = {}
  const active = s.services.filter((x) => x.active).map((x) => x.code)
  const service = serviceCode === null ? null : s.services.find((x) => x.code === serviceCode) ?? null
  if (serviceCode === null && s.serviceRequired) faults.service = { code: 'serviceRequired', services: active }
  else if (serviceCode !== null && (s.services.length > 0 || s.serviceRequired) && !service) faults.service = { code: 'serviceUnknown', services: active }
  else if (service && !service.active) faults.service = { code: 'serviceInactive', services: active }
  if (commitment === null && (s.commitmentRequired || service?.commitmentRequired)) faults.commitment = { code: 'commitmentRequired' }
  return faults
}

// ---- the CII ----

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }
const x = (s: string) => s.replace(/[&<>"']/g, (c) => escapes[c]!)
const date102 = (iso: string) => `<udt:DateTimeString format="102">${iso.replaceAll('-', '')}</udt:DateTimeString>`
const opt = (cond: unknown, text: () => string) => (cond ? text() : '')

/**
 * The invoice in CII D16B, elements in the XSD's order, for the EN 16931 profile. The seller and the buyer are
 * named by SIRET (scheme 0009) as legal registration identifier (BT-30, BT-47) and electronic address (BT-34,
 * BT-49): the hub routes on the buyer's, and checks the seller's against the structures its partner sends for.
 * (The French reform's rules, BR-FR-10, want the SIREN under scheme 0002 in BT-30; Chorus Pro, the hub's routing
 * and its fr-b2g rules take the SIRET under 0009, ISO 6523's "SIRET-CODE", as here.)
 */
export function buildCii(inv: Invoice): string {
  const { seller, buyer } = inv
  const line = (l: InvoiceLine) => `
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument>
        <ram:LineID>${l.id}</ram:LineID>
      </ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct>
        <ram:Name>${x(l.description)}</ram:Name>
      </ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice>
          <ram:ChargeAmount>${l.unitPrice}</ram:ChargeAmount>
        </ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="${l.unitCode}">${l.quantity}</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax>
          <ram:TypeCode>VAT</ram:TypeCode>
          <ram:CategoryCode>${l.category}</ram:CategoryCode>
          <ram:RateApplicablePercent>${l.rate}</ram:RateApplicablePercent>
        </ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>${l.amount}</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>`
  const vat = (g: VatGroup) => `
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>${g.tax}</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>${opt(g.exemptionReason, () => `
        <ram:ExemptionReason>${x(g.exemptionReason!)}</ram:ExemptionReason>`)}
        <ram:BasisAmount>${g.basis}</ram:BasisAmount>
        <ram:CategoryCode>${g.category}</ram:CategoryCode>${opt(g.exemptionCode, () => `
        <ram:ExemptionReasonCode>${x(g.exemptionCode!)}</ram:ExemptionReasonCode>`)}
        <ram:RateApplicablePercent>${g.rate}</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>`
  return `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
                          xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
                          xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>${specification}</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>${x(inv.number)}</ram:ID>
    <ram:TypeCode>${inv.typeCode}</ram:TypeCode>
    <ram:IssueDateTime>
      ${date102(inv.issueDate)}
    </ram:IssueDateTime>${inv.notes.map((n) => `
    <ram:IncludedNote>
      <ram:Content>${x(n.text)}</ram:Content>
      <ram:SubjectCode>${n.subject}</ram:SubjectCode>
    </ram:IncludedNote>`).join('')}
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>${inv.lines.map(line).join('')}
    <ram:ApplicableHeaderTradeAgreement>${opt(buyer.serviceCode, () => `
      <ram:BuyerReference>${x(buyer.serviceCode!)}</ram:BuyerReference>`)}
      <ram:SellerTradeParty>
        <ram:Name>${x(seller.name)}</ram:Name>
        <ram:SpecifiedLegalOrganization>
          <ram:ID schemeID="0009">${seller.siret}</ram:ID>
        </ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>${x(seller.postcode)}</ram:PostcodeCode>
          <ram:LineOne>${x(seller.addressLine)}</ram:LineOne>
          <ram:CityName>${x(seller.city)}</ram:CityName>
          <ram:CountryID>${seller.country}</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:URIUniversalCommunication>
          <ram:URIID schemeID="0009">${seller.siret}</ram:URIID>
        </ram:URIUniversalCommunication>${opt(seller.vatId, () => `
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="VA">${x(seller.vatId!)}</ram:ID>
        </ram:SpecifiedTaxRegistration>`)}${opt(seller.taxRegistration, () => `
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="FC">${seller.taxRegistration}</ram:ID>
        </ram:SpecifiedTaxRegistration>`)}
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>${x(buyer.name)}</ram:Name>
        <ram:SpecifiedLegalOrganization>
          <ram:ID schemeID="0009">${buyer.siret}</ram:ID>
        </ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress>
          <ram:CountryID>FR</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:URIUniversalCommunication>
          <ram:URIID schemeID="0009">${buyer.siret}</ram:URIID>
        </ram:URIUniversalCommunication>
      </ram:BuyerTradeParty>${opt(buyer.commitment, () => `
      <ram:BuyerOrderReferencedDocument>
        <ram:IssuerAssignedID>${x(buyer.commitment!)}</ram:IssuerAssignedID>
      </ram:BuyerOrderReferencedDocument>`)}
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>${inv.currency}</ram:InvoiceCurrencyCode>${opt(seller.iban, () => `
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>58</ram:TypeCode>
        <ram:PayeePartyCreditorFinancialAccount>
          <ram:IBANID>${seller.iban}</ram:IBANID>
        </ram:PayeePartyCreditorFinancialAccount>
      </ram:SpecifiedTradeSettlementPaymentMeans>`)}${inv.vat.map(vat).join('')}
      <ram:SpecifiedTradePaymentTerms>${opt(inv.paymentTerms, () => `
        <ram:Description>${x(inv.paymentTerms!)}</ram:Description>`)}${opt(inv.dueDate, () => `
        <ram:DueDateDateTime>
          ${date102(inv.dueDate!)}
        </ram:DueDateDateTime>`)}
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>${inv.totals.lineTotal}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>${inv.totals.taxBasis}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="${inv.currency}">${inv.totals.tax}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>${inv.totals.grand}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>${inv.totals.due}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>${opt(inv.precedingInvoice, () => `
      <ram:InvoiceReferencedDocument>
        <ram:IssuerAssignedID>${x(inv.precedingInvoice!)}</ram:IssuerAssignedID>
      </ram:InvoiceReferencedDocument>`)}
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
`
}

/** The deposit's file name: `saisie-<number>.xml` (or .pdf), the number kept to what a file name may hold. */
export const fileNameOf = (inv: Invoice, output: Output) => `saisie-${inv.number.replace(/[^\w.+-]+/g, '_')}.${output === 'facturx' ? 'pdf' : 'xml'}`
