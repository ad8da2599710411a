// The XPath subset on its own: parsing, XPath 2.0 / F&O semantics that decide verdicts (exact decimals,
// untypedAtomic promotion in comparisons and arithmetic, rounding, cardinality errors), document order.
// Expected values were checked against SaxonJS 2.7 (SaxonJS.XPath.evaluate) where the spec leaves a choice.
import { describe, expect, test } from 'vitest'
import { parseXml } from '../../xml.js'
import { parseXPath } from './parse.js'
import { compile, newScope, type Ctx } from './compile.js'
import { buildTree, type Tree } from './tree.js'
import { atomicToString, atomize, isNode, type Seq } from './values.js'

const ns = { cbc: 'urn:cbc', cac: 'urn:cac', ubl: 'urn:inv' }
const xml = `<ubl:Invoice xmlns:ubl="urn:inv" xmlns:cbc="urn:cbc" xmlns:cac="urn:cac">
  <cbc:ID> INV-1 </cbc:ID>
  <cac:Line><cbc:Amount currencyID="EUR">10.10</cbc:Amount><cbc:Rate>20</cbc:Rate></cac:Line>
  <cac:Line><cbc:Amount currencyID="EUR">0.20</cbc:Amount><cbc:Rate>5.5</cbc:Rate></cac:Line>
  <cac:Line><cbc:Amount currencyID="USD">abc</cbc:Amount></cac:Line>
  <cbc:Note>a<![CDATA[ b ]]>c</cbc:Note>
</ubl:Invoice>`

function withTree<T>(f: (tree: Tree) => T): T {
  const doc = parseXml(xml)
  try { return f(buildTree(doc)) } finally { doc.dispose() }
}
function evaluate(expr: string, context?: (tree: Tree) => Ctx['item']): Seq {
  return withTree((tree) => {
    const fn = compile(parseXPath(expr, ns), newScope())
    return fn({ item: context ? context(tree) : tree.root, pos: 1, size: 1, env: [], current: null, tree })
  })
}
const str = (expr: string) => evaluate(expr).map((i) => (isNode(i) ? `<${i.local}>` : atomicToString(atomize(i)))).join('|')
const code = (expr: string) => { try { evaluate(expr); return 'no error' } catch (e) { return (e as { code?: string }).code } }

describe('parser', () => {
  test('operators, keywords as names, wildcards and comments', () => {
    expect(parseXPath('a div b', {}).t).toBe('arith')
    expect(parseXPath('div', {})).toMatchObject({ t: 'step', test: { local: 'div' } })
    expect(parseXPath('* * *', {})).toMatchObject({ t: 'arith', op: '*' })
    expect(parseXPath('cbc:* | *:ID (: comment :)', ns)).toMatchObject({ t: 'union', left: { test: { ns: 'urn:cbc', local: null } }, right: { test: { ns: null, local: 'ID' } } })
    expect(parseXPath('round-half-to-even(1.5)', {})).toMatchObject({ t: 'call', local: 'round-half-to-even' })
    expect(parseXPath('every $x in (1, 2), $y in 3 satisfies $x < $y', {})).toMatchObject({ t: 'every', body: { t: 'every' } })
    expect(() => parseXPath('nope:x', {})).toThrow(/unknown prefix/)
  })
})

