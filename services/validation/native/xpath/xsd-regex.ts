// XPath regular expressions (F&O 3.1 §5.6: XSD 1.1 Part 2 Appendix G regular expressions, plus ^ $, reluctant
// quantifiers, back-references, (?:) groups and the flags s m i x q) translated to JavaScript RegExps with the
// `v` flag, whose nested classes and `--` subtraction express XSD's character classes directly. Every construct
// is translated, none passed through: JS syntax that XPath does not have (\b, \uFFFF, lookarounds, (?<n>), {,n})
// is an invalid pattern (FORX0002), and XSD escapes keep their XSD meaning — \d is any Unicode decimal digit,
// \s only the four XML spaces, \w all but punctuation, separators and "other", `.` all but \n and \r.
import { saxonJsQuirks, xpathError } from './values.js'
import { unicodeBlock } from './unicode-blocks.js'

export type Translation = {
  /** Source and flags of the JavaScript RegExp. */
  source: string
  flags: string
  /** Number of capturing groups (the S of fn:replace's $N rules). */
  groups: number
  /** The q flag: the pattern was taken literally, and so is fn:replace's replacement string. */
  literal: boolean
}

/** Differential test only: translate \s \S \D as SaxonJS 2.7 does (see withSaxonJsQuirks in values.ts). */
export type TranslateOptions = { saxonJsQuirks?: boolean }

const invalid = (pattern: string, why: string) => xpathError('FORX0002', `Invalid regular expression ${JSON.stringify(pattern)}: ${why}`)

/** The XPath regular expression `pattern` with `flags` as a JavaScript RegExp (FORX0001 bad flags, FORX0002 bad pattern). */
export function xsdToJsRegex(pattern: string, flags: string, options: TranslateOptions = {}): RegExp {
  const t = translateXsdRegex(pattern, flags, options)
  return new RegExp(t.source, t.flags)
}

export function translateXsdRegex(pattern: string, flags: string, options: TranslateOptions = {}): Translation {
  for (const f of flags) if (!'smixq'.includes(f)) throw xpathError('FORX0001', `Invalid regular expression flags ${JSON.stringify(flags)}`)
  const caseless = flags.includes('i')
  // q: every character stands for itself; m, s and x then have no effect (F&O §5.6.1.1)
  if (flags.includes('q')) return { source: Array.from(pattern, (ch) => literal(ch.codePointAt(0)!, caseless)).join(''), flags: 'v', groups: 0, literal: true }
  const chars = Array.from(pattern, (ch) => ch.codePointAt(0)!)
  const p: Parser = {
    pattern, chars: flags.includes('x') ? withoutWhitespace(chars) : chars, pos: 0,
    dotAll: flags.includes('s'), multiline: flags.includes('m'), caseless, quirks: options.saxonJsQuirks === true,
    groups: 0, closed: new Set(), backReferences: false,
  }
  const source = regExp(p)
  if (p.pos < p.chars.length) throw invalid(pattern, p.chars[p.pos] === RPAREN ? 'unmatched )' : `unexpected ${show(p.chars[p.pos]!)}`)
  // A case-blind back-reference has no other translation than JS's own `i` flag (which also folds \p{Lu} and the like).
  const jsFlags = caseless && p.backReferences ? 'iv' : 'v'
  try { new RegExp(source, jsFlags) } catch (e) { throw invalid(pattern, (e as Error).message) }
  return { source, flags: jsFlags, groups: p.groups, literal: false }
}

type Parser = {
  pattern: string; chars: number[]; pos: number
  dotAll: boolean; multiline: boolean; caseless: boolean; quirks: boolean
  /** Capturing groups opened so far, and those closed (a back-reference may only name a closed one). */
  groups: number; closed: Set<number>; backReferences: boolean
}

const cp = (s: string) => s.codePointAt(0)!
const BACKSLASH = cp('\\'), LPAREN = cp('('), RPAREN = cp(')'), LBRACKET = cp('['), RBRACKET = cp(']'), LBRACE = cp('{'), RBRACE = cp('}')
const BAR = cp('|'), HYPHEN = cp('-'), CARET = cp('^'), DOLLAR = cp('$'), DOT = cp('.'), QUESTION = cp('?'), STAR = cp('*'), PLUS = cp('+'), COMMA = cp(',')
const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39
const show = (c: number) => JSON.stringify(String.fromCodePoint(c))
const peek = (p: Parser, ahead = 0) => p.chars[p.pos + ahead]

