import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { XmlDocument } from 'libxml2-wasm'
import { sellerCountry, unwrap, wrap, type Envelope } from './sbdh.js'
import { documentTypeId, parseParticipant, processId, type PeppolId } from './identifiers.js'

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url))
const pid = (text: string): PeppolId => { const p = parseParticipant(text); if (!p.ok) throw new Error(p.reason); return p.id }
const PEPPOL_BIS = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0'

const envelope = (over: Partial<Envelope> = {}): Envelope => ({
  sender: pid('0009:73282932000074'), receiver: pid('0009:11000201100044'),
  documentType: documentTypeId('ubl-invoice', PEPPOL_BIS), process: processId('urn:fdc:peppol.eu:2017:poacc:billing:01:1.0'),
  countryC1: 'FR', instanceId: '4f0c2a4e-6a39-4d8e-9b8c-0f4a3c1b2d11', createdAt: new Date('2026-11-29T10:00:00Z'), ...over,
})

describe('identifiers', () => {
  it('derives the Peppol document type id from the syntax and the CustomizationID (Policy 4.x POLICY 7)', () => {
    expect(documentTypeId('ubl-invoice', PEPPOL_BIS).value).toBe(`urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##${PEPPOL_BIS}::2.1`)
    expect(documentTypeId('ubl-creditnote', PEPPOL_BIS).value).toBe(`urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2::CreditNote##${PEPPOL_BIS}::2.1`)
    expect(documentTypeId('cii', PEPPOL_BIS).value).toBe(`urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100::CrossIndustryInvoice##${PEPPOL_BIS}::D16B`)
  })

  it('reads participant ids with or without their scheme, and refuses others', () => {
    expect(pid('iso6523-actorid-upis::0088:123ABC')).toEqual({ scheme: 'iso6523-actorid-upis', value: '0088:123ABC' })
    for (const bad of ['88:1', '0088:', 'foo::0088:1', '0088 1', '']) expect(parseParticipant(bad).ok).toBe(false)
  })
})

describe('SBDH', () => {
  it('wraps an invoice and reads the same envelope and document back', () => {
    const wrapped = wrap(envelope(), fixture('ubl-invoice.xml'))
    const back = unwrap(wrapped)
    expect(back).toMatchObject({ ok: true, syntax: 'ubl-invoice', envelope: envelope() })
    if (!back.ok) return
    // The document out is the document in, up to C14N (same canonical form of the root element; a comment
    // before the root, as the fixture has, is not part of the business document).
    const canonical = (b: Buffer | string) => { const d = XmlDocument.fromString(b.toString()); try { return d.root.canonicalizeToString({ withComments: true }) } finally { d.dispose() } }
    expect(canonical(back.document)).toBe(canonical(fixture('ubl-invoice.xml')))
  })

  it('takes COUNTRY_C1 from the seller (BT-40) in both syntaxes', () => {
    expect(sellerCountry(fixture('ubl-invoice.xml'), 'ubl-invoice')).toBe('FR')
    expect(sellerCountry(fixture('cii-invoice.xml'), 'cii')).toBe('FR')
  })

  it('refuses envelopes that do not say what they carry', () => {
    const good = wrap(envelope(), fixture('ubl-invoice.xml'))
    const cases: [string, string, string][] = [
      ['no COUNTRY_C1', good.replace(/<Scope><Type>COUNTRY_C1<\/Type>.*?<\/Scope>/, ''), 'COUNTRY_C1'],
      ['two DOCUMENTID', good.replace('<BusinessScope>', `<BusinessScope>${/<Scope><Type>DOCUMENTID<\/Type>.*?<\/Scope>/.exec(good)![0]}`), 'DOCUMENTID'],
      ['another root than announced', wrap(envelope({ documentType: documentTypeId('ubl-creditnote', PEPPOL_BIS) }), fixture('ubl-invoice.xml')), 'announces'],
      ['a document type the hub does not read', wrap(envelope({ documentType: { scheme: 'busdox-docid-qns', value: 'urn:oasis:names:specification:ubl:schema:xsd:Order-2::Order##x::2.1' } }), fixture('ubl-invoice.xml')), 'not one this hub receives'],
      ['a sender without authority', good.replace('<Identifier Authority="iso6523-actorid-upis">0009:73282932000074', '<Identifier>0009:73282932000074'), 'Sender'],
      ['no business document', good.replace(/<\/StandardBusinessDocumentHeader>[\s\S]*<\/StandardBusinessDocument>/, '</StandardBusinessDocumentHeader></StandardBusinessDocument>'), 'exactly one business document'],
      ['a DOCTYPE', good.replace('<StandardBusinessDocument ', '<!DOCTYPE x [<!ENTITY e "e">]><StandardBusinessDocument '), 'DOCTYPE'],
      ['not XML', 'PK\u0003\u0004', 'not well-formed'],
    ]
    for (const [label, xml, reason] of cases) expect(unwrap(xml), label).toEqual({ ok: false, reason: expect.stringContaining(reason) })
  })
})
