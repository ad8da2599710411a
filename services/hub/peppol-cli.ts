// `npx facteur peppol report`: Peppol's monthly reports of one month, by hand (the forwarder sends last month's on
// its own when FACTEUR_PEPPOL_REPORTS=send): built from what the hub exchanged over AS4, checked against
// OpenPeppol's rules, written as the SBDH-wrapped XML that is sent, and with --send sent to OpenPeppol over AS4
// (forwarder/peppol-reports.ts). In the hub's folder because it brings together the validation service's
// artefacts (OpenPeppol's rules, pinned and compiled at install) and the forwarder's sending.
import { randomUUID } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createDb } from '../kit/db.js'
import { FacteurError } from '../kit/errors.js'
import { configFor } from '../gateway/ops-cli.js'
import { ensureReportingArtefacts } from '../validation/artefacts.js'
import {
  blocking, buildReports, keepReports, previousMonth, reportKinds, reportNames, reporterCountry, sendReport, storedReports, type StoredReport,
} from '../forwarder/peppol-reports.js'
import { checkChain, peppolIdentityFromConfig } from '../peppol/pki.js'
import { createSmpClient } from '../peppol/smp-client.js'
import { dnsNaptrResolver } from '../peppol/bdxl.js'
import { periodOf, reportEnvelope, type ReportKind } from '../peppol/reporting.js'
import { wrap } from '../peppol/sbdh.js'
import type { Finding } from '../../schemas/events.js'

const usage = `usage: facteur peppol report [--month YYYY-MM] [--out DIR] [--send]

report   Peppol's monthly reports of a month (default: the month before this one, in UTC): the Transaction
         Statistics Report (TSR 1.0) and the End User Statistics Report (EUSR 1.1), built from what this hub
         exchanged over AS4 (what it sent, counted when the receipt came; what it received), checked against
         OpenPeppol's rules (XSD and Schematron, pinned in schematron/packs.json), and written to DIR as the
         SBDH-wrapped XML that is sent to OpenPeppol: peppol-tsr-YYYY-MM.xml and peppol-eusr-YYYY-MM.xml.
         A report kept for sending (by --send, or by the forwarder) is written as it was kept.

options:
  --month YYYY-MM   the month (UTC)
  --out DIR         where to write the two files (default: the current directory)
  --send            also send them to OpenPeppol (9925:be0848934496) over AS4, found by SMP like any receiver;
                    a report is kept with its MessageId at the first attempt and sent once: a report already sent
                    is not sent again, and a retry sends the same message
  -h, --help        this text

Settings are the hub's (Peppol on: FACTEUR_PEPPOL_SEAT_ID and its keys; FACTEUR_PEPPOL_COUNTRY or the C= of the
AP certificate; DATABASE_URL, or the hub npm start runs). Exit code 0 when written (and sent), 1 when a report
fails OpenPeppol's rules or could not be sent, 2 on a usage or settings error.`

export type PeppolCliOptions = { env?: NodeJS.ProcessEnv; now?: () => Date; out?: (text: string) => void; err?: (text: string) => void }

const describeFindings = (findings: Finding[]) => blocking(findings).slice(0, 20).map((f) => `    ${f.ruleId} ${f.message}${f.location && f.location !== '/' ? ` (${f.location})` : ''}`)