/** x flag: whitespace goes, except inside character class expressions (F&O §5.6.1.1). */
function withoutWhitespace(chars: number[]): number[] {
  const out: number[] = []
  let depth = 0
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!
    if (c === BACKSLASH) {
      out.push(c)
      i++
      if (depth === 0) while (i < chars.length && isXmlSpace(chars[i]!)) i++
      if (i < chars.length) out.push(chars[i]!)
      continue
    }
    if (depth === 0 && isXmlSpace(c)) continue
    if (c === LBRACKET) depth++
    else if (c === RBRACKET && depth > 0) depth--
    out.push(c)
  }
  return out
}
const isXmlSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d

// ---- regExp ::= branch ('|' branch)*   branch ::= piece*   piece ::= atom quantifier?

function regExp(p: Parser): string {
  const branches = [branch(p)]
  while (peek(p) === BAR) { p.pos++; branches.push(branch(p)) }
  return branches.join('|')
}

function branch(p: Parser): string {
  let out = ''
  for (let c = peek(p); c !== undefined && c !== BAR && c !== RPAREN; c = peek(p)) out += piece(p)
  return out
}

function piece(p: Parser): string {
  const c = peek(p)!
  // ^ and $ (F&O's additions) are assertions: nothing to repeat
  if (c === CARET || c === DOLLAR) {
    p.pos++
    if (isQuantifierStart(p)) throw invalid(p.pattern, `${show(c)} cannot be quantified`)
    if (!p.multiline) return c === CARET ? '^' : '$'
    // m: start and end of lines, and lines end at \n only (JS's m flag also breaks at \r, U+2028, U+2029)
    return c === CARET ? '(?<![^\\n])' : '(?![^\\n])'
  }
  return atom(p) + quantifier(p)
}

const isQuantifierStart = (p: Parser) => { const c = peek(p); return c === QUESTION || c === STAR || c === PLUS || c === LBRACE }

/** quantifier ::= ([?*+] | '{' quantity '}') '?'?  — the trailing ? makes it reluctant (F&O). */
function quantifier(p: Parser): string {
  const c = peek(p)
  let q: string
  if (c === QUESTION || c === STAR || c === PLUS) { p.pos++; q = String.fromCodePoint(c) }
  else if (c === LBRACE) {
    p.pos++
    const min = digits(p)
    if (min === '') throw invalid(p.pattern, 'a quantifier {n}, {n,} or {n,m} needs n')
    let max: string | null = min
    if (peek(p) === COMMA) { p.pos++; max = digits(p) || null }
    if (peek(p) !== RBRACE) throw invalid(p.pattern, 'unterminated quantifier {…}')
    p.pos++
    if (max !== null && Number(max) < Number(min)) throw invalid(p.pattern, `quantifier {${min},${max}}: the maximum is below the minimum`)
    q = max === min ? `{${Number(min)}}` : `{${Number(min)},${max === null ? '' : Number(max)}}`
  } else return ''
  if (peek(p) === QUESTION) { p.pos++; q += '?' }
  return q
}

function digits(p: Parser): string {
  let s = ''
  while (isDigit(peek(p))) s += String.fromCodePoint(p.chars[p.pos++]!)
  return s
}

