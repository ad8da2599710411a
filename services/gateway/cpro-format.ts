// The Chorus Pro API's values, as its real clients read them (docs/chorus-pro-api-notes.md): dates in French time
// (a date alone `YYYY-MM-DD`; a date-time with milliseconds and offset, `2018-02-16T15:10:25.536+01:00`), the flux
// syntaxes `deposer/flux` takes, and the hub's statuses told as a flux's state. Pure.
import type { Syntax } from '../../schemas/events.js'

const paris = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
})

/** The wall-clock parts of `at` in Paris, and Paris's offset from UTC then, in minutes. */
function inParis(at: Date) {
  const p = Object.fromEntries(paris.formatToParts(at).map((x) => [x.type, x.value])) as Record<string, string>
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second))
  const offset = Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60_000)
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}:${p.second}`, offset }
}

/** `YYYY-MM-DD` in Paris (dateDepot: the Go client parses exactly this). */
export const cproDate = (at: Date) => inParis(at).date

/** `YYYY-MM-DDTHH:mm:ss.SSS+01:00` in Paris (dateDepotFlux, dateHeureEtatCourantFlux: the PHP client parses exactly this). */
export function cproDateTime(at: Date): string {
  const { date, time, offset } = inParis(at)
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset)
  return `${date}T${time}.${String(at.getMilliseconds()).padStart(3, '0')}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

/**
 * The flux syntaxes deposer/flux takes, with the media type of the file and the syntax the hub must find in it.
 * E1: a structured invoice; E2 Factur-X: the PDF/A-3 with its CII.
 */
export const depositSyntaxes: Record<string, { contentType: 'application/xml' | 'application/pdf'; syntaxes: Syntax[]; what: string }> = {
  IN_DP_E1_UBL_INVOICE: { contentType: 'application/xml', syntaxes: ['ubl-invoice', 'ubl-creditnote'], what: 'a UBL 2.1 invoice or credit note' },
  IN_DP_E1_CII_16B: { contentType: 'application/xml', syntaxes: ['cii'], what: 'a UN/CEFACT CII D16B invoice' },
  IN_DP_E2_CII_FACTURX: { contentType: 'application/pdf', syntaxes: ['cii'], what: 'a Factur-X PDF/A-3 carrying its CII invoice' },
}

/** Chorus Pro syntaxes the hub does not take, and what to send instead. */
export const unsupportedSyntaxes: Record<string, string> = {
  IN_DP_E2_UBL_INVOICE_MIN: 'the E2 minimal UBL (a PDF invoice with minimal data) is not an invoice the hub can validate: send the invoice as UBL (IN_DP_E1_UBL_INVOICE) or Factur-X (IN_DP_E2_CII_FACTURX)',
  IN_DP_E2_CII_MIN_16B: 'the E2 minimal CII (a PDF invoice with minimal data) is not an invoice the hub can validate: send the invoice as CII (IN_DP_E1_CII_16B) or Factur-X (IN_DP_E2_CII_FACTURX)',
  IN_DP_E2_CII_MIN: 'the legacy E2 minimal CII is not taken: send CII D16B (IN_DP_E1_CII_16B) or Factur-X (IN_DP_E2_CII_FACTURX)',
  IN_DP_E1_CII: 'the legacy CII (before D16B) is not taken: send CII D16B (IN_DP_E1_CII_16B)',
  IN_DP_E1_PES_FACTURE: 'PES is not taken: send UBL (IN_DP_E1_UBL_INVOICE) or CII (IN_DP_E1_CII_16B)',
  IN_DP_E2_PES_FACTURE_MIN: 'PES is not taken: send UBL (IN_DP_E1_UBL_INVOICE) or CII (IN_DP_E1_CII_16B)',
  IN_DP_E1_XCBL: 'xCBL is not taken: send UBL (IN_DP_E1_UBL_INVOICE) or CII (IN_DP_E1_CII_16B)',
  IN_DP_E2_CPP_FACTURE_MIN: 'the Chorus Pro minimal format is not taken: send UBL, CII or Factur-X',
  IN_DP_E3_UBL_INVOICE: 'E3 (justice costs) is not taken: send a UBL invoice as IN_DP_E1_UBL_INVOICE',
}

const rootNamespaces: [string, Syntax][] = [
  ['urn:oasis:names:specification:ubl:schema:xsd:Invoice-2', 'ubl-invoice'],
  ['urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2', 'ubl-creditnote'],
  ['urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100', 'cii'],
]

/**
 * The syntax an XML file's first namespace of the three says it is, null for none: a quick look to answer a flux
 * declared as another syntax at once (ingest reads the file properly later).
 */
