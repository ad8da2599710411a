// Peppol's monthly reports, as a production access point owes them to OpenPeppol: the Transaction Statistics
// Report and the End User Statistics Report of a month (services/peppol/reporting.ts builds them), from what the
// hub exchanged over AS4 that month (as4_sent with a receipt, as4_received). A report is checked against
// OpenPeppol's own rules before anything is kept or sent; a report that fails is never sent, the findings say why.
// To send one, it is kept in peppol_reports with a MessageId fixed once, then sent over AS4 like a document
// (channels/peppol.ts sendOverPeppol: SMP lookup of OpenPeppol's participant, the message kept in as4_sent, the
// receipt verified), so every attempt — by any forwarder, or by `npx facteur peppol report --send` — sends the
// same message. The forwarder sends last month's reports on its own once the month is over (startReportSender).
import { randomUUID } from 'node:crypto'
import type { Finding } from '../../schemas/events.js'
import type { Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import {
  endUserStatisticsReport, periodOf, reportEnvelope, transactionStatisticsReport, type Exchange, type ReportKind,
} from '../peppol/reporting.js'
import { checkReport, type ReportRules } from '../peppol/reporting-check.js'
import type { PeppolIdentity } from '../peppol/pki.js'
import type { DeliveryOutcome } from './channels/channel.js'
import { sendOverPeppol, type PeppolChannelOptions } from './channels/peppol.js'

export const reportKinds: readonly ReportKind[] = ['tsr', 'eusr']
export const reportNames: Record<ReportKind, string> = { tsr: 'Transaction Statistics Report', eusr: 'End User Statistics Report' }

/**
 * What the hub exchanged over Peppol in a month (UTC): what it sent, counted when the receiver's receipt verified
 * (TSR §2: only exchanges with a positive transport acknowledgement), and what it received. Grouped in PostgreSQL,
 * one row per distinct combination with its count, so that a busy month stays a small result.
 */
export async function monthExchanges(db: Db, month: string): Promise<Exchange[]> {
  const { from, to } = periodOf(month)
  const { rows } = await db.query<{ direction: 'incoming' | 'outgoing'; peer: string; document_type: string; process: string; original_sender: string; final_recipient: string; country_c1: string; country_c4: string | null; n: number }>(
    `SELECT direction, peer, document_type, process, original_sender, final_recipient, country_c1, country_c4, count(*)::int AS n FROM (
       SELECT 'outgoing' AS direction, to_seat AS peer, document_type, process, original_sender, final_recipient, country_c1, country_c4
         FROM as4_sent WHERE receipt_at >= $1 AND receipt_at < $2
       UNION ALL
       SELECT 'incoming', from_seat, document_type, process, original_sender, final_recipient, country_c1, country_c4
         FROM as4_received WHERE received_at >= $1 AND received_at < $2) m
     GROUP BY direction, peer, document_type, process, original_sender, final_recipient, country_c1, country_c4`, [from, to])
  return rows.map((r) => ({
    direction: r.direction, peerSeat: r.peer, documentType: r.document_type, process: r.process,
    originalSender: r.original_sender, finalRecipient: r.final_recipient, countryC1: r.country_c1, countryC4: r.country_c4, count: r.n,
  }))
}

/** `exchanges`: the messages of the month that the report counts from. */
export type BuiltReport = { kind: ReportKind; xml: string; findings: Finding[]; exchanges: number }

/** Both reports of a month, built from the database and checked against OpenPeppol's rules. */
export async function buildReports(db: Db, month: string, reporterSeat: string, rules: readonly ReportRules[]): Promise<BuiltReport[]> {
  const exchanges = await monthExchanges(db, month)
  const input = { month, reporterSeat, exchanges }
  return reportKinds.map((kind) => {
    const xml = kind === 'tsr' ? transactionStatisticsReport(input) : endUserStatisticsReport(input)
    return { kind, xml, findings: checkReport(kind, xml, rules), exchanges: exchanges.reduce((n, e) => n + (e.count ?? 1), 0) }
  })
}

export const blocking = (findings: Finding[]) => findings.filter((f) => f.severity === 'fatal')

export type StoredReport = {
  month: string; kind: ReportKind; messageId: string; report: Buffer; builtAt: Date
  attempts: number; lastOutcome: DeliveryOutcome['outcome'] | null; lastDetail: string | null; lastAttemptAt: Date | null; sentAt: Date | null
}

type Row = { month: string; kind: ReportKind; message_id: string; report: Buffer; built_at: Date; attempts: number; last_outcome: DeliveryOutcome['outcome'] | null; last_detail: string | null; last_attempt_at: Date | null; sent_at: Date | null }
const stored = (r: Row): StoredReport => ({
  month: r.month, kind: r.kind, messageId: r.message_id, report: r.report, builtAt: r.built_at,
  attempts: r.attempts, lastOutcome: r.last_outcome, lastDetail: r.last_detail, lastAttemptAt: r.last_attempt_at, sentAt: r.sent_at,
})

export async function storedReports(db: Db, month: string): Promise<StoredReport[]> {
  const { rows } = await db.query<Row>('SELECT * FROM peppol_reports WHERE month = $1 ORDER BY kind DESC', [month])
  return rows.map(stored)
}

/**
 * The reports of a month as they are (or will be) sent: those kept earlier as they are, the others built, checked
 * and kept now. A report that fails OpenPeppol's rules is not kept: `refused` has it with its findings.
 */
export async function keepReports(db: Db, month: string, reporterSeat: string, rules: readonly ReportRules[]): Promise<{ kept: StoredReport[]; refused: BuiltReport[] }> {
  const before = await storedReports(db, month)
  const missing = reportKinds.filter((k) => !before.some((r) => r.kind === k))
  const refused: BuiltReport[] = []
  if (missing.length > 0) {
    for (const built of (await buildReports(db, month, reporterSeat, rules)).filter((b) => missing.includes(b.kind))) {
      if (blocking(built.findings).length > 0) { refused.push(built); continue }
      // Another forwarder may keep the same report at the same moment: the first one stays.
      await db.query('INSERT INTO peppol_reports (month, kind, message_id, report) VALUES ($1, $2, $3, $4) ON CONFLICT (month, kind) DO NOTHING',
        [month, built.kind, `${randomUUID()}@facteur`, Buffer.from(built.xml)])
    }
  }
  return { kept: await storedReports(db, month), refused }
}

/** How long one sender holds a report it is sending (a second sender waits; the lease outlasts an attempt). */
const LEASE_SECONDS = 300

/**
 * Sends one kept report to OpenPeppol over AS4, unless it was sent already or another sender holds it. The
 * outcome is recorded on the report (attempts, last outcome and detail, sent_at once a receipt verified).
 */
export async function sendReport(options: PeppolChannelOptions & { country: string }, report: StoredReport): Promise<DeliveryOutcome | { outcome: 'busy'; detail: string }> {
  const { db } = options
  if (report.sentAt) return { outcome: 'delivered', detail: `sent on ${report.sentAt.toISOString()}` }
  const claimed = await db.query(`UPDATE peppol_reports SET attempts = attempts + 1, last_attempt_at = now(), lease_until = now() + make_interval(secs => $3)
     WHERE month = $1 AND kind = $2 AND sent_at IS NULL AND (lease_until IS NULL OR lease_until < now()) RETURNING 1`, [report.month, report.kind, LEASE_SECONDS])
  if (claimed.rowCount === 0) return { outcome: 'busy', detail: 'another sender is sending it, or it was sent meanwhile' }
  const envelope = reportEnvelope(report.kind, { reporterSeat: options.peppol.seatId, countryC1: options.country, instanceId: report.messageId, createdAt: report.builtAt })
  let outcome: DeliveryOutcome
  try {
    outcome = await sendOverPeppol(options, { messageId: report.messageId, documentId: null, conversationId: report.messageId, envelope, payload: report.report, countryC4: null })
  } catch (error) {
    outcome = { outcome: 'retry-later', detail: (error as Error).message }
  }
  await db.query(`UPDATE peppol_reports SET last_outcome = $3, last_detail = $4, lease_until = NULL, sent_at = CASE WHEN $3 = 'delivered' THEN now() ELSE sent_at END
     WHERE month = $1 AND kind = $2`, [report.month, report.kind, outcome.outcome, outcome.detail])
  return outcome
}

/**
 * The hub's country as a service provider (COUNTRY_C1 of its reports): FACTEUR_PEPPOL_COUNTRY, else the C= of its AP
 * certificate's subject (`C=FR, O=…, CN=POP000001`), else null.
 */
export const reporterCountry = (configured: string | null, peppol: PeppolIdentity): string | null =>
  configured ?? /(?:^|[,/]\s*)C=([A-Z]{2})\s*(?:[,/]|$)/.exec(peppol.identity.certificate.subject)?.[1] ?? null

/** The month `at` is in (UTC), 'YYYY-MM'. */
export const monthOf = (at: Date) => `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`

/** The month before the one `at` is in (UTC), 'YYYY-MM'. */
export const previousMonth = (at: Date) => monthOf(new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1)))

