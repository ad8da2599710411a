// Peppol monthly reporting: the two reports every production access point sends OpenPeppol each month, built
// from the month's exchanges as plain data. TSR, Transaction Statistics Report 1.0 (messages counted per peer
// access point, document type and process, and per countries), and EUSR, End User Statistics Report 1.1
// (distinct end users of this hub counted). Sources: the specifications at docs.peppol.eu/edelivery/specs/
// reporting/tsr/bis (v1.0.2) and .../eusr/bis (v1.1.1), and the rules that check them, OpenPeppol's Schematron
// TSR 1.0.5 and EUSR 1.1.5 with their XSDs (schematron/packs.json `reporting`; rule ids SCH-TSR-nn,
// SCH-EUSR-nn below). Pure functions: the caller reads the exchanges; reporting-check.ts runs the rules.
import { FacteurError } from '../kit/errors.js'
import { escapeXml } from '../kit/safe-xml.js'
import { DOCTYPE_SCHEME, PARTICIPANT_SCHEME, PROCESS_SCHEME, processId, type PeppolId } from './identifiers.js'
import type { Envelope } from './sbdh.js'
import { AS4_TRANSPORT } from './smp.js'

/**
 * One message this hub exchanged with another access point, counted once (TSR §2 "Data Gathering": each
 * message counted once, incoming or outgoing; only exchanges with a positive transport acknowledgement, an AS4
 * receipt). Incoming: received by this hub as corner 3; outgoing: sent by it as corner 2, once a receipt came.
 */
export type Exchange = {
  direction: 'incoming' | 'outgoing'
  /** The other access point's seat id (its certificate CN), e.g. 'POP000002'. */
  peerSeat: string
  /** Document type id value (scheme busdox-docid-qns). */
  documentType: string
  /** Process id value (scheme cenbii-procid-ubl). */
  process: string
  /** C1, the original sender (participant value, scheme iso6523-actorid-upis), e.g. '0009:12345678200010'. */
  originalSender: string
  /** C4, the final recipient (participant value). */
  finalRecipient: string
  /** ISO 3166-1 alpha-2 country of C1 (COUNTRY_C1 of the envelope). */
  countryC1: string
  /** ISO 3166-1 alpha-2 country of C4; null when unknown. */
  countryC4: string | null
  /**
   * How many messages exactly like this one (default 1): the caller may give the month grouped, one row per
   * distinct combination, so that a busy month is not a million rows in memory. End users are counted distinct
   * either way.
   */
  count?: number
}

/**
 * The report's input: the month ('YYYY-MM'), this hub's seat id, and the exchanges of that month only (choosing
 * them, with periodOf's `from` and `to`, is the caller's concern: a report counts whatever it is given).
 */
export type ReportInput = { month: string; reporterSeat: string; exchanges: Exchange[] }

/** A reporting period: a calendar month, from 00:00:00 UTC of its first day to the end of its last (TSR and EUSR §2). */
export type ReportPeriod = { month: string; start: string; end: string; from: Date; to: Date }

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/

/** 'YYYY-MM' → its first and last day ('YYYY-MM-DD', inclusive, as the reports state them) and [from, to) in UTC. */
export function periodOf(month: string): ReportPeriod {
  const m = MONTH.exec(month)
  if (!m) throw new FacteurError('INVALID_REQUEST', `the reporting month must be written YYYY-MM (e.g. 2025-01), not '${month}'`)
  const year = Number(m[1])
  const index = Number(m[2]) - 1
  const from = new Date(Date.UTC(year, index, 1))
  const to = new Date(Date.UTC(year, index + 1, 1))
  const last = new Date(to.getTime() - 86_400_000).getUTCDate()
  return { month, start: `${month}-01`, end: `${month}-${String(last).padStart(2, '0')}`, from, to }
}

// ---- Identifiers (TSR and EUSR §7 "Specification Identifiers") ----

/** Shared by both reports: ProfileID of the report and process id of its transmission. */
export const REPORTING_PROCESS: PeppolId = processId('urn:fdc:peppol.eu:edec:bis:reporting:1.0')

/** OpenPeppol AISBL, the only receiver of reports (TSR and EUSR §2 "Data Transmission", Network). */
export const OPENPEPPOL_RECEIVER: PeppolId = { scheme: PARTICIPANT_SCHEME, value: '9925:be0848934496' }