/** atom ::= NormalChar | charClass | '(' ('?:')? regExp ')' | backReference */
function atom(p: Parser): string {
  const c = peek(p)!
  switch (c) {
    case LPAREN: {
      p.pos++
      let number = 0
      if (peek(p) === QUESTION) {
        if (peek(p, 1) !== cp(':')) throw invalid(p.pattern, '(? must be followed by : (only non-capturing groups exist)')
        p.pos += 2
      } else number = ++p.groups
      const inner = regExp(p)
      if (peek(p) !== RPAREN) throw invalid(p.pattern, 'unmatched (')
      p.pos++
      if (number) p.closed.add(number)
      return number ? `(${inner})` : `(?:${inner})`
    }
    case LBRACKET: return classExpr(p)
    case DOT: p.pos++; return p.dotAll ? '[\\u{0}-\\u{10FFFF}]' : '[^\\n\\r]'
    case BACKSLASH: return escapeOutsideClass(p)
    case QUESTION: case STAR: case PLUS: case LBRACE: throw invalid(p.pattern, `quantifier ${show(c)} without anything to repeat`)
    case RBRACE: case RBRACKET: throw invalid(p.pattern, `${show(c)} must be escaped`)
    default: p.pos++; return literal(c, p.caseless)
  }
}

// ---- escapes

/** SingleCharEsc: \n \r \t and the escaped metacharacters (F&O adds \$). */
function singleCharEscape(c: number): number | null {
  if (c === cp('n')) return 0x0a
  if (c === cp('r')) return 0x0d
  if (c === cp('t')) return 0x09
  return '\\|.?*+(){}-[]^$'.includes(String.fromCodePoint(c)) ? c : null
}

function escapeOutsideClass(p: Parser): string {
  const c = peek(p, 1)
  if (c !== undefined && c >= cp('1') && c <= cp('9')) return backReference(p)
  const e = escape(p)
  return typeof e === 'number' ? literal(e, p.caseless) : `[${e}]`
}

/**
 * \N: one digit always; more digits only while they still name a group closed before this point (F&O
 * §5.6.1). A group that does not exist, or is still open, is an error.
 */
function backReference(p: Parser): string {
  p.pos++
  let n = p.chars[p.pos++]! - 0x30
  while (isDigit(peek(p)) && p.closed.has(n * 10 + peek(p)! - 0x30)) n = n * 10 + p.chars[p.pos++]! - 0x30
  if (!p.closed.has(n)) throw invalid(p.pattern, `back-reference \\${n} to a group that is not closed before it`)
  p.backReferences = true
  return `(?:\\${n})` // wrapped, so that a digit after it is not read as part of the number
}

/** An escape at p.pos (the backslash): a code point for a single character, or the items of a `v`-flag class. */
function escape(p: Parser): number | string {
  p.pos++
  const c = p.chars[p.pos++]
  if (c === undefined) throw invalid(p.pattern, 'a pattern cannot end with \\')
  const single = singleCharEscape(c)
  if (single !== null) return single
  const letter = String.fromCodePoint(c)
  if (letter === 'p' || letter === 'P') return property(p, letter === 'P')
  const multi = multiCharEscape(letter, p.quirks)
  if (multi !== null) return multi
  throw invalid(p.pattern, `\\${letter} is not an escape of XPath regular expressions`)
}

// XML 1.0 fifth edition NameStartChar and NameChar, for \i and \c (XSD 1.1 §G.4.2.4).
const NAME_START = '\\u{3A}A-Z_a-z\\u{C0}-\\u{D6}\\u{D8}-\\u{F6}\\u{F8}-\\u{2FF}\\u{370}-\\u{37D}\\u{37F}-\\u{1FFF}\\u{200C}-\\u{200D}' +
  '\\u{2070}-\\u{218F}\\u{2C00}-\\u{2FEF}\\u{3001}-\\u{D7FF}\\u{F900}-\\u{FDCF}\\u{FDF0}-\\u{FFFD}\\u{10000}-\\u{EFFFF}'
const NAME = `${NAME_START}\\u{2D}\\u{2E}0-9\\u{B7}\\u{300}-\\u{36F}\\u{203F}-\\u{2040}`
const XML_SPACE = '\\t\\n\\r\\u{20}'