export async function main(argv: string[], options: PeppolCliOptions = {}): Promise<number> {
  const out = options.out ?? ((t: string) => { process.stdout.write(t) })
  const err = options.err ?? ((t: string) => { process.stderr.write(t) })
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { month: { type: 'string' }, out: { type: 'string' }, send: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  } catch (error) {
    err(`facteur peppol: ${(error as Error).message}\n${usage}\n`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) { out(`${usage}\n`); return 0 }
  if (positionals.length !== 1 || positionals[0] !== 'report') { err(`${usage}\n`); return 2 }
  const fail = (message: string) => { err(`facteur peppol report: ${message}\n`); return 2 }

  const month = values.month ?? previousMonth((options.now ?? (() => new Date()))())
  let config, peppol
  try {
    periodOf(month)
    config = configFor(options.env ?? process.env)
    peppol = peppolIdentityFromConfig(config)
  } catch (error) {
    if (error instanceof FacteurError) return fail(error.message)
    throw error
  }
  if (!peppol) return fail('Peppol is off in these settings (FACTEUR_PEPPOL_SEAT_ID and its keys): the reports are those of an access point, named by its seat id')
  const country = reporterCountry(config.peppolCountry, peppol)
  if (!country) return fail(`the hub's country is unknown: set FACTEUR_PEPPOL_COUNTRY (its AP certificate's subject, ${peppol.identity.certificate.subject}, has no C=)`)
  const dir = resolve(values.out ?? '.')
  mkdirSync(dir, { recursive: true })

  const rules = await ensureReportingArtefacts({ onProgress: (m) => err(`facteur: ${m}\n`) })
  const db = createDb(config.databaseUrl, { max: 2, application: 'facteur-peppol-report' })
  try {
    const write = (kind: ReportKind, xml: string | Buffer, instanceId: string, createdAt: Date) => {
      const file = join(dir, `peppol-${kind}-${month}.xml`)
      writeFileSync(file, wrap(reportEnvelope(kind, { reporterSeat: peppol.seatId, countryC1: country, instanceId, createdAt }), xml))
      return file
    }
    const keptLine = (r: StoredReport, file: string) =>
      `${reportNames[r.kind]} of ${month}: kept for sending on ${r.builtAt.toISOString()} (MessageId ${r.messageId}), written to ${file}` +
      (r.sentAt ? `; sent on ${r.sentAt.toISOString()}` : r.lastOutcome ? `; last attempt: ${r.lastOutcome}, ${r.lastDetail}` : '; not sent yet')
    let refusedAny = false

    if (!values.send) {
      const kept = await storedReports(db, month)
      for (const built of await buildReports(db, month, peppol.seatId, rules)) {
        const stored = kept.find((r) => r.kind === built.kind)
        if (stored) { out(`${keptLine(stored, write(stored.kind, stored.report, stored.messageId, stored.builtAt))}\n`); continue }
        const failing = blocking(built.findings)
        if (failing.length > 0) refusedAny = true
        const file = write(built.kind, built.xml, randomUUID(), new Date())
        out(`${reportNames[built.kind]} of ${month}: ${built.exchanges} AS4 exchange(s); OpenPeppol's rules: ${failing.length === 0 ? 'passed' : `${failing.length} failed`}; written to ${file}\n`)
        if (failing.length > 0) out(`${describeFindings(built.findings).join('\n')}\n`)
      }
      return refusedAny ? 1 : 0
    }

    const smp = createSmpClient({
      smlZone: peppol.smlZone, smpUrl: peppol.smpUrl, resolveNaptr: dnsNaptrResolver(),
      trust: (der) => { const c = checkChain(der, peppol.smpCAs, new Date(), { usage: 'smp' }); return c.ok ? { ok: true } : { ok: false, reason: c.message } },
    })
    const { kept, refused } = await keepReports(db, month, peppol.seatId, rules)
    for (const r of refused) {
      refusedAny = true
      out(`${reportNames[r.kind]} of ${month}: fails OpenPeppol's rules, not sent:\n${describeFindings(r.findings).join('\n')}\n`)
    }
    let unsent = false
    for (const kind of reportKinds) {
      const report = kept.find((r) => r.kind === kind)
      if (!report) continue
      const file = write(kind, report.report, report.messageId, report.builtAt)
      const outcome = await sendReport({ db, peppol, smp, http: { timeoutMs: config.deliveryTimeoutMs, allowedHosts: config.deliveryAllowedHosts }, country }, report)
      if (outcome.outcome !== 'delivered') unsent = true
      out(`${reportNames[kind]} of ${month} (MessageId ${report.messageId}, written to ${file}): ${outcome.outcome === 'delivered' ? 'sent' : outcome.outcome === 'busy' ? 'being sent by another process' : `not sent (${outcome.outcome})`}: ${outcome.detail}\n`)
    }
    return refusedAny || unsent ? 1 : 0
  } finally {
    await db.end()
  }
}
