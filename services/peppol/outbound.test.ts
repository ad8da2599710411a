import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { outboundEnvelope } from './outbound.js'

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8')
const BIS = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0'
const PROCESS = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0'

describe('what corner 2 reads from an invoice', () => {
  it('UBL: document type from BT-24, process from BT-23, parties from BT-34 / BT-49, COUNTRY_C1 from BT-40', () => {
    const ubl = fixture('ubl-invoice.xml').replace(/<cbc:CustomizationID>[^<]*<\/cbc:CustomizationID>/, `<cbc:CustomizationID>${BIS}</cbc:CustomizationID><cbc:ProfileID>${PROCESS}</cbc:ProfileID>`)
    expect(outboundEnvelope(Buffer.from(ubl))).toEqual({ ok: true, envelope: {
      syntax: 'ubl-invoice',
      documentType: { scheme: 'busdox-docid-qns', value: `urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##${BIS}::2.1` },
      process: { scheme: 'cenbii-procid-ubl', value: PROCESS },
      sender: { scheme: 'iso6523-actorid-upis', value: '0009:73282932000074' },
      receiver: { scheme: 'iso6523-actorid-upis', value: '0009:21750001600019' },
      countryC1: 'FR',
    } })
  })

  it('says what is missing to send it', () => {
    expect(outboundEnvelope(Buffer.from(fixture('ubl-invoice.xml')))).toEqual({ ok: false, reason: expect.stringContaining('BT-23') })
    expect(outboundEnvelope(Buffer.from(fixture('ubl-invoice.xml').replace(/<cbc:EndpointID schemeID="0009">21750001600019<\/cbc:EndpointID>/, '').replace('</cbc:CustomizationID>', `</cbc:CustomizationID><cbc:ProfileID>${PROCESS}</cbc:ProfileID>`))))
      .toEqual({ ok: false, reason: expect.stringContaining('BT-49') })
    expect(outboundEnvelope(Buffer.from('<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>'))).toEqual({ ok: false, reason: expect.stringContaining('cannot be sent over Peppol') })
  })
})
