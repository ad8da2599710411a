// XPath regular expressions (F&O 3.1 §5.6, on XSD 1.1 Appendix G) as translated by xsd-regex.ts. Most cases fail
// under the former pass-through translation (pattern given to JS with the `u` flag): JS's \d is ASCII, its \s has
// NBSP and U+2003, its \w is [A-Za-z0-9_], its `.` stops at U+2028, it has no \i \c, subtraction or IsBlock.
import { describe, expect, test } from 'vitest'
import { parseXml } from '../../xml.js'
import { parseXPath } from './parse.js'
import { compile, newScope } from './compile.js'
import { buildTree } from './tree.js'
import { atomicToString, atomize, castAs, withSaxonJsQuirks } from './values.js'
import { translateXsdRegex, xpathMatches, xpathReplace, xpathTokenize, xsdToJsRegex } from './xsd-regex.js'

const ARABIC_3 = '\u0663', DEVANAGARI_3 = '\u0969', FULLWIDTH_3 = '\uFF13', NBSP = '\u00A0', EM_SPACE = '\u2003'
const matches = (input: string, pattern: string, flags = '') => xpathMatches(input, pattern, flags)
const code = (f: () => unknown) => { try { f(); return 'no error' } catch (e) { return (e as { code?: string }).code } }
const invalid = (pattern: string, flags = '') => code(() => xsdToJsRegex(pattern, flags))

describe('multi-character escapes mean what XSD says', () => {
  test('\\d is any Unicode decimal digit, \\D its complement', () => {
    for (const digit of ['7', ARABIC_3, DEVANAGARI_3, FULLWIDTH_3]) {
      expect(matches(digit, String.raw`^\d$`), digit).toBe(true)
      expect(matches(digit, String.raw`^[\d]$`), digit).toBe(true)
      expect(matches(digit, String.raw`^\D$`), digit).toBe(false)
    }
    expect(matches('\u0662\u0660\u0662\u0664', String.raw`^\d{4}$`)).toBe(true) // ٢٠٢٤
    expect(matches('²', String.raw`\d`)).toBe(false) // No, not Nd
    expect(matches(ARABIC_3, '^[0-9]$')).toBe(false) // a range stays a range
  })

  test('\\s is only space, tab, newline and carriage return', () => {
    for (const space of [' ', '\t', '\n', '\r']) expect(matches(space, String.raw`^\s$`), JSON.stringify(space)).toBe(true)
    for (const other of [NBSP, EM_SPACE, '\u2028', '\u3000', '\uFEFF', '\u0085']) {
      expect(matches(other, String.raw`\s`), other).toBe(false)
      expect(matches(other, String.raw`[\s]`), other).toBe(false)
      expect(matches(other, String.raw`^\S$`), other).toBe(true)
      expect(matches(other, String.raw`^[^\s]$`), other).toBe(true)
    }
    expect(matches(`20240101${NBSP}`, String.raw`^\s*\d{8}\s*$`)).toBe(false)
    expect(matches(' 20240101\n', String.raw`^\s*\d{8}\s*$`)).toBe(true)
  })

  test('\\w is everything but punctuation, separators and other (\\p{P} \\p{Z} \\p{C})', () => {
    for (const c of ['a', 'Z', 'é', 'ß', 'Ж', '中', '5', ARABIC_3, '$', '+', '€', '^']) expect(matches(c, String.raw`^\w$`), c).toBe(true)
    for (const c of ['-', '.', '_', ',', '!', '"', ' ', NBSP, '\u0007', '\u00AD']) {
      expect(matches(c, String.raw`\w`), c).toBe(false)
      expect(matches(c, String.raw`^\W$`), c).toBe(true)
    }
    expect(matches('Crème-brûlée', String.raw`^\w+$`)).toBe(false)
    expect(matches('Crèmebrûlée', String.raw`^\w+$`)).toBe(true)
  })

  test('\\i and \\c are XML name start and name characters (XML 1.0 fifth edition), \\I and \\C their complements', () => {
    expect(matches('_a:b-c.1·', String.raw`^\i\c*$`)).toBe(true)
    expect(matches('1abc', String.raw`^\i`)).toBe(false)
    expect(matches('-', String.raw`^\i$`)).toBe(false)
    expect(matches('é', String.raw`^\i$`)).toBe(true)
    expect(matches('\u0300', String.raw`^\c$`)).toBe(true) // a combining mark: a name character, not a start
    expect(matches('\u0300', String.raw`^\I$`)).toBe(true)
    expect(matches(' ', String.raw`^\C$`)).toBe(true)
    expect(matches('a', String.raw`^[\i-[a-z]]$`)).toBe(false)
  })

  test('escapes inside character classes', () => {
    expect(matches(ARABIC_3, String.raw`^[\d\s]$`)).toBe(true)
    expect(matches(NBSP, String.raw`^[\d\s]$`)).toBe(false)
    expect(matches('-', String.raw`^[\w\-]$`)).toBe(true)
    expect(matches('x', String.raw`^[^\W]$`)).toBe(true)
    expect(matches('$', String.raw`^[\$]$`)).toBe(true)
  })
})