describe('evaluation', () => {
  test('paths, index look-ups, predicates and document order', () => {
    expect(str('//cbc:Amount')).toBe('<Amount>|<Amount>|<Amount>')
    expect(str('//cbc:Amount[@currencyID = "USD"]/..')).toBe('<Line>')
    expect(str('count(cac:Line)')).toBe('0') // the context is the document node
    expect(str('count(/ubl:Invoice/cac:Line[2]/cbc:*)')).toBe('2')
    expect(str('(//cbc:Rate | //cbc:Amount)[last()]')).toBe('<Amount>')
    expect(str('/ubl:Invoice/cac:Line/cbc:Rate/../cbc:Amount/string()')).toBe('10.10|0.20')
    expect(str('/ubl:Invoice/cac:Line[cbc:Rate][position() = 2]/cbc:Amount/@currencyID/string()')).toBe('EUR')
    expect(str('count(//cbc:Amount[not(preceding::cbc:Amount/@currencyID = @currencyID)])')).toBe('2')
    expect(str('string(//cbc:Note)')).toBe('a b c')
    expect(str('normalize-space(//cbc:ID)')).toBe('INV-1')
  })

  test('exact decimals: xs:decimal sums, SaxonJS division, round half up / half even', () => {
    expect(str('sum(//cac:Line[cbc:Rate]/xs:decimal(cbc:Amount))')).toBe('10.3')
    expect(str('xs:decimal("0.1") + xs:decimal("0.2")')).toBe('0.3')
    // zero has no scale either (SaxonJS and Saxon-HE for Java: "0")
    expect(str('xs:decimal("0.0000")')).toBe('0')
    expect(str('xs:decimal(0) div xs:decimal(100)')).toBe('0')
    expect(str('xs:decimal("-0.00")')).toBe('0')
    expect(str('1 div 3')).toBe('0.33333333333333333333')
    expect(str('-2 div 3')).toBe('-0.66666666666666666667')
    expect(str('round(2.5)')).toBe('3')
    expect(str('round(-2.5)')).toBe('-2')
    expect(str('round(xs:decimal("1.005") * 100) div 100')).toBe('1.01')
    expect(str('round-half-to-even(2.5)')).toBe('2')
    expect(str('round-half-to-even(1.125, 2)')).toBe('1.12')
    expect(str('10 idiv 3')).toBe('3')
    expect(str('-7 mod 3')).toBe('-1')
  })

  test('doubles where XPath says double: untypedAtomic in arithmetic, sum(), number()', () => {
    expect(str('sum(//cac:Line[cbc:Rate]/cbc:Amount)')).toBe('10.299999999999999')
    expect(str('//cac:Line[1]/cbc:Amount + 0.2')).toBe('10.299999999999999')
    expect(str('xs:decimal(0.1e0 + 0.2e0)')).toBe('0.30000000000000004')
    expect(str('1e7')).toBe('1.0E7')
    expect(str('number("x")')).toBe('NaN')
  })

  test('general comparisons: existential, untypedAtomic cast to the other side', () => {
    expect(str('//cbc:Rate = 5.5')).toBe('true')
    expect(str('//cbc:Rate = "5.50"')).toBe('false') // string comparison
    expect(str('//cbc:Rate = 5.50')).toBe('true') // numeric comparison
    expect(str('//cbc:Amount != "abc"')).toBe('true')
    expect(str('() = ()')).toBe('false')
    expect(str('xs:date("2024-02-29") < xs:date("2024-03-01")')).toBe('true')
  })

  test('dynamic errors where Saxon raises them', () => {
    expect(code('//cbc:Amount = 1')).toBe('FORG0001') // 'abc' cannot become a double
    expect(code('normalize-space(//cbc:Amount)')).toBe('XPTY0004') // more than one item
    expect(code('xs:decimal("1e3")')).toBe('FORG0001') // no exponent in xs:decimal
    expect(code('1 div 0')).toBe('FOAR0001')
    expect(code('xs:date("2023-02-29")')).toBe('FORG0001')
    expect(code('(1, 2) and true()')).toBe('FORG0006')
    expect(code('1 div 0e0')).toBe('no error') // INF
  })

  test('quantifiers and variables', () => {
    expect(str('every $a in //cac:Line[cbc:Rate]/cbc:Amount satisfies $a/@currencyID = "EUR"')).toBe('true')
    expect(str('some $r in //cbc:Rate satisfies xs:decimal($r) > 10')).toBe('true')
    expect(str('for $r in //cbc:Rate return xs:decimal($r) * 2')).toBe('40|11')
  })
})
