// The monthly reports read as OpenPeppol reads them: a realistic month counted by hand, then the produced XML
// parsed and compared with those counts; each report checked by OpenPeppol's own XSD and Schematron
// (schematron/packs.json `reporting`, prepared here when the cache lacks them), and a broken one caught by them.
import { beforeAll, describe, expect, it } from 'vitest'
import { XmlDocument, XmlElement } from 'libxml2-wasm'
import { ensureReportingArtefacts, type ResolvedReporting } from '../validation/artefacts.js'
import {
  EUSR_DOCUMENT_TYPE, OPENPEPPOL_RECEIVER, REPORTING_PROCESS, TSR_DOCUMENT_TYPE, endUserStatisticsReport, periodOf,
  reportEnvelope, transactionStatisticsReport, type Exchange,
} from './reporting.js'
import { checkReport } from './reporting-check.js'
import { SBDH_NS, wrap } from './sbdh.js'

const INVOICE = 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1'
const CREDIT_NOTE = 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2::CreditNote##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1'
const ORDER = 'urn:oasis:names:specification:ubl:schema:xsd:Order-2::Order##urn:fdc:peppol.eu:poacc:trns:order:3::2.1'
const BILLING = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0'
const ORDERING = 'urn:fdc:peppol.eu:poacc:bis:ordering:3'

// The hub's customers (the end users it reports) and their trading partners elsewhere.
const A = '0009:11000201100044' // FR, sends and receives
const B = '0009:73282932000074' // FR, sends; its one received invoice does not say its country
const C = '0208:0123456789' // BE, sends an order, receives invoices
const D = '9925:be0999999999' // receives only, country never known; written in two cases
const X = '0088:5790000435975' // DK
const Y = '9925:be0123456789' // BE
const Z = '0192:999999999' // NO

const ex = (direction: Exchange['direction'], peerSeat: string, documentType: string, process: string,
  originalSender: string, finalRecipient: string, countryC1: string, countryC4: string | null): Exchange =>
  ({ direction, peerSeat, documentType, process, originalSender, finalRecipient, countryC1, countryC4 })

// A month as the caller gives it: the rows of that month only (picking them with periodOf is the caller's part).
const month: Exchange[] = [
  ex('outgoing', 'PDK000003', INVOICE, BILLING, A, X, 'FR', 'DK'),
  ex('outgoing', 'PDK000003', INVOICE, BILLING, A, X, 'FR', 'DK'),
  ex('outgoing', 'POP000002', CREDIT_NOTE, BILLING, A, Y, 'FR', 'BE'),
  ex('outgoing', 'PNO000004', ORDER, ORDERING, C, Z, 'BE', null),
  ex('outgoing', 'POP000002', INVOICE, BILLING, B, Y, 'FR', 'BE'),
  ex('incoming', 'PDK000003', INVOICE, BILLING, X, A, 'DK', 'FR'),
  ex('incoming', 'POP000002', INVOICE, BILLING, Y, B, 'BE', null),
  ex('incoming', 'PNO000004', INVOICE, BILLING, Z, C, 'NO', 'BE'),
  ex('incoming', 'PNO000004', INVOICE, BILLING, Z, C, 'NO', 'BE'),
  ex('incoming', 'POP000002', CREDIT_NOTE, BILLING, Y, D.toUpperCase(), 'BE', null),
  ex('incoming', 'POP000002', INVOICE, BILLING, Y, D, 'BE', null),
  // Last month's report, sent this month: reports are never counted.
  ex('outgoing', 'PBE000001', TSR_DOCUMENT_TYPE.value, REPORTING_PROCESS.value, '0242:000001', OPENPEPPOL_RECEIVER.value, 'FR', 'BE'),
]
const input = { month: '2025-03', reporterSeat: 'POP000001', exchanges: month }

type Row = { type: string; keys: string[]; counts: number[] }