describe('other XSD constructs', () => {
  test('. is any character but \\n and \\r; with s, any character', () => {
    expect(matches('\r', '.')).toBe(false)
    expect(matches('\n', '.')).toBe(false)
    for (const c of ['\u2028', '\u2029', '\u0085', NBSP, '😀']) expect(matches(c, '^.$'), c).toBe(true)
    expect(matches('a\r\nb', '^a..b$', 's')).toBe(true)
    expect(matches('a\r\nb', '^a..b$')).toBe(false)
  })

  test('character class subtraction, nested, and of a negative group', () => {
    const consonant = '^[a-z-[aeiou]]$'
    expect(['b', 'z', 'a', 'e', 'B'].map((c) => matches(c, consonant))).toEqual([true, true, false, false, false])
    const nested = '^[a-z-[aeiou-[e]]]$' // e is taken out of what is taken out
    expect(['b', 'e', 'a'].map((c) => matches(c, nested))).toEqual([true, true, false])
    expect(['x', 'y', 'A'].map((c) => matches(c, '^[^a-z-[x]]$'))).toEqual([false, false, true])
    expect(matches('٣', String.raw`^[\d-[0-9]]$`)).toBe(true)
    expect(matches('3', String.raw`^[\d-[0-9]]$`)).toBe(false)
    expect(matches('a', String.raw`^[\p{L}-[\p{Ll}]]$`)).toBe(false)
  })

  test('categories and blocks: \\p{Lu}, \\P{L}, \\p{IsBasicLatin}, \\P{IsGreekandCoptic}', () => {
    expect(matches('É', String.raw`^\p{Lu}$`)).toBe(true)
    expect(matches('é', String.raw`^\p{Lu}$`)).toBe(false)
    expect(matches('1', String.raw`^\P{L}$`)).toBe(true)
    expect(matches('a', String.raw`^\p{IsBasicLatin}$`)).toBe(true)
    expect(matches('é', String.raw`^\p{IsBasicLatin}$`)).toBe(false)
    expect(matches('é', String.raw`^\p{IsLatin-1Supplement}$`)).toBe(true)
    expect(matches('α', String.raw`^\p{IsGreekandCoptic}$`)).toBe(true)
    expect(matches('α', String.raw`^\p{IsGreek}$`)).toBe(true) // XSD 1.0's (Unicode 3.1's) name of the same block
    expect(matches('α', String.raw`^\P{IsGreekandCoptic}$`)).toBe(false)
    expect(matches(ARABIC_3, String.raw`^\p{IsArabic}$`)).toBe(true)
    expect(matches('\u{1F600}', String.raw`^\p{IsEmoticons}$`)).toBe(true)
    expect(matches('\u{31350}', String.raw`^\p{IsCJKUnifiedIdeographsExtensionH}$`)).toBe(true)
    expect(matches('a', String.raw`^[\p{IsBasicLatin}-[a-z]]$`)).toBe(false)
    // XSD 1.1 §G.4.2.5: a well-formed name that is no block means every character, with \p and with \P
    expect(matches('a', String.raw`^\p{IsNoSuchBlock}$`)).toBe(true)
    expect(matches('a', String.raw`^\P{IsNoSuchBlock}$`)).toBe(true)
    // block names keep their hyphens and case; anything else than [a-zA-Z0-9-] is not a block name at all
    expect(matches('é', String.raw`^\p{IsLatin1Supplement}$`)).toBe(true) // unknown, so every character
    expect(invalid(String.raw`\p{IsBasic_Latin}`)).toBe('FORX0002')
    expect(invalid(String.raw`\p{Is}`)).toBe('FORX0002')
    expect(invalid(String.raw`\p{isBasicLatin}`)).toBe('FORX0002')
  })

  test('hyphens in character classes: first, last or escaped', () => {
    expect(matches('-', '^[-a]$')).toBe(true)
    expect(matches('-', '^[a-]$')).toBe(true)
    expect(matches('-', String.raw`^[a\-z]$`)).toBe(true)
    expect(matches('b', String.raw`^[a\-z]$`)).toBe(false)
    expect(matches('/', String.raw`^[-\\/ ]$`)).toBe(true) // Peppol's GR date separators
    expect(matches('-', '^[a--[b]]$')).toBe(true) // - last, then a subtraction
    for (const p of ['[a-c-e]', String.raw`[\w-.]`, '[--/]', '[!--]']) expect(invalid(p), p).toBe('FORX0002')
  })

  test('^ and $ anchor the whole string; with m, lines that end at \\n only', () => {
    expect(matches('a\nb', '^b')).toBe(false)
    expect(matches('a\nb', '^b', 'm')).toBe(true)
    expect(matches('a\rb', '^b', 'm')).toBe(false)
    expect(matches('a\u2028b', '^b', 'm')).toBe(false)
    expect(matches('a\nb', 'a$', 'm')).toBe(true)
    expect(matches('a\nb', 'a$')).toBe(false)
    expect(matches('ab\n', 'b$')).toBe(false) // unlike Perl, $ is the very end
  })

  test('x removes whitespace except inside character classes', () => {
    expect(matches('helloworld', 'hello world', 'x')).toBe(true)
    expect(matches('hello world', 'hello world', 'x')).toBe(false)
    expect(matches('hello world', 'hello[ ]world', 'x')).toBe(true)
    expect(matches('aa', 'a{ 2 }', 'x')).toBe(true)
    expect(matches('a b', String.raw`a \s b`, 'x')).toBe(true)
  })

  test('q takes the pattern literally; i matches case-variants of characters and ranges only', () => {
    expect(matches('a.b', 'a.b', 'q')).toBe(true)
    expect(matches('axb', 'a.b', 'q')).toBe(false)
    expect(matches('(A+)', '(a+)', 'qi')).toBe(true)
    expect(matches('HELLO', 'hello', 'i')).toBe(true)
    expect(matches('\u212A', 'k', 'i')).toBe(true) // KELVIN SIGN: lower-case is k
    expect(matches('q', '^[^Q]$', 'i')).toBe(false)
    expect(matches('b', '^[A-Z-[IO]]$', 'i')).toBe(true)
    expect(matches('o', '^[A-Z-[IO]]$', 'i')).toBe(false)
    expect(matches('a', String.raw`^\p{Lu}$`, 'i')).toBe(false) // other constructs are unaffected
    expect(matches('DUD', String.raw`^([md])[aeiou]\1$`, 'i')).toBe(true)
  })

  test('groups, non-capturing groups, back-references and reluctant quantifiers', () => {
    expect(matches('abab', '^(ab)\\1$')).toBe(true)
    expect(matches('abab', '^(?:ab){2}$')).toBe(true)
    // \10 is group 10 only when ten groups are closed before it; otherwise \1 and a 0
    expect(matches('aa0', '^(a)\\10$')).toBe(true)
    expect(matches('abcdefghijj', '^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10$')).toBe(true)
    expect(xpathReplace('reluctant', 'r.*?t', 'X', '')).toBe('Xant')
    expect(xpathReplace('aaaah', 'a{2,3}?', 'X', '')).toBe('XXh')
    expect(translateXsdRegex('(a)(?:b)(c)', '').groups).toBe(2)
  })

  test('invalid patterns: FORX0002, whatever JavaScript would make of them', () => {
    const bad = [
      String.raw`\b`, String.raw`\B`, String.raw`\u0041`, String.raw`\x41`, String.raw`\0`, String.raw`\/`, String.raw`\a`, '(?=a)', '(?!a)', '(?<=a)',
      '(?<n>a)', '(?i)a', 'a{,2}', 'a{2,1}', 'a**', 'a*+', '*a', '^*', 'a{', 'a}', ']', '[]', '[^]', '[a', '(a', 'a)', '[a[b]]', '[z-a]',
      String.raw`[a-\d]`, String.raw`[\1]`, String.raw`\1(a)`, String.raw`(a\1)`, String.raw`\p{L&}`, String.raw`\p{Letter}`, String.raw`\p{Latin}`,
      String.raw`\p{L`, 'a\\',
    ]
    for (const p of bad) expect(invalid(p), p).toBe('FORX0002')
    for (const p of ['', 'a|', '()', '(?:)', 'a{0}', 'a{01}', 'a??', String.raw`\$`, String.raw`\^`, '[{}|^$]']) expect(invalid(p), p).toBe('no error')
  })

  test('flags other than s m i x q: FORX0001', () => {
    expect(invalid('a', 'g')).toBe('FORX0001')
    expect(invalid('a', 'u')).toBe('FORX0001')
    expect(invalid('a', 'smixq')).toBe('no error')
  })
})

