// The loader and the engine on a small stylesheet in the ISO skeleton's shape: rules as data, the first
// (highest-priority) matching rule of a pattern takes the node, asserts fire when false and reports when
// true, lets, value-of in messages, locations, and a dynamic error turning into one fatal finding.
import { describe, expect, test } from 'vitest'
import { loadXslt } from './load-xslt.js'
import { createNativePack } from './engine.js'

const assert = (test: string, id: string, flag: string, text: string) => `
<xsl:choose><xsl:when test="${test}"/><xsl:otherwise>
  <svrl:failed-assert test="${test}">
    <xsl:attribute name="id">${id}</xsl:attribute><xsl:attribute name="flag">${flag}</xsl:attribute>
    <xsl:attribute name="location"><xsl:apply-templates select="." mode="schematron-select-full-path"/></xsl:attribute>
    <svrl:text>${text}</svrl:text>
  </svrl:failed-assert></xsl:otherwise></xsl:choose>`
const report = (test: string, id: string, text: string) => `
<xsl:if test="${test}">
  <svrl:successful-report test="${test}">
    <xsl:attribute name="id">${id}</xsl:attribute><xsl:attribute name="flag">warning</xsl:attribute>
    <xsl:attribute name="location"><xsl:apply-templates select="." mode="schematron-select-full-path"/></xsl:attribute>
    <svrl:text>${text}</svrl:text>
  </svrl:successful-report></xsl:if>`
const rule = (match: string, priority: number, body: string, mode = 'M1') => `
<xsl:template match="${match}" priority="${priority}" mode="${mode}">
  <svrl:fired-rule context="${match}"/>${body}
  <xsl:apply-templates select="@*|*" mode="${mode}"/>
</xsl:template>`

const stylesheet = `<?xml version="1.0"?>
<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:svrl="http://purl.oclc.org/dsdl/svrl"
    xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t">
  <xsl:template match="/">
    <svrl:schematron-output>
      <svrl:active-pattern><xsl:attribute name="id">first</xsl:attribute><xsl:apply-templates/></svrl:active-pattern>
      <xsl:apply-templates select="/" mode="M1"/>
      <svrl:active-pattern><xsl:attribute name="id">second</xsl:attribute><xsl:apply-templates/></svrl:active-pattern>
      <xsl:apply-templates select="/" mode="M2"/>
    </svrl:schematron-output>
  </xsl:template>
  ${rule('t:Line[t:Special]', 1002, assert('false()', 'SPECIAL', 'fatal', 'special line'))}
  ${rule('t:Line', 1001, `<xsl:variable name="amount" select="xs:decimal(t:Amount)"/>${assert('$amount &gt; 0', 'POSITIVE', 'fatal', 'Amount <xsl:value-of select="$amount"/> <xsl:value-of select="t:Amount/@unit"/>  must be\n positive')}`)}
  ${rule('t:Amount/@unit', 1000, report(". = 'kg'", 'KG', 'kilograms'))}
  <xsl:template match="text()" priority="-1" mode="M1"/>
  <xsl:template match="@*|node()" priority="-2" mode="M1"><xsl:apply-templates select="@*|*" mode="M1"/></xsl:template>
  ${rule('/t:Doc', 1000, assert('count(t:Line) &lt; 3', 'COUNT', 'warning', 'at most two lines'), 'M2')}
  ${rule('t:Line', 999, assert('sum(t:Amount) != 1', 'SUM', 'fatal', 'x'), 'M2')}
  <xsl:template match="text()" priority="-1" mode="M2"/>
  <xsl:template match="@*|node()" priority="-2" mode="M2"><xsl:apply-templates select="@*|*" mode="M2"/></xsl:template>
</xsl:stylesheet>`

const ref = { pack: 'test', version: '0' }

describe('load-xslt', () => {
  test('patterns, rules by priority, lets, asserts, reports and message parts', () => {
    const data = loadXslt(stylesheet)
    expect(data.unsupported).toEqual([])
    expect(data.patterns.map((p) => [p.mode, p.id, p.rules.length])).toEqual([['M1', 'first', 3], ['M2', 'second', 2]])
    const [special, line, unit] = data.patterns[0]!.rules
    expect([special!.context, line!.context, unit!.context]).toEqual(['t:Line[t:Special]', 't:Line', 't:Amount/@unit'])
    expect(line!.body[0]).toEqual({ let: { name: 'amount', select: 'xs:decimal(t:Amount)' } })
    expect(line!.body[1]).toMatchObject({ check: { kind: 'assert', test: '$amount > 0', id: 'POSITIVE', flag: 'fatal', location: '.' } })
    // the whitespace-only text between the two value-ofs is stripped from the stylesheet (XSLT 2.0 §4.2)
    expect((line!.body[1] as { check: { message: unknown } }).check.message).toEqual([{ text: 'Amount ' }, { select: '$amount' }, { select: 't:Amount/@unit' }, { text: '  must be\n positive' }])
    expect(unit!.body[0]).toMatchObject({ check: { kind: 'report', id: 'KG' } })
  })

  test('what it cannot read is listed, so the engine refuses the pack', () => {
    const data = loadXslt(stylesheet.replace('<xsl:template match="/">', '<xsl:function name="t:f"/><xsl:template match="/">'))
    expect(data.unsupported).toEqual(['xsl:function t:f'])
    expect(() => createNativePack(data, ref)).toThrow(/not supported/)
  })
})

describe('engine', () => {
  const pack = createNativePack(loadXslt(stylesheet), ref)
  const doc = (lines: string) => `<t:Doc xmlns:t="urn:t">${lines}</t:Doc>`

  test('first matching rule per pattern; asserts, reports, lets, messages and locations', () => {
    const findings = pack.runText(doc('<t:Line><t:Amount unit="kg">-1.50</t:Amount></t:Line><t:Line><t:Special/><t:Amount>-2</t:Amount></t:Line><t:Line><t:Amount>1</t:Amount></t:Line>'))
    expect(findings.map((f) => [f.ruleId, f.severity, f.location, f.message])).toEqual([
      ['POSITIVE', 'fatal', "/*:Doc[namespace-uri()='urn:t'][1]/*:Line[namespace-uri()='urn:t'][1]", 'Amount -1.5kg must be positive'],
      ['KG', 'warning', "/*:Doc[namespace-uri()='urn:t'][1]/*:Line[namespace-uri()='urn:t'][1]/*:Amount[namespace-uri()='urn:t'][1]/@unit", 'kilograms'],
      // the special line is taken by the higher-priority rule only: no POSITIVE for it
      ['SPECIAL', 'fatal', "/*:Doc[namespace-uri()='urn:t'][1]/*:Line[namespace-uri()='urn:t'][2]", 'special line'],
      ['COUNT', 'warning', "/*:Doc[namespace-uri()='urn:t'][1]", 'at most two lines'],
      ['SUM', 'fatal', "/*:Doc[namespace-uri()='urn:t'][1]/*:Line[namespace-uri()='urn:t'][3]", 'x'],
    ])
    expect(findings.every((f) => f.pack === 'test' && f.packVersion === '0' && f.line === null)).toBe(true)
  })

  test('a dynamic error gives one fatal FACTEUR-RULE-ERROR and nothing else', () => {
    const findings = pack.runText(doc('<t:Line><t:Amount>12,5</t:Amount></t:Line><t:Line><t:Special/><t:Amount>1</t:Amount></t:Line>'))
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({ ruleId: 'FACTEUR-RULE-ERROR', severity: 'fatal', location: '/' })
    expect(findings[0]!.message).toMatch(/FORG0001/)
  })
})