/** Total / FullSet counts and each Subtotal / Subset as `type`, key values (metaSchemeID:schemeID:value), counts. */
function read(xml: string): { total: number[]; rows: Row[] } {
  const doc = XmlDocument.fromString(xml)
  try {
    const children = (el: XmlElement) => el.find('*').filter((n): n is XmlElement => n instanceof XmlElement)
    const counts = (el: XmlElement) => children(el).filter((c) => c.name !== 'Key').map((c) => Number(c.content))
    const parts = children(doc.root)
    return {
      total: counts(parts.find((p) => p.name === 'Total' || p.name === 'FullSet')!),
      rows: parts.filter((p) => p.name === 'Subtotal' || p.name === 'Subset').map((p) => ({
        type: p.attrs.find((a) => a.name === 'type')!.value,
        keys: children(p).filter((c) => c.name === 'Key').map((k) => `${k.attrs.find((a) => a.name === 'metaSchemeID')!.value}:${k.attrs.find((a) => a.name === 'schemeID')!.value}:${k.content}`),
        counts: counts(p),
      })),
    }
  } finally {
    doc.dispose()
  }
}

const sp = (seat: string) => `SP:CertSubjectCN:${seat}`
const dt = (type: string) => `DT:busdox-docid-qns:${type}`
const pr = (process: string) => `PR:cenbii-procid-ubl:${process}`
const cc = (scheme: string, code: string) => `CC:${scheme}:${code}`
const euc = (code: string) => cc('EndUserCountry', code)
const exactly = (rows: Row[], expected: Row[]) => { expect(rows).toHaveLength(expected.length); expect(rows).toEqual(expect.arrayContaining(expected)) }

describe('periodOf', () => {
  it('gives the first and last day and the UTC bounds of a month', () => {
    expect(periodOf('2024-02')).toEqual({ month: '2024-02', start: '2024-02-01', end: '2024-02-29', from: new Date('2024-02-01T00:00:00Z'), to: new Date('2024-03-01T00:00:00Z') })
    expect(periodOf('2025-12')).toMatchObject({ end: '2025-12-31', to: new Date('2026-01-01T00:00:00Z') })
  })

  it.each(['2025-13', '2025-1', '25-01', '2025-01-01', ''])('refuses the month %j, saying how to write one', (bad) => {
    expect(() => periodOf(bad)).toThrow(/YYYY-MM/)
  })
})

describe('transactionStatisticsReport', () => {
  const tsr = read(transactionStatisticsReport(input))

  it('counts each message once, incoming and outgoing, reports left out', () => {
    expect(tsr.total).toEqual([6, 5])
  })

  it('gives the subtotals per transport protocol and per peer, document type and process, adding up to the total', () => {
    exactly(tsr.rows.filter((r) => r.type !== 'PerSP-DT-PR-CC'), [
      { type: 'PerTP', keys: ['TP:Peppol:peppol-transport-as4-v2_0'], counts: [6, 5] },
      { type: 'PerSP-DT-PR', keys: [sp('PDK000003'), dt(INVOICE), pr(BILLING)], counts: [1, 2] },
      { type: 'PerSP-DT-PR', keys: [sp('POP000002'), dt(CREDIT_NOTE), pr(BILLING)], counts: [1, 1] },
      { type: 'PerSP-DT-PR', keys: [sp('PNO000004'), dt(ORDER), pr(ORDERING)], counts: [0, 1] },
      { type: 'PerSP-DT-PR', keys: [sp('POP000002'), dt(INVOICE), pr(BILLING)], counts: [2, 1] },
      { type: 'PerSP-DT-PR', keys: [sp('PNO000004'), dt(INVOICE), pr(BILLING)], counts: [2, 0] },
    ])
  })

  it('gives the countries of incoming messages only, an unknown receiver country as ZZ', () => {
    exactly(tsr.rows.filter((r) => r.type === 'PerSP-DT-PR-CC'), [
      { type: 'PerSP-DT-PR-CC', keys: [sp('PDK000003'), dt(INVOICE), pr(BILLING), cc('SenderCountry', 'DK'), cc('ReceiverCountry', 'FR')], counts: [1, 0] },
      { type: 'PerSP-DT-PR-CC', keys: [sp('POP000002'), dt(INVOICE), pr(BILLING), cc('SenderCountry', 'BE'), cc('ReceiverCountry', 'ZZ')], counts: [2, 0] },
      { type: 'PerSP-DT-PR-CC', keys: [sp('PNO000004'), dt(INVOICE), pr(BILLING), cc('SenderCountry', 'NO'), cc('ReceiverCountry', 'BE')], counts: [2, 0] },
      { type: 'PerSP-DT-PR-CC', keys: [sp('POP000002'), dt(CREDIT_NOTE), pr(BILLING), cc('SenderCountry', 'BE'), cc('ReceiverCountry', 'ZZ')], counts: [1, 0] },
    ])
  })

  it('gives the same report for the month grouped (one row per distinct exchange, with its count) as for every message', () => {
    const grouped = new Map<string, Exchange>()
    for (const e of month) {
      const key = JSON.stringify({ ...e, count: undefined })
      const before = grouped.get(key)
      grouped.set(key, { ...e, count: (before?.count ?? 0) + 1 })
    }
    expect(grouped.size).toBeLessThan(month.length)
    const groupedInput = { ...input, exchanges: [...grouped.values()] }
    expect(transactionStatisticsReport(groupedInput)).toBe(transactionStatisticsReport(input))
    expect(endUserStatisticsReport(groupedInput)).toBe(endUserStatisticsReport(input))
  })

  it('gives the same bytes whatever the order of the exchanges', () => {
    expect(transactionStatisticsReport({ ...input, exchanges: [...month].reverse() })).toBe(transactionStatisticsReport(input))
  })
})