describe('fn:replace and fn:tokenize', () => {
  test('replacement strings: $N with F&O\'s digit rules, \\$ and \\\\', () => {
    expect(xpathReplace('abc', '(b)', '[$0|$1|$2|$12|\\$|\\\\]', '')).toBe('a[b|b||b2|$|\\]c')
    expect(xpathReplace('abcd', '(a)(b)(c)(d)(e)?(f)?(g)?(h)?(i)?(j)?', '$10|$11|$5', '')).toBe('|a1|')
    expect(xpathReplace('abc', '(a)(b)(c)', '$05|$012|$4', '')).toBe('|a2|') // $05 is $5, and 5 ≤ 9
    expect(xpathReplace('abc', 'b', '$$', 'q')).toBe('a$$c') // q: the replacement is literal too
    expect(code(() => xpathReplace('abc', 'b', '$', ''))).toBe('FORX0004')
    expect(code(() => xpathReplace('abc', 'b', '\\n', ''))).toBe('FORX0004')
    expect(code(() => xpathReplace('abc', 'x*', '-', ''))).toBe('FORX0003') // matches the zero-length string
    expect(xpathReplace(`DE12${NBSP}3456 7`, String.raw`([ \n\r\t\s])`, '', '')).toBe(`DE12${NBSP}34567`)
  })

  test('tokenize: separators only, empty tokens at the ends, () for the empty string', () => {
    expect(xpathTokenize('a1b22c', String.raw`(\d)+`, '')).toEqual(['a', 'b', 'c'])
    expect(xpathTokenize(' a b ', String.raw`\s+`, '')).toEqual(['', 'a', 'b', ''])
    expect(xpathTokenize(`a${NBSP}b c`, String.raw`\s`, '')).toEqual([`a${NBSP}b`, 'c'])
    expect(xpathTokenize(`1${ARABIC_3}2`, String.raw`\d`, '')).toEqual(['', '', '', ''])
    expect(xpathTokenize('', ',', '')).toEqual([])
    expect(code(() => xpathTokenize('abc', 'x?', ''))).toBe('FORX0003')
  })

  test('SaxonJS 2.7 quirks, for the differential test only', () => {
    expect(withSaxonJsQuirks(() => matches(NBSP, String.raw`\s`))).toBe(true)
    expect(withSaxonJsQuirks(() => matches(ARABIC_3, String.raw`\D`))).toBe(true)
    expect(matches(NBSP, String.raw`\s`)).toBe(false) // and only inside
    // its casts to xs:date and xs:integer trim JS whitespace too
    expect(withSaxonJsQuirks(() => atomicToString(castAs(`${NBSP}2017-10-15`, 'xs:date')))).toBe('2017-10-15')
    expect(code(() => castAs(`${NBSP}2017-10-15`, 'xs:date'))).toBe('FORG0001')
    expect(code(() => castAs(`12${EM_SPACE}`, 'xs:integer'))).toBe('FORG0001')
  })
})