/** Multi-character escapes as `v`-flag class items (a nested class where XSD defines a complement). */
function multiCharEscape(letter: string, quirks: boolean): string | null {
  switch (letter) {
    case 'd': return '\\p{Nd}'
    case 'D': return quirks ? '[^0-9]' : '\\P{Nd}'
    case 's': return quirks ? '\\s' : XML_SPACE
    case 'S': return quirks ? '\\S' : `[^${XML_SPACE}]`
    // XSD: [#x0000-#x10FFFF]-[\p{P}\p{Z}\p{C}]
    case 'w': return '[^\\p{P}\\p{Z}\\p{C}]'
    case 'W': return '[\\p{P}\\p{Z}\\p{C}]'
    case 'i': return `[${NAME_START}]`
    case 'I': return `[^${NAME_START}]`
    case 'c': return `[${NAME}]`
    case 'C': return `[^${NAME}]`
    default: return null
  }
}

// The general categories XSD names (§G.4.2.3; no Cs: surrogates are no XML characters); JS accepts more
// (Letter, L&, Cs, Script=…), XPath does not.
const CATEGORIES = new Set(['L', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'M', 'Mn', 'Mc', 'Me', 'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Ps', 'Pe', 'Pi', 'Pf', 'Po',
  'Z', 'Zs', 'Zl', 'Zp', 'S', 'Sm', 'Sc', 'Sk', 'So', 'C', 'Cc', 'Cf', 'Co', 'Cn'])

/** \p{…} / \P{…} after the p: a category, or a block IsX. */
function property(p: Parser, complement: boolean): string {
  if (peek(p) !== LBRACE) throw invalid(p.pattern, `\\${complement ? 'P' : 'p'} must be followed by {name}`)
  const end = p.chars.indexOf(RBRACE, p.pos)
  if (end < 0) throw invalid(p.pattern, 'unterminated \\p{…}')
  const name = String.fromCodePoint(...p.chars.slice(p.pos + 1, end))
  p.pos = end + 1
  if (CATEGORIES.has(name)) return `\\${complement ? 'P' : 'p'}{${name}}`
  if (!/^Is[a-zA-Z0-9-]+$/.test(name)) throw invalid(p.pattern, `unknown character category ${name}`)
  const block = unicodeBlock(name.slice(2))
  // XSD 1.1 §G.4.2.5: a well-formed IsX naming no block is not an error; \p{IsX} and \P{IsX} both mean every character.
  if (!block) return '[\\u{0}-\\u{10FFFF}]'
  return `[${complement ? '^' : ''}${block.map(([a, b]) => `${hex(a)}-${hex(b)}`).join('')}]`
}

// ---- character class expressions: '[' ('^')? charGroupPart+ ('-' charClassExpr)? ']'

type ClassPart = { range: [number, number] } | { items: string }

function classExpr(p: Parser): string {
  p.pos++ // [
  const negative = peek(p) === CARET // [^] is not a class of one ^: a negative group needs characters
  if (negative) p.pos++
  const parts: ClassPart[] = []
  let subtracted: string | null = null
  for (;;) {
    const c = peek(p)
    if (c === undefined) throw invalid(p.pattern, 'unterminated character class [')
    if (c === RBRACKET) {
      if (parts.length === 0) throw invalid(p.pattern, 'empty character class')
      p.pos++
      break
    }
    if (c === HYPHEN && parts.length > 0 && peek(p, 1) === LBRACKET) {
      // subtraction: the rest of the class is one class expression, then the closing ]
      p.pos++
      subtracted = classExpr(p)
      if (peek(p) !== RBRACKET) throw invalid(p.pattern, 'a subtracted class must end its character class')
      p.pos++
      break
    }
    if (c === HYPHEN) {
      // an unescaped - is a character only first or last in its group (XSD §G.4.2.2)
      if (parts.length > 0 && !hyphenEndsGroup(p)) throw invalid(p.pattern, '- must be escaped (\\-) except first or last in a character class')
      p.pos++
      parts.push({ range: [HYPHEN, HYPHEN] })
      continue
    }
    if (c === LBRACKET) throw invalid(p.pattern, '[ must be escaped inside a character class, except in a subtraction -[…]')
    const first = classChar(p)
    if (typeof first === 'string') { parts.push({ items: first }); continue }
    // a - after a character makes a range, unless that - is the group's last character
    if (peek(p) !== HYPHEN || hyphenEndsGroup(p) || peek(p, 1) === undefined) { parts.push({ range: [first, first] }); continue }
    p.pos++
    if (peek(p) === HYPHEN) throw invalid(p.pattern, 'a range cannot end with an unescaped - (write \\-)')
    const last = classChar(p)
    if (typeof last === 'string') throw invalid(p.pattern, 'a range must end with a single character, not a class escape')
    if (last < first) throw invalid(p.pattern, `range ${show(first)}-${show(last)} is out of order`)
    parts.push({ range: [first, last] })
  }
  const items = parts.map((part) => ('items' in part ? part.items : rangeItems(part.range, p.caseless))).join('')
  const group = `[${negative ? '^' : ''}${items}]`
  return subtracted === null ? group : `[${group}--${subtracted}]`
}