describe('endUserStatisticsReport', () => {
  const eusr = read(endUserStatisticsReport(input))

  it('counts distinct end users of the hub: C1 of what it sent, C4 of what it received, ids compared case-insensitively', () => {
    // Sending: A, B, C. Receiving: A, B, C, D. Either: A, B, C, D.
    expect(eusr.total).toEqual([3, 4, 4])
  })

  it('gives the subsets per document type and process', () => {
    exactly(eusr.rows.filter((r) => r.type === 'PerDT-PR'), [
      { type: 'PerDT-PR', keys: [dt(INVOICE), pr(BILLING)], counts: [2, 4, 4] },
      { type: 'PerDT-PR', keys: [dt(CREDIT_NOTE), pr(BILLING)], counts: [1, 1, 2] },
      { type: 'PerDT-PR', keys: [dt(ORDER), pr(ORDERING)], counts: [1, 0, 1] },
    ])
  })

  it('gives the subsets per end-user country: B by the country it sends from, D (never known) in none', () => {
    exactly(eusr.rows.filter((r) => r.type === 'PerEUC'), [
      { type: 'PerEUC', keys: [euc('FR')], counts: [2, 2, 2] },
      { type: 'PerEUC', keys: [euc('BE')], counts: [1, 1, 1] },
    ])
    exactly(eusr.rows.filter((r) => r.type === 'PerDT-EUC'), [
      { type: 'PerDT-EUC', keys: [dt(INVOICE), euc('FR')], counts: [2, 2, 2] },
      { type: 'PerDT-EUC', keys: [dt(INVOICE), euc('BE')], counts: [0, 1, 1] },
      { type: 'PerDT-EUC', keys: [dt(CREDIT_NOTE), euc('FR')], counts: [1, 0, 1] },
      { type: 'PerDT-EUC', keys: [dt(ORDER), euc('BE')], counts: [1, 0, 1] },
    ])
    exactly(eusr.rows.filter((r) => r.type === 'PerDT-PR-EUC'), [
      { type: 'PerDT-PR-EUC', keys: [dt(INVOICE), pr(BILLING), euc('FR')], counts: [2, 2, 2] },
      { type: 'PerDT-PR-EUC', keys: [dt(INVOICE), pr(BILLING), euc('BE')], counts: [0, 1, 1] },
      { type: 'PerDT-PR-EUC', keys: [dt(CREDIT_NOTE), pr(BILLING), euc('FR')], counts: [1, 0, 1] },
      { type: 'PerDT-PR-EUC', keys: [dt(ORDER), pr(ORDERING), euc('BE')], counts: [1, 0, 1] },
    ])
  })

  it('leaves reports out and gives the same bytes whatever the order', () => {
    const withoutReports = month.filter((e) => e.documentType !== TSR_DOCUMENT_TYPE.value)
    expect(endUserStatisticsReport({ ...input, exchanges: withoutReports })).toBe(endUserStatisticsReport(input))
    expect(endUserStatisticsReport({ ...input, exchanges: [...month].reverse() })).toBe(endUserStatisticsReport(input))
  })
})

