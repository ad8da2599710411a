// The loader and the engine on a small stylesheet in the ISO skeleton's shape: rules as data, the first
// (highest-priority) matching rule of a pattern takes the node, asserts fire when false and reports when
// true, lets, value-of in messages, locations, and a dynamic error turning into one fatal finding.
import { describe, expect, test } from 'vitest'
import { loadXslt } from './load-xslt.js'
import { createNativePack } from './engine.js'
import { loadSchematron } from './load-sch.js'

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
    const data = loadXslt(stylesheet.replace('<xsl:template match="/">', '<xsl:key name="k" match="t:Line" use="t:Amount"/><xsl:template match="/">'))
    expect(data.unsupported).toEqual(['xsl:key k'])
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

  test('a dynamic error while matching a rule context means "no match" (XSLT 3.0 §5.5.4): the next rule takes the node', () => {
    const sheet = stylesheet.replace("t:Line[t:Special]", "t:Line[t:Flag = false()]")
    const flagged = createNativePack(loadXslt(sheet), ref)
    // `M` cannot be cast to xs:boolean: the higher-priority rule does not match, t:Line (POSITIVE) does
    const findings = flagged.runText(doc('<t:Line><t:Flag>M</t:Flag><t:Amount>-1</t:Amount></t:Line>'))
    expect(findings.map((f) => f.ruleId)).toEqual(['POSITIVE'])
    expect(flagged.runText(doc('<t:Line><t:Flag>false</t:Flag><t:Amount>-1</t:Amount></t:Line>')).map((f) => f.ruleId)).toEqual(['SPECIAL'])
  })
})

describe('declarations: global variables, xsl:function, parenthesised patterns (Peppol, French CTC)', () => {
  const sheet = stylesheet
    .replace('<xsl:template match="/">', `
  <xsl:param name="unused"/>
  <xsl:variable name="lines" select="count(/t:Doc/t:Line)"/>
  <xsl:param name="broken" select="xs:decimal('x')"/>
  <xsl:variable name="twice" select="$lines * 2"/>
  <xsl:function name="t:digits" as="xs:integer">
    <xsl:param name="s" as="xs:string?"/>
    <xsl:sequence select="if (string-length($s) = 0) then 0 else xs:integer(substring($s, 1, 1)) + t:digits(substring($s, 2))"/>
  </xsl:function>
  <xsl:function name="t:big" as="xs:boolean">
    <xsl:param name="v" as="xs:decimal"/>
    <xsl:variable name="limit">100</xsl:variable>
    <xsl:choose>
      <xsl:when test="$v &lt; 0"><xsl:sequence select="false()"/></xsl:when>
      <xsl:otherwise><xsl:sequence select="$v &gt; xs:decimal($limit)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:function>
  <xsl:template match="/">`)
    .replace(`<xsl:template match="text()" priority="-1" mode="M2"/>`, `
  ${rule('/t:Doc', 1005, assert('$twice = 2 * count(t:Line)', 'GLOBAL', 'fatal', 'lines: <xsl:value-of select="$lines"/>'), 'M2')}
  ${rule('(t:Doc/t:Line | t:Other/t:Line)[t:Amount = 7]/t:Amount', 998, assert('t:digits(.) = 7', 'SEVEN', 'fatal', 'x'), 'M2')}
  ${rule('t:Amount | t:Note', 997, assert('not(t:big(.))', 'BIG', 'warning', 'big: <xsl:value-of select="t:digits(string(.))"/>'), 'M2')}
  <xsl:template match="text()" priority="-1" mode="M2"/>`)
  const data = loadXslt(sheet)
  const pack = createNativePack(data, ref)
  const doc = (lines: string) => `<t:Doc xmlns:t="urn:t">${lines}</t:Doc>`
  const fired = (text: string) => pack.runText(doc(text)).filter((f) => ['GLOBAL', 'SEVEN', 'BIG', 'FACTEUR-RULE-ERROR'].includes(f.ruleId)).map((f) => [f.ruleId, f.message])

  test('loaded as data', () => {
    expect(data.unsupported).toEqual([])
    expect(data.globals.map((g) => g.name)).toEqual(['unused', 'lines', 'broken', 'twice'])
    expect(data.functions.map((f) => [f.local, f.params.length, f.as])).toEqual([['digits', 1, 'xs:integer'], ['big', 1, 'xs:boolean']])
  })

  test('globals read the document, lazily (an erroneous one never read raises nothing); recursive functions; converted arguments', () => {
    // 2 lines: $twice is 4 = 2 * 2, no GLOBAL; 7 matches (A | B)[P]/C, digits(7) = 7; 1234 is big, 1+2+3+4 = 10
    expect(fired('<t:Line><t:Amount>7</t:Amount></t:Line><t:Line><t:Amount>1234</t:Amount></t:Line>')).toEqual([['BIG', 'big: 10']])
  })

  test('an argument that cannot be converted to the declared type is a dynamic error, as in Saxon', () => {
    expect(fired('<t:Note>abc</t:Note>')).toEqual([['FACTEUR-RULE-ERROR', expect.stringContaining('XPTY0004')]])
  })
})

describe('our own Schematron, run as SchXslt runs it', () => {
  const sch = `<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
    <ns prefix="t" uri="urn:t"/>
    <pattern id="a">
      <rule context="t:Line[t:Special]"><assert id="A-SPECIAL" flag="fatal" test="false()">special</assert></rule>
      <rule context="t:Line"><let name="n" value="count(t:Amount)"/><assert id="A-ONE" flag="fatal" test="$n = 1">has <value-of select="$n"/>  amounts</assert></rule>
    </pattern>
    <pattern id="b">
      <rule context="t:Line | t:Amount/@unit"><report id="B" flag="warning" test="true()">seen <name/></report></rule>
    </pattern>
  </schema>`
  const data = loadSchematron(sch)
  const pack = createNativePack(data, ref)

  test('loaded as data: rules in schema order, priorities counting down across patterns', () => {
    expect(data.unsupported).toEqual([])
    expect(data.style).toBe('schxslt')
    expect(data.patterns.map((p) => [p.id, p.rules.map((r) => [r.context, r.priority])])).toEqual([
      ['a', [['t:Line[t:Special]', 2], ['t:Line', 1]]], ['b', [['t:Line | t:Amount/@unit', 0]]],
    ])
  })

  test('one pass, node by node (each pattern in turn, first matching rule of each); SchXslt locations', () => {
    const findings = pack.runText('<t:Doc xmlns:t="urn:t"><t:Line><t:Special/></t:Line><t:Line><t:Amount unit="kg"/><t:Amount/></t:Line></t:Doc>')
    expect(findings.map((f) => [f.ruleId, f.location, f.message])).toEqual([
      ['A-SPECIAL', '/Q{urn:t}Doc[1]/Q{urn:t}Line[1]', 'special'],
      ['B', '/Q{urn:t}Doc[1]/Q{urn:t}Line[1]', 'seen t:Line'],
      ['A-ONE', '/Q{urn:t}Doc[1]/Q{urn:t}Line[2]', 'has 2 amounts'],
      ['B', '/Q{urn:t}Doc[1]/Q{urn:t}Line[2]', 'seen t:Line'],
      ['B', '/Q{urn:t}Doc[1]/Q{urn:t}Line[2]/Q{urn:t}Amount[1]/@Q{}unit', 'seen unit'],
    ])
  })
})