export type ReportKind = 'tsr' | 'eusr'

// Root namespace and element, CustomizationID, version: the document type id is made of them (Policy for use of
// Identifiers, POLICY 7). EUSR's CustomizationID reads `end-user-statistics-report`, TSR's `…-reporting`:
// SCH-EUSR-01 and SCH-TSR-01 require exactly these.
const reports = {
  tsr: {
    ns: 'urn:fdc:peppol:transaction-statistics-report:1.0', root: 'TransactionStatisticsReport', version: '1.0',
    customizationId: 'urn:fdc:peppol.eu:edec:trns:transaction-statistics-reporting:1.0',
  },
  eusr: {
    ns: 'urn:fdc:peppol:end-user-statistics-report:1.1', root: 'EndUserStatisticsReport', version: '1.1',
    customizationId: 'urn:fdc:peppol.eu:edec:trns:end-user-statistics-report:1.1',
  },
} as const

const documentTypeOf = (kind: ReportKind): PeppolId => {
  const r = reports[kind]
  return { scheme: DOCTYPE_SCHEME, value: `${r.ns}::${r.root}##${r.customizationId}::${r.version}` }
}

export const TSR_DOCUMENT_TYPE = documentTypeOf('tsr')
export const EUSR_DOCUMENT_TYPE = documentTypeOf('eusr')

// A seat id is 'P', two letters for the Peppol Authority, six digits (SCH-TSR-18, SCH-EUSR-08).
const SEAT = /^P[A-Z]{2}(\d{6})$/

/**
 * The envelope of a report sent to OpenPeppol (use with sbdh.ts `wrap`). Sender: this service provider as a
 * participant of scheme 0242 (OpenPeppol Service Provider Identification, the six digits of its seat id:
 * POP000123 → 0242:000123, as the Peppol Network Policy's MLS example does); receiver: OpenPeppol; COUNTRY_C1:
 * the service provider's own country, since it is C1 of its reports.
 */
export function reportEnvelope(kind: ReportKind, input: { reporterSeat: string; countryC1: string; instanceId: string; createdAt: Date }): Envelope {
  const seat = SEAT.exec(input.reporterSeat)
  if (!seat) throw new FacteurError('CONFIG_INVALID', `the seat id '${input.reporterSeat}' (FACTEUR_PEPPOL_SEAT_ID) is not a Peppol seat id such as POP000123`)
  return {
    sender: { scheme: PARTICIPANT_SCHEME, value: `0242:${seat[1]}` },
    receiver: OPENPEPPOL_RECEIVER,
    documentType: documentTypeOf(kind),
    process: REPORTING_PROCESS,
    countryC1: input.countryC1,
    instanceId: input.instanceId,
    createdAt: input.createdAt,
  }
}

// ---- Building the XML ----

type Key = { meta: 'TP' | 'SP' | 'DT' | 'PR' | 'CC'; scheme: string; value: string }
type Group<R> = { keys: Key[]; rows: R[] }
/** A Subtotal or Subset type and the keys of a row in it (null: the row is in none of that type). */
type Breakdown<R> = { type: string; keysOf: (row: R) => Key[] | null }[]

/** Rows grouped by their keys (a row whose keysOf is null is in no group), in the order of the keys' values. */
function groupBy<R>(rows: R[], keysOf: (row: R) => Key[] | null): Group<R>[] {
  const groups = new Map<string, Group<R>>()
  for (const row of rows) {
    const keys = keysOf(row)
    if (!keys) continue
    const id = JSON.stringify(keys.map((k) => [k.scheme, k.value]))
    const group = groups.get(id) ?? { keys, rows: [] }
    group.rows.push(row)
    groups.set(id, group)
  }
  // Code-unit order, not the locale's: the same input gives the same bytes everywhere.
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, group]) => group)
}

const dtKey = (documentType: string): Key => ({ meta: 'DT', scheme: DOCTYPE_SCHEME, value: documentType })
const prKey = (process: string): Key => ({ meta: 'PR', scheme: PROCESS_SCHEME, value: process })
const country = (code: string) => code.trim().toUpperCase()