describe('the envelope of a report', () => {
  it.each([['tsr', TSR_DOCUMENT_TYPE, 'TransactionStatisticsReport', '1.0'], ['eusr', EUSR_DOCUMENT_TYPE, 'EndUserStatisticsReport', '1.1']] as const)(
    '%s goes from the service provider (0242) to OpenPeppol, announcing its own document type', (kind, documentType, root, version) => {
      const envelope = reportEnvelope(kind, { reporterSeat: 'POP000001', countryC1: 'FR', instanceId: 'c0ffee00-0000-4000-8000-000000000001', createdAt: new Date('2025-04-02T08:00:00Z') })
      expect(envelope).toMatchObject({ sender: { value: '0242:000001' }, receiver: { value: '9925:be0848934496' }, documentType, process: { value: 'urn:fdc:peppol.eu:edec:bis:reporting:1.0' }, countryC1: 'FR' })
      const report = kind === 'tsr' ? transactionStatisticsReport(input) : endUserStatisticsReport(input)
      const doc = XmlDocument.fromString(wrap(envelope, report))
      try {
        const text = (path: string) => (doc.get(path, { sh: SBDH_NS }) as XmlElement).content
        expect(text('//sh:DocumentIdentification/sh:Type')).toBe(root)
        expect(text('//sh:DocumentIdentification/sh:TypeVersion')).toBe(version)
        expect(text("//sh:Scope[sh:Type='DOCUMENTID']/sh:InstanceIdentifier")).toBe(documentType.value)
        expect(doc.root.find('*').map((n) => (n as XmlElement).name)).toEqual(['StandardBusinessDocumentHeader', root])
      } finally {
        doc.dispose()
      }
    })

  it('refuses a seat id that is not one', () => {
    expect(() => reportEnvelope('tsr', { reporterSeat: 'AP-1', countryC1: 'FR', instanceId: 'x', createdAt: new Date() })).toThrow(/FACTEUR_PEPPOL_SEAT_ID/)
  })
})

describe('OpenPeppol’s rules', () => {
  let rules: ResolvedReporting[]
  // Prepared (verified in the pinned jar, compiled to SEF) when the cache does not have them yet.
  beforeAll(async () => { rules = await ensureReportingArtefacts() }, 300_000)
  const errors = (kind: 'tsr' | 'eusr', xml: string) => checkReport(kind, xml, rules).filter((f) => f.severity === 'fatal')
  const empty = { ...input, exchanges: [] }

  it.each([
    ['the month', input],
    ['an empty month', empty],
    ['a month of reports only', { ...input, exchanges: month.slice(-1) }],
  ])('pass both reports of %s', (_, given) => {
    expect(errors('tsr', transactionStatisticsReport(given))).toEqual([])
    expect(errors('eusr', endUserStatisticsReport(given))).toEqual([])
  })

  it('still give an empty month a report with zero totals', () => {
    expect(read(transactionStatisticsReport(empty))).toEqual({ total: [0, 0], rows: [] })
    expect(read(endUserStatisticsReport(empty))).toEqual({ total: [0, 0, 0], rows: [] })
  })

  it('catch a total that the subtotals do not add up to (SCH-TSR-04)', () => {
    const broken = transactionStatisticsReport(input).replace('<Incoming>6</Incoming>', '<Incoming>7</Incoming>')
    expect(errors('tsr', broken).map((f) => f.ruleId)).toContain('SCH-TSR-04')
  })

  it('catch a subset larger than the full set (SCH-EUSR-03) and a reporter that is no seat id (SCH-TSR-18)', () => {
    const eusr = endUserStatisticsReport(input).replace('<SendingEndUsers>3</SendingEndUsers>', '<SendingEndUsers>1</SendingEndUsers>')
    expect(errors('eusr', eusr).map((f) => f.ruleId)).toContain('SCH-EUSR-03')
    expect(errors('tsr', transactionStatisticsReport({ ...input, reporterSeat: 'AP-1' })).map((f) => f.ruleId)).toContain('SCH-TSR-18')
  })

  it('catch a report the schema refuses before the rules run', () => {
    const broken = endUserStatisticsReport(input).replace(/<FullSet>[\s\S]*?<\/FullSet>/, '')
    expect(errors('eusr', broken)).toEqual([expect.objectContaining({ ruleId: 'FACTEUR-XSD', pack: 'xsd' })])
  })
})