export function declaredRoot(file: Buffer): Syntax | null {
  const head = file.subarray(0, 8192).toString('utf8')
  const found = rootNamespaces.map(([ns, syntax]) => ({ at: head.indexOf(ns), syntax })).filter((f) => f.at >= 0).sort((a, b) => a.at - b.at)
  return found[0]?.syntax ?? null
}

export type FluxState = 'IN_EN_COURS_TRAITEMENT_CPP' | 'IN_EN_ATTENTE_RETRAITEMENT_CPP' | 'IN_REJETE' | 'IN_INTEGRE'

/**
 * The hub's status as the flux's state: still on its way (DEPOSEE) is being processed; a stage that failed and
 * waits for the operator's replay (EN_ERREUR) is Chorus Pro's "waiting for manual reprocessing"; refused by the
 * rules (REJETEE) is rejected; anything else got into the hub's lifecycle (made available, to recycle, failed to
 * deliver, processed by the recipient): integrated, the invoice's own status says the rest.
 */
export function fluxState(status: string): FluxState {
  if (status === 'DEPOSEE') return 'IN_EN_COURS_TRAITEMENT_CPP'
  if (status === 'EN_ERREUR') return 'IN_EN_ATTENTE_RETRAITEMENT_CPP'
  if (status === 'REJETEE') return 'IN_REJETE'
  return 'IN_INTEGRE'
}

/**
 * The hub's status as a Chorus Pro invoice status (`statut`, `statutCourantCode`). The hub's own states before the
 * recipient has the invoice read as Chorus Pro's routing state; the reform's processing statuses that Chorus Pro has
 * no name for read as the closest one it has (PRISE_EN_CHARGE, APPROUVEE, EN_LITIGE: taken into account by the
 * recipient; the refusal is Chorus Pro's REJETEE; what comes after payment, its last one).
 */
export const cproStatuses: Record<string, string> = {
  DEPOSEE: 'DEPOSEE', REJETEE: 'REJETEE', A_RECYCLER: 'A_RECYCLER', MISE_A_DISPOSITION: 'MISE_A_DISPOSITION',
  ECHEC_DISTRIBUTION: 'EN_COURS_ACHEMINEMENT', EN_ERREUR: 'EN_COURS_ACHEMINEMENT', RELANCEE: 'EN_COURS_ACHEMINEMENT',
  PRISE_EN_CHARGE: 'PRISE_EN_COMPTE_DESTINATAIRE', APPROUVEE: 'PRISE_EN_COMPTE_DESTINATAIRE', APPROUVEE_PARTIELLEMENT: 'PRISE_EN_COMPTE_DESTINATAIRE',
  EN_LITIGE: 'PRISE_EN_COMPTE_DESTINATAIRE', SUSPENDUE: 'SUSPENDUE', COMPLETEE: 'COMPLETEE', REFUSEE: 'REJETEE',
  SERVICE_FAIT: 'SERVICE_FAIT', MANDATEE: 'MANDATEE', MISE_EN_PAIEMENT: 'MISE_EN_PAIEMENT', PAIEMENT_TRANSMIS: 'MISE_EN_PAIEMENT', ENCAISSEE: 'MISE_EN_PAIEMENT',
}
export const cproStatus = (status: string) => cproStatuses[status] ?? 'TECHNIQUE_INCONNU'

/**
 * What a recipient's `traiter/recue` asks for (`nouveauStatut`), as the hub's status; null: a Chorus Pro status the
 * hub's lifecycle has not (the answer says so). A refusal or a suspension needs its `motif`.
 */
export const receivedStatuses: Record<string, string | null> = {
  SUSPENDUE: 'SUSPENDUE', REJETEE: 'REFUSEE', SERVICE_FAIT: 'SERVICE_FAIT', MANDATEE: 'MANDATEE', MISE_EN_PAIEMENT: 'MISE_EN_PAIEMENT',
  PRISE_EN_COMPTE_DESTINATAIRE: 'PRISE_EN_CHARGE',
  MISE_A_DISPOSITION_COMPTABLE: null, COMPTABILISEE: null, A_RECYCLER: null, MISE_A_DISPOSITION: null,
}

/** `yyyy-MM-dd HH:mm` in Paris: the history's dates, as the Go client parses them. */
export function cproMinute(at: Date): string {
  const full = cproDateTime(at)
  return `${full.slice(0, 10)} ${full.slice(11, 16)}`
}

/** The invoice type Chorus Pro names from BT-3: a credit note (381, 261, 262, 296, 308, 532) is an AVOIR. */
export const cproInvoiceType = (typeCode: string | null, syntax: string | null) =>
  syntax === 'ubl-creditnote' || ['381', '261', '262', '296', '308', '532'].includes(typeCode ?? '') ? 'AVOIR' : 'FACTURE'
