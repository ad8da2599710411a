import { describe, expect, test } from 'vitest'
import { parseSvrl, parseSvrlBatch, ruleErrorFinding, severityOf } from './findings.js'

const en = { pack: 'en16931', version: '1.3.16' }

const svrl = `<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
  <svrl:fired-rule context="/ubl:Invoice"/>
  <svrl:failed-assert id="BR-CO-15" flag="fatal" location="/*:Invoice[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'][1]" test="x">
    <svrl:text>[BR-CO-15]-Invoice total amount with VAT (BT-112)
      = Invoice total amount without VAT (BT-109) + Invoice total VAT amount (BT-110).</svrl:text>
  </svrl:failed-assert>
  <svrl:failed-assert id="BR-S-08" flag="warning" location="/a[1]" test="y"><svrl:text>w</svrl:text></svrl:failed-assert>
  <svrl:successful-report id="R-1" flag="information" location="/b[1]" test="z"><svrl:text> info </svrl:text></svrl:successful-report>
  <svrl:failed-assert location="/c[1]" test="q"><svrl:text>no id, no flag</svrl:text></svrl:failed-assert>
</svrl:schematron-output>`

describe('SVRL', () => {
  test('each failed assert and successful report becomes a finding, text normalised', () => {
    expect(parseSvrl(svrl, en)).toEqual([
      { ruleId: 'BR-CO-15', severity: 'fatal', location: "/*:Invoice[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'][1]", message: '[BR-CO-15]-Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109) + Invoice total VAT amount (BT-110).', pack: 'en16931', packVersion: '1.3.16', line: null },
      { ruleId: 'BR-S-08', severity: 'warning', location: '/a[1]', message: 'w', pack: 'en16931', packVersion: '1.3.16', line: null },
      { ruleId: 'R-1', severity: 'information', location: '/b[1]', message: 'info', pack: 'en16931', packVersion: '1.3.16', line: null },
      { ruleId: '(no id)', severity: 'fatal', location: '/c[1]', message: 'no id, no flag', pack: 'en16931', packVersion: '1.3.16', line: null },
    ])
  })

  test('a clean report has no findings', () => {
    expect(parseSvrl('<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl"><svrl:fired-rule context="/"/></svrl:schematron-output>', en)).toEqual([])
  })

  test.each([['fatal', 'fatal'], ['error', 'fatal'], [null, 'fatal'], ['warning', 'warning'], ['WARNING', 'warning'], ['information', 'information'], ['info', 'information']] as const)('flag %s is %s', (flag, severity) => {
    expect(severityOf(flag)).toBe(severity)
  })

  test('a dynamic error of the rules is one fatal finding naming the error code', () => {
    const f = ruleErrorFinding(en, Object.assign(new Error('Cannot convert string "" to xs:decimal\nat line 3'), { code: 'err:FORG0001' }))
    expect(f).toMatchObject({ ruleId: 'FACTEUR-RULE-ERROR', severity: 'fatal', pack: 'en16931', packVersion: '1.3.16' })
    expect(f.message).toBe('the en16931 1.3.16 rules could not be evaluated on this document (FORG0001: Cannot convert string "" to xs:decimal)')
  })

  test('a batch gives one report per document, in order, empty ones included', () => {
    const batch = `<batch><svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl"/>${svrl}<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl"><svrl:failed-assert id="X" flag="warning" location="/x"><svrl:text>x</svrl:text></svrl:failed-assert></svrl:schematron-output></batch>`
    const reports = parseSvrlBatch(batch, en)
    expect(reports.map((r) => r.map((f) => f.ruleId))).toEqual([[], ['BR-CO-15', 'BR-S-08', 'R-1', '(no id)'], ['X']])
  })
})