/** Records that the hub is on the Peppol network in the month `at` is in (peppol_months): that month will be reported. */
export async function onTheNetwork(db: Db, seatId: string, at: Date): Promise<void> {
  await db.query('INSERT INTO peppol_months (month, seat_id) VALUES ($1, $2) ON CONFLICT (month) DO NOTHING', [monthOf(at), seatId])
}

export type ReportSenderOptions = PeppolChannelOptions & {
  log: Logger
  country: string | null
  rules: () => Promise<readonly ReportRules[]>
  /** Between two looks (default one hour). */
  everyMs?: number
  /** After a permanent failure, the next try (default one day): an operator may fix the cause meanwhile. */
  afterFailureMs?: number
  /** Receipts that come just after midnight still count for the month that ended: wait this long (default 1 h). */
  graceMs?: number
  now?: () => Date
}

/**
 * Sends last month's two reports once it is over, then looks again every hour until both have a receipt;
 * everything it does is logged. Only a month in which the hub was on the network is reported (peppol_months,
 * recorded at every look): a hub that joins in November reports November, not October. Returns a stop function.
 */
export function startReportSender(options: ReportSenderOptions): { stop(): Promise<void>; tick(): Promise<void> } {
  const { log } = options
  const now = options.now ?? (() => new Date())
  const everyMs = options.everyMs ?? 3_600_000
  const afterFailureMs = options.afterFailureMs ?? 86_400_000
  const graceMs = options.graceMs ?? 3_600_000
  let running: Promise<void> = Promise.resolve()
  let stopped = false

  const tick = async () => {
    await onTheNetwork(options.db, options.peppol.seatId, now())
    const month = previousMonth(now())
    if (now().getTime() < periodOf(month).to.getTime() + graceMs) return
    const on = await options.db.query('SELECT 1 FROM peppol_months WHERE month = $1', [month])
    if (on.rowCount === 0) return
    if (!options.country) {
      log.warn({ month }, 'Peppol monthly reports not sent: the hub\'s country is unknown (set FACTEUR_PEPPOL_COUNTRY, or use an AP certificate whose subject has C=)')
      return
    }
    const { kept, refused } = await keepReports(options.db, month, options.peppol.seatId, await options.rules())
    for (const r of refused) {
      log.error({ month, report: r.kind, findings: blocking(r.findings).slice(0, 10) }, `Peppol ${reportNames[r.kind]} of ${month} fails OpenPeppol's rules: not sent`)
    }
    for (const report of kept) {
      if (report.sentAt) continue
      if (report.lastOutcome === 'failed' && report.lastAttemptAt && now().getTime() - report.lastAttemptAt.getTime() < afterFailureMs) continue
      const outcome = await sendReport({ ...options, country: options.country }, report)
      const fields = { month, report: report.kind, messageId: report.messageId, outcome: outcome.outcome, detail: outcome.detail }
      if (outcome.outcome === 'delivered') log.info(fields, `Peppol ${reportNames[report.kind]} of ${month} sent to OpenPeppol`)
      else if (outcome.outcome !== 'busy') log.warn(fields, `Peppol ${reportNames[report.kind]} of ${month} not sent yet (${outcome.outcome === 'failed' ? 'tried again in a day' : 'tried again within the hour'})`)
    }
  }
  const guarded = () => {
    running = running.then(tick).catch((error: Error) => log.error({ err: error }, 'Peppol monthly reports: the attempt failed'))
    return running
  }
  const timer = setInterval(() => { if (!stopped) void guarded() }, everyMs)
  timer.unref()
  void guarded()
  return {
    tick: guarded,
    async stop() { stopped = true; clearInterval(timer); await running },
  }
}
