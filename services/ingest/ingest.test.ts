import { describe, expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ingest } from './ingest.js'
import { isoDate } from './extract-keys.js'

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url)))
const limits = { maxBytes: 1 << 20, maxDepth: 64 }

describe('ingest of our fixtures', () => {
  test('a UBL invoice: syntax and every key, amounts as written', () => {
    const out = ingest(fixture('ubl-invoice.xml'), limits)
    expect(out).toEqual({
      ok: true, syntax: 'ubl-invoice',
      keys: {
        invoiceNumber: 'FCT-2026-0001', issueDate: '2026-11-20', typeCode: '380', currency: 'EUR',
        customizationId: 'urn:cen.eu:en16931:2017', profileId: null, buyerReference: 'SERV-FIN-01', orderReference: 'EJ-2026-000042',
        seller: { name: 'Atelier Numérique du Rhône SAS', legalId: { scheme: '0009', value: '73282932000074' }, vatId: 'FR44732829320', endpoint: { scheme: '0009', value: '73282932000074' } },
        buyer: { name: 'Commune de Démo', legalId: { scheme: '0009', value: '21750001600019' }, vatId: null, endpoint: { scheme: '0009', value: '21750001600019' } },
        totals: { lineExtension: '1250.00', taxExclusive: '1250.00', taxTotal: '250.00', taxInclusive: '1500.00', payable: '1500.00' },
      },
    })
  })

  test('a CII invoice: format-102 date made ISO, VAT number from schemeID VA, buyer URIID', () => {
    const out = ingest(fixture('cii-invoice.xml'), limits)
    expect(out.ok && out.syntax).toBe('cii')
    if (!out.ok) return
    expect(out.keys).toMatchObject({
      invoiceNumber: 'FCT-CII-2026-0007', issueDate: '2026-11-21', typeCode: '380', currency: 'EUR', buyerReference: 'SERV-TECH', orderReference: 'EJ-2026-000777',
      seller: { name: 'Lumière et Réseaux SARL', vatId: 'FR32356000000', legalId: { scheme: '0009', value: '35600000000048' } },
      buyer: { endpoint: { scheme: '0009', value: '21690123100011' } },
      totals: { lineExtension: '1200.00', taxExclusive: '1200.00', taxTotal: '240.00', taxInclusive: '1440.00', payable: '1440.00' },
    })
  })

  test('a UBL credit note: type code 381', () => {
    const out = ingest(fixture('ubl-creditnote.xml'), limits)
    expect(out.ok && [out.syntax, out.keys.typeCode, out.keys.invoiceNumber]).toEqual(['ubl-creditnote', '381', 'AV-2026-0003'])
  })
})

describe('ingest refusals', () => {
  test.each([
    ['a UBL Order', '<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>', 'FACTEUR-SYNTAX-UNSUPPORTED', /a UBL Order, not an invoice/],
    ['no namespace', '<Invoice/>', 'FACTEUR-SYNTAX-UNSUPPORTED', /Invoice \(no namespace\)/],
    ['an older CII namespace', '<x:CrossIndustryInvoice xmlns:x="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:13"/>', 'FACTEUR-SYNTAX-UNSUPPORTED', /CII namespace other than D16B/],
    ['a UBL invoice without BT-1', '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:IssueDate>2026-01-01</cbc:IssueDate></Invoice>', 'FACTEUR-KEY-MISSING-BT-1', /invoice number \(BT-1/],
    ['an XXE attempt', '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', 'FACTEUR-XML-DTD-FORBIDDEN', /DOCTYPE/],
    ['malformed XML', '<Invoice>\n<ID>1</Invoice>', 'FACTEUR-XML-MALFORMED', /line 2/],
  ])('%s is rejected with %s', (_name, xml, ruleId, message) => {
    const out = ingest(Buffer.from(xml), limits)
    expect(out.ok).toBe(false)
    if (!out.ok) {
      expect(out.findings[0]).toMatchObject({ ruleId, severity: 'fatal' })
      expect(out.findings[0]!.message).toMatch(message)
    }
  })

  test.each([['20261121', '2026-11-21'], ['2026-11-21', '2026-11-21'], [null, null]])('date %s reads as %s', (raw, iso) => {
    expect(isoDate(raw)).toBe(iso)
  })
})

describe('ingest bounds what travels on events', () => {
  test('a seller name over the key limit is refused, naming BT-27 and the limit', () => {
    const xml = fixture('ubl-invoice.xml').toString('utf8').replace('Atelier Numérique du Rhône SAS', 'A'.repeat(5_000))
    const out = ingest(Buffer.from(xml), limits)
    expect(out.ok).toBe(false)
    if (out.ok) return
    expect(out.findings).toHaveLength(1)
    expect(out.findings[0]).toMatchObject({ ruleId: 'FACTEUR-FIELD-TOO-LONG', severity: 'fatal' })
    expect(out.findings[0]!.message).toMatch(/^BT-27 is 5000 characters long; .* at most 1000/)
  })

  test('a name of exactly the limit is accepted', () => {
    const xml = fixture('ubl-invoice.xml').toString('utf8').replace('Atelier Numérique du Rhône SAS', 'A'.repeat(1_000))
    expect(ingest(Buffer.from(xml), limits).ok).toBe(true)
  })
})