/** Whether the - at p.pos ends its group: it comes before ], before a subtraction -[, or is that subtraction's -. */
function hyphenEndsGroup(p: Parser): boolean {
  const next = peek(p, 1)
  return next === RBRACKET || next === LBRACKET || (next === HYPHEN && peek(p, 2) === LBRACKET)
}

/** One character of a class (a code point), or a class escape's items. */
function classChar(p: Parser): number | string {
  const c = peek(p)!
  if (c !== BACKSLASH) { p.pos++; return c }
  const d = peek(p, 1)
  if (isDigit(d)) throw invalid(p.pattern, 'back-references are not allowed inside a character class')
  return escape(p)
}

// ---- characters, and the i flag

const hex = (c: number) => `\\u{${c.toString(16).toUpperCase()}}`
/** A code point as JS pattern text: letters and digits as they are, everything else as \u{…} (safe in and out of `v` classes). */
const char = (c: number) => (/[A-Za-z0-9]/.test(String.fromCodePoint(c)) ? String.fromCodePoint(c) : hex(c))

function literal(c: number, caseless: boolean): string {
  if (!caseless) return char(c)
  const variants = caseVariants(c)
  return variants.length === 1 ? char(c) : `[${variants.map(char).join('')}]`
}

function rangeItems([a, b]: [number, number], caseless: boolean): string {
  let out = a === b ? char(a) : `${char(a)}-${char(b)}`
  if (caseless) for (const c of casedIn(a, b)) for (const v of caseVariants(c)) if (v < a || v > b) out += char(v)
  return out
}

// i flag (F&O §5.6.1.1): a character, or a range, also matches the case-variants of its characters, C2 being a
// case-variant of C1 when lower-case(C1) = lower-case(C2) or upper-case(C1) = upper-case(C2). Other constructs
// (\p{Lu}, \w …) are unaffected, which is why this is done here rather than with JS's `i` flag. No character
// beyond U+1FFFF has a case mapping.
let cased: number[] | undefined
let variantsByKey: Map<string, number[]> | undefined

function caseTables(): { cased: number[]; variantsByKey: Map<string, number[]> } {
  if (!cased || !variantsByKey) {
    // characters by their lower-case (key l…) and upper-case (key u…) mappings, where these differ from them
    variantsByKey = new Map()
    for (let c = 0; c < 0x20000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue
      const s = String.fromCodePoint(c), lower = s.toLowerCase(), upper = s.toUpperCase()
      if (lower === s && upper === s) continue
      for (const key of [`l${lower}`, `u${upper}`]) {
        const list = variantsByKey.get(key)
        if (list) list.push(c); else variantsByKey.set(key, [c])
      }
    }
    // the characters that may have case-variants: those mapped, and those mapped to
    const all = new Set<number>()
    for (const [key, list] of variantsByKey) {
      const target = Array.from(key.slice(1))
      if (target.length === 1) all.add(target[0]!.codePointAt(0)!)
      list.forEach((c) => all.add(c))
    }
    cased = [...all].sort((a, b) => a - b)
  }
  return { cased, variantsByKey }
}

function caseVariants(c: number): number[] {
  const { variantsByKey } = caseTables()
  const s = String.fromCodePoint(c)
  const out = new Set([c, ...(variantsByKey.get(`l${s.toLowerCase()}`) ?? []), ...(variantsByKey.get(`u${s.toUpperCase()}`) ?? [])])
  return [...out]
}

