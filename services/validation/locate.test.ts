import { describe, expect, test } from 'vitest'
import { lineOf, parseLocation } from './locate.js'
import { parseXml, locatable } from './xml.js'

const INV = 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'
const CBC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'
const CAC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2'
const xml = `<?xml version="1.0"?>
<Invoice xmlns="${INV}" xmlns:cbc="${CBC}" xmlns:cac="${CAC}">
  <cbc:ID>F1</cbc:ID>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
  </cac:InvoiceLine>
  <cac:InvoiceLine>
    <cbc:ID>2</cbc:ID>
    <cbc:LineExtensionAmount currencyID="EUR">10</cbc:LineExtensionAmount>
  </cac:InvoiceLine>
</Invoice>`

describe('SVRL locations', () => {
  test('the ISO skeleton spelling is split into element steps, attributes ending the walk', () => {
    expect(parseLocation(`/*:Invoice[namespace-uri()='${INV}'][1]/*:InvoiceLine[namespace-uri()='${CAC}'][2]/@currencyID`))
      .toEqual([{ local: 'Invoice', ns: INV, position: 1 }, { local: 'InvoiceLine', ns: CAC, position: 2 }])
  })

  test('SchXslt EQNames with URIs holding slashes are one step each', () => {
    expect(parseLocation('/Q{http://example.org/a/b}Root[1]/Q{urn:x}Child[3]'))
      .toEqual([{ local: 'Root', ns: 'http://example.org/a/b', position: 1 }, { local: 'Child', ns: 'urn:x', position: 3 }])
  })

  test('not a path: null', () => {
    expect(parseLocation('line 3')).toBeNull()
  })

  const doc = parseXml(xml)
  const root = locatable(doc.root)
  test.each([
    [`/*:Invoice[namespace-uri()='${INV}'][1]`, 2],
    [`/*:Invoice[namespace-uri()='${INV}'][1]/*:ID[namespace-uri()='${CBC}'][1]`, 3],
    [`/*:Invoice[namespace-uri()='${INV}'][1]/*:InvoiceLine[namespace-uri()='${CAC}'][2]/*:LineExtensionAmount[namespace-uri()='${CBC}'][1]/@currencyID`, 9],
    [`/Q{${INV}}Invoice[1]/Q{${CAC}}InvoiceLine[2]/Q{${CBC}}ID[1]`, 8],
    [`/*:Invoice[namespace-uri()='${INV}'][1]/*:InvoiceLine[namespace-uri()='${CAC}'][7]`, 2],
  ])('%s is on line %i', (location, line) => {
    expect(lineOf(root, location)).toBe(line)
  })

  test('a path from another root finds nothing', () => {
    expect(lineOf(root, '/Q{urn:x}Other[1]')).toBeNull()
  })
})