// Through the XPath layer, as the rules call them.
describe('matches(), replace(), tokenize() in XPath', () => {
  const doc = `<r><date>\u0662\u0660\u0662\u0664-01-01</date><id>FR${NBSP}123</id><sp>A${EM_SPACE}B</sp></r>`
  const evaluate = (expr: string) => {
    const xml = parseXml(doc)
    try {
      const tree = buildTree(xml)
      return compile(parseXPath(expr, {}), newScope())({ item: tree.root, pos: 1, size: 1, env: [], current: null, tree })
        .map((i) => atomicToString(atomize(i))).join('|')
    } finally { xml.dispose() }
  }
  const xpathCode = (expr: string) => code(() => evaluate(expr))

  test('matches()', () => {
    expect(evaluate(String.raw`matches(/r/date, '^\d{4}-\d{2}-\d{2}$')`)).toBe('true')
    expect(evaluate(String.raw`matches(/r/date, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')`)).toBe('false')
    expect(evaluate(String.raw`matches(/r/id, '^[A-Z]{2}\s\d+$')`)).toBe('false')
    expect(evaluate(String.raw`matches(/r/id, '^\w+\W\d+$')`)).toBe('true')
    expect(evaluate(String.raw`matches(/r/sp, '\s')`)).toBe('false')
    expect(evaluate(String.raw`matches('ABC', '^[a-z-[b]]+$', 'i')`)).toBe('false')
    expect(evaluate(String.raw`matches('ACD', '^[a-z-[b]]+$', 'i')`)).toBe('true')
    expect(xpathCode(String.raw`matches('a', '(?=a)')`)).toBe('FORX0002')
    expect(xpathCode(String.raw`matches('a', 'a', 'g')`)).toBe('FORX0001')
  })

  test('replace()', () => {
    expect(evaluate(String.raw`replace(/r/date, '\d', '9')`)).toBe('9999-99-99')
    expect(evaluate(String.raw`replace('abc', '(b)', '[$1\$]')`)).toBe('a[b$]c')
    expect(evaluate(String.raw`replace('a.b.c', '.', '-', 'q')`)).toBe('a-b-c')
    expect(evaluate(String.raw`replace('Mum', 'm', 'n', 'i')`)).toBe('nun')
    expect(xpathCode(String.raw`replace('abc', '', 'x')`)).toBe('FORX0003')
  })

  test('tokenize()', () => {
    expect(evaluate(String.raw`string-join(tokenize(concat('a', codepoints-to-string(13), codepoints-to-string(10), 'b'), '(\r?\n)'), '/')`)).toBe('a/b')
    expect(evaluate(String.raw`count(tokenize(/r/sp, '\s'))`)).toBe('1')
    expect(evaluate(String.raw`string-join(tokenize('a, b,c', ',\s*'), '/')`)).toBe('a/b/c')
    expect(evaluate(String.raw`string-join(tokenize('aXbxc', 'x', 'i'), '/')`)).toBe('a/b/c')
    expect(evaluate(String.raw`count(tokenize('', ','))`)).toBe('0')
  })
})