function casedIn(a: number, b: number): number[] {
  const { cased } = caseTables()
  let lo = 0, hi = cased.length
  while (lo < hi) { const mid = (lo + hi) >> 1; if (cased[mid]! < a) lo = mid + 1; else hi = mid }
  const out: number[] = []
  for (let i = lo; i < cased.length && cased[i]! <= b; i++) out.push(cased[i]!)
  return out
}

// ---- fn:matches, fn:replace, fn:tokenize (F&O §5.6.3-5.6.5)

type Compiled = { translation: Translation; test: RegExp; global: RegExp }
const cache = new Map<string, Compiled>()

/** The pattern compiled once (rules call matches() with the same few patterns on every document). */
function compiled(pattern: string, flags: string): Compiled {
  const key = `${saxonJsQuirks.on ? 'Q' : ''}${flags}\u0000${pattern}`
  let c = cache.get(key)
  if (!c) {
    const translation = translateXsdRegex(pattern, flags, { saxonJsQuirks: saxonJsQuirks.on })
    c = { translation, test: new RegExp(translation.source, translation.flags), global: new RegExp(translation.source, `${translation.flags}g`) }
    if (cache.size >= 1000) cache.clear()
    cache.set(key, c)
  }
  return c
}

export function xpathMatches(input: string, pattern: string, flags: string): boolean {
  return compiled(pattern, flags).test.test(input)
}

/** fn:replace and fn:tokenize refuse a pattern that matches the zero-length string. */
function nonEmptyMatching(pattern: string, flags: string, fn: string): Compiled {
  const c = compiled(pattern, flags)
  if (c.test.test('')) throw xpathError('FORX0003', `The regular expression in ${fn}() must not match a zero-length string: ${JSON.stringify(pattern)}`)
  return c
}

export function xpathReplace(input: string, pattern: string, replacement: string, flags: string): string {
  const c = nonEmptyMatching(pattern, flags, 'replace')
  if (c.translation.literal) return input.replace(c.global, () => replacement)
  const parts = replacementParts(replacement, c.translation.groups)
  return input.replace(c.global, (...args: unknown[]) => parts.map((part) => (typeof part === 'string' ? part : (args[part] as string | undefined) ?? '')).join(''))
}

/**
 * The replacement string as literal text and group numbers (F&O §5.6.4): \\ and \$ are \ and $; $N takes all
 * the digits after $, and while N is above the group count and above 9, its last digit is literal text; a group
 * number between the count and 9 is the empty string. Any other \ or $ is FORX0004.
 */
function replacementParts(replacement: string, groups: number): (string | number)[] {
  const parts: (string | number)[] = []
  let text = ''
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!
    if (c === '\\') {
      const next = replacement[i + 1]
      if (next !== '\\' && next !== '$') throw xpathError('FORX0004', `Invalid replacement string ${JSON.stringify(replacement)}: \\ must be followed by \\ or $`)
      text += next
      i++
    } else if (c === '$') {
      let d = ''
      while (/[0-9]/.test(replacement[i + 1] ?? '')) d += replacement[++i]
      if (d === '') throw xpathError('FORX0004', `Invalid replacement string ${JSON.stringify(replacement)}: $ must be followed by a digit`)
      let suffix = ''
      while (Number(d) > groups && Number(d) > 9) { suffix = d.slice(-1) + suffix; d = d.slice(0, -1) }
      if (text) parts.push(text)
      text = suffix
      if (Number(d) <= groups) parts.push(Number(d)) // $0 is the whole match
    } else text += c
  }
  if (text) parts.push(text)
  return parts
}

export function xpathTokenize(input: string, pattern: string, flags: string): string[] {
  if (input === '') return []
  const re = nonEmptyMatching(pattern, flags, 'tokenize').global
  const tokens: string[] = []
  let start = 0
  re.lastIndex = 0
  for (let m = re.exec(input); m; m = re.exec(input)) {
    tokens.push(input.slice(start, m.index))
    start = m.index + m[0].length
    if (m[0] === '') re.lastIndex++ // not reachable after FORX0003; keeps the loop finite regardless
  }
  tokens.push(input.slice(start))
  return tokens
}