const element = (name: string, content: string | number) => `<${name}>${typeof content === 'number' ? content : escapeXml(content)}</${name}>`
const keyXml = (k: Key) => `<Key metaSchemeID="${k.meta}" schemeID="${escapeXml(k.scheme)}">${escapeXml(k.value)}</Key>`
const indent = (lines: string[]) => lines.map((line) => `  ${line}`)

/** One Subtotal (TSR) or Subset (EUSR) element per group of each type of the table, the types in table order. */
function breakdown<R>(tag: 'Subtotal' | 'Subset', rows: R[], table: Breakdown<R>, counts: (rows: R[]) => string[]): string[] {
  return table.flatMap(({ type, keysOf }) => groupBy(rows, keysOf).flatMap((group) =>
    [`<${tag} type="${type}">`, ...indent([...group.keys.map(keyXml), ...counts(group.rows)]), `</${tag}>`]))
}

/** The document: root, CustomizationID, ProfileID and Header (in the schema's order), then the counts. */
function reportXml(kind: ReportKind, input: ReportInput, body: string[]): string {
  const r = reports[kind]
  const period = periodOf(input.month)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<${r.root} xmlns="${r.ns}">`,
    ...indent([
      element('CustomizationID', r.customizationId),
      element('ProfileID', REPORTING_PROCESS.value),
      '<Header>',
      `  <ReportPeriod>${element('StartDate', period.start)}${element('EndDate', period.end)}</ReportPeriod>`,
      // The only reporter id scheme: the AP certificate's subject CN, the seat id (SCH-TSR-17, SCH-EUSR-07).
      `  <ReporterID schemeID="CertSubjectCN">${escapeXml(input.reporterSeat)}</ReporterID>`,
      '</Header>',
      ...body,
    ]),
    `</${r.root}>`,
    '',
  ].join('\n')
}

/** Reports are never counted, neither in a TSR nor in an EUSR (TSR and EUSR §2, Data Gathering). */
const reportTypes = new Set([TSR_DOCUMENT_TYPE.value, EUSR_DOCUMENT_TYPE.value])
const counted = (exchanges: Exchange[]) => exchanges.filter((e) => !reportTypes.has(e.documentType))

// ---- TSR ----

const spKey = (e: Exchange): Key => ({ meta: 'SP', scheme: 'CertSubjectCN', value: e.peerSeat })

/**
 * The subtotals, in this order. PerTP and PerSP-DT-PR are mandatory (TSR §2 "Data Aggregation", SCH-TSR-03,
 * -07); PerSP-DT-PR-CC is optional, and only a receiving access point has both countries, so it counts incoming
 * messages only, its Outgoing always 0 (TSR 1.0.1 changelog, SCH-TSR-43). The SP is the other access point:
 * the receiving one for outgoing messages, the sending one for incoming ones (TSR §3, Subtotals).
 */
const tsrSubtotals: Breakdown<Exchange> = [
  // Every message of this hub goes over AS4 (Transport Profiles code list: peppol-transport-as4-v2_0).
  { type: 'PerTP', keysOf: () => [{ meta: 'TP', scheme: 'Peppol', value: AS4_TRANSPORT }] },
  { type: 'PerSP-DT-PR', keysOf: (e) => [spKey(e), dtKey(e.documentType), prKey(e.process)] },
  {
    type: 'PerSP-DT-PR-CC',
    // Each incoming message must be in it (SCH-TSR-12: its sum is the total incoming), so an unknown C4 country
    // is reported as ZZ, which the TSR country list allows (Schematron TSR 1.0.4 changelog; EUSR does not).
    keysOf: (e) => e.direction !== 'incoming' ? null : [
      spKey(e), dtKey(e.documentType), prKey(e.process),
      { meta: 'CC', scheme: 'SenderCountry', value: country(e.countryC1) },
      { meta: 'CC', scheme: 'ReceiverCountry', value: e.countryC4 ? country(e.countryC4) : 'ZZ' },
    ],
  },
]
const messages = (rows: Exchange[], direction: Exchange['direction']) => rows.reduce((n, e) => (e.direction === direction ? n + (e.count ?? 1) : n), 0)
const inOut = (rows: Exchange[]) => [element('Incoming', messages(rows, 'incoming')), element('Outgoing', messages(rows, 'outgoing'))]

/**
 * The Transaction Statistics Report of a month. An empty month gives Total 0/0 and no subtotal: the report is
 * still due (TSR §2, Data Transmission) and the subtotal rules hold only when the total is not 0 (SCH-TSR-03 …).
 */
export function transactionStatisticsReport(input: ReportInput): string {
  const exchanges = counted(input.exchanges)
  return reportXml('tsr', input, ['<Total>', ...indent(inOut(exchanges)), '</Total>', ...breakdown('Subtotal', exchanges, tsrSubtotals, inOut)])
}

// ---- EUSR ----

/**
 * One end user of this hub taking part in one message: C1 sending for an outgoing message, C4 receiving for an
 * incoming one (EUSR §2: only the sending SP counts a message as outgoing, only the receiving SP as incoming).
 * End users are told apart by participant id, compared case-insensitively (Policy for use of Identifiers);
 * the spec counts end users, not ids, but an end user with two ids cannot be recognised from the exchanges.
 */
type EndUser = { id: string; role: 'sending' | 'receiving'; documentType: string; process: string; country: string | null }

function endUsersOf(exchanges: Exchange[]): EndUser[] {
  const users: EndUser[] = exchanges.map((e) => e.direction === 'outgoing'
    ? { id: e.originalSender.toLowerCase(), role: 'sending', documentType: e.documentType, process: e.process, country: country(e.countryC1) }
    : { id: e.finalRecipient.toLowerCase(), role: 'receiving', documentType: e.documentType, process: e.process, country: e.countryC4 ? country(e.countryC4) : null })
  // An end user's country is the end user's, not the message's: when one message does not say it, another of
  // the month may (the same customer sending, with its COUNTRY_C1). The first in code-unit order, to be stable.
  const known = new Map<string, string>()
  for (const u of users) {
    const before = known.get(u.id)
    if (u.country && (before === undefined || u.country < before)) known.set(u.id, u.country)
  }
  return users.map((u) => ({ ...u, country: u.country ?? known.get(u.id) ?? null }))
}

/**
 * The subsets, in this order. PerDT-PR, PerDT-EUC and PerEUC are mandatory when the report is not empty
 * (SCH-EUSR-15, -37, -39); PerDT-PR-EUC is optional and given, as the data has it. An end user whose country
 * is still unknown is left out of the country subsets: EUSR's country list has no ZZ (SCH-EUSR-30; Schematron
 * EUSR 1.1.4 changelog), and subsets need not add up to the full set (only max ≤ full set, SCH-EUSR-03, -04, -22).
 */
const eucKey = (code: string): Key => ({ meta: 'CC', scheme: 'EndUserCountry', value: code })
const eusrSubsets: Breakdown<EndUser> = [
  { type: 'PerDT-PR', keysOf: (u) => [dtKey(u.documentType), prKey(u.process)] },
  { type: 'PerDT-EUC', keysOf: (u) => u.country ? [dtKey(u.documentType), eucKey(u.country)] : null },
  { type: 'PerDT-PR-EUC', keysOf: (u) => u.country ? [dtKey(u.documentType), prKey(u.process), eucKey(u.country)] : null },
  { type: 'PerEUC', keysOf: (u) => u.country ? [eucKey(u.country)] : null },
]

/** Distinct end users that sent, received, and did either (EUSR §3, Full Set: the union, not the sum). */
const cardinalities = (users: EndUser[]) => {
  const distinct = (role?: EndUser['role']) => new Set(users.filter((u) => !role || u.role === role).map((u) => u.id)).size
  return [element('SendingEndUsers', distinct('sending')), element('ReceivingEndUsers', distinct('receiving')), element('SendingOrReceivingEndUsers', distinct())]
}

/**
 * The End User Statistics Report of a month. An empty month gives a full set of 0/0/0 and no subset, as a
 * subset must count at least one end user (SCH-EUSR-36) and none is required when the full set is 0.
 */
export function endUserStatisticsReport(input: ReportInput): string {
  const users = endUsersOf(counted(input.exchanges))
  return reportXml('eusr', input, ['<FullSet>', ...indent(cardinalities(users)), '</FullSet>', ...breakdown('Subset', users, eusrSubsets, cardinalities)])
}
