// Atomic values of the XPath 2.0 subset and their operations: casting (F&O §17), arithmetic (F&O §6.2),
// comparisons (F&O §6.3, XPath 2.0 §3.5), string forms (F&O §17.1.2).
// xs:decimal and xs:integer are exact: a BigInt mantissa and a decimal scale, never a JS number. xs:double
// is a JS number (IEEE 754 binary64, as XPath's xs:double); it appears where XPath says so: untypedAtomic
// operands of arithmetic and of comparisons with numbers, fn:sum over untyped values, fn:number.
import type { XNode } from './tree.js'
import { stringValue } from './tree.js'

/** xs:decimal (int false) or xs:integer (int true): the value m × 10^-s. */
export type Dec = { k: 'dec'; m: bigint; s: number; int: boolean }
/** xs:untypedAtomic: the atomized value of a node of an untyped document. */
export type Untyped = { k: 'u'; v: string }
/** xs:date: days since 1970-01-01 of the date as written, and its timezone in minutes (null: none). */
export type DateV = { k: 'date'; day: number; tz: number | null; lexical: string }
/** string = xs:string, number = xs:double, boolean = xs:boolean. */
export type Atomic = string | number | boolean | Dec | Untyped | DateV
export type Item = XNode | Atomic
export type Seq = Item[]

/** A dynamic error (XPath 2.0 §2.3.1), with its err:code as Saxon reports it. */
export type XPathError = Error & { code: string; xpath: true }
export function xpathError(code: string, message: string): XPathError {
  return Object.assign(new Error(message), { code, xpath: true as const })
}

export const isNode = (i: Item): i is XNode => typeof i === 'object' && (i as XNode).kind !== undefined
export const isDec = (a: Atomic): a is Dec => typeof a === 'object' && (a as Dec).k === 'dec'
export const isUntyped = (a: Atomic): a is Untyped => typeof a === 'object' && (a as Untyped).k === 'u'
export const isDate = (a: Atomic): a is DateV => typeof a === 'object' && (a as DateV).k === 'date'
export const isNumeric = (a: Atomic): a is number | Dec => typeof a === 'number' || isDec(a)

export const untyped = (v: string): Untyped => ({ k: 'u', v })

/** fn:data (F&O §2.4): a node of an untyped document atomizes to its string value as xs:untypedAtomic. */
export function atomize(item: Item): Atomic {
  return isNode(item) ? untyped(stringValue(item)) : item
}

export function typeName(a: Atomic): string {
  if (typeof a === 'string') return 'xs:string'
  if (typeof a === 'number') return 'xs:double'
  if (typeof a === 'boolean') return 'xs:boolean'
  if (isDec(a)) return a.int ? 'xs:integer' : 'xs:decimal'
  if (isUntyped(a)) return 'xs:untypedAtomic'
  return 'xs:date'
}

// ---- decimals ----

const TEN = 10n
const pow10 = (n: number): bigint => TEN ** BigInt(n)
export const decOf = (m: bigint, s: number, int = false): Dec => ({ k: 'dec', m, s, int })
export const integer = (n: number | bigint): Dec => decOf(BigInt(n), 0, true)

/** The xs:decimal lexical space (XSD 1.0 §3.2.3): no exponent; whitespace collapsed first (§4.3.6). */
const decimalLexical = /^([+-]?)(\d*)(?:\.(\d*))?$/
export function parseDecimal(text: string, int = false): Dec | null {
  const t = trimXml(text)
  const m = decimalLexical.exec(t)
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null
  if (int && m[3] !== undefined) return null
  const frac = m[3] ?? ''
  const mant = BigInt((m[2] || '0') + frac)
  return decOf(m[1] === '-' ? -mant : mant, frac.length, int)
}

const align = (a: Dec, b: Dec): [bigint, bigint, number] =>
  a.s === b.s ? [a.m, b.m, a.s] : a.s > b.s ? [a.m, b.m * pow10(a.s - b.s), a.s] : [a.m * pow10(b.s - a.s), b.m, b.s]

export function decCompare(a: Dec, b: Dec): number {
  const [x, y] = align(a, b)
  return x < y ? -1 : x > y ? 1 : 0
}

/** Division of decimals as SaxonJS 2 does it (its Big.js: 20 fraction digits, ties away from zero). */
const DIVIDE_DIGITS = 20
function decDivide(a: Dec, b: Dec): Dec {
  if (b.m === 0n) throw xpathError('FOAR0001', 'Decimal divide by zero')
  // a.m/10^a.s ÷ b.m/10^b.s = (a.m × 10^(b.s + D)) / (b.m × 10^a.s) × 10^-D
  let num = a.m * pow10(b.s + DIVIDE_DIGITS)
  let den = b.m * pow10(a.s)
  if (den < 0n) { num = -num; den = -den }
  const neg = num < 0n
  const absNum = neg ? -num : num
  let q = absNum / den
  const r = absNum % den
  if (r * 2n >= den) q += 1n
  return normalise(decOf(neg ? -q : q, DIVIDE_DIGITS))
}

/** Drops trailing fraction zeros (the value is unchanged; string forms and equality do not depend on it). */
function normalise(d: Dec): Dec {
  let { m, s } = d
  while (s > 0 && m % TEN === 0n) { m /= TEN; s-- }
  // Zero too: 0.0000 is 0 (its mantissa is the same 0n at every scale, so the scale must be compared).
  return m === d.m && s === d.s ? d : decOf(m, s, d.int)
}

export function decToString(d: Dec): string {
  // F&O §17.1.2: no trailing zeros, no decimal point for whole values, a leading zero before the point.
  const n = normalise(d)
  const neg = n.m < 0n
  let digits = (neg ? -n.m : n.m).toString()
  if (n.s === 0) return (neg ? '-' : '') + digits
  if (digits.length <= n.s) digits = '0'.repeat(n.s - digits.length + 1) + digits
  return `${neg ? '-' : ''}${digits.slice(0, digits.length - n.s)}.${digits.slice(digits.length - n.s)}`
}

export const decToDouble = (d: Dec): number => Number(decToString(d))

/** xs:double → xs:decimal (F&O §17.1.3.3): the shortest decimal that round-trips, as SaxonJS does. */
export function doubleToDec(x: number): Dec {
  if (!Number.isFinite(x)) throw xpathError('FOCA0002', `Cannot convert ${doubleToString(x)} to xs:decimal`)
  const [mant, exp] = x.toExponential().split('e') as [string, string]
  const neg = mant.startsWith('-')
  const digits = mant.replace('-', '').replace('.', '')
  const e = Number(exp) - (digits.length - 1)
  const m = BigInt(digits) * (e > 0 ? pow10(e) : 1n)
  return normalise(decOf(neg ? -m : m, e < 0 ? -e : 0))
}

// ---- doubles ----

/** xs:double lexical space (XSD 1.0 §3.2.5). */
const doubleLexical = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
export function parseDouble(text: string): number | null {
  const t = trimXml(text)
  if (t === 'INF') return Infinity
  if (t === '-INF') return -Infinity
  if (t === 'NaN') return NaN
  return doubleLexical.test(t) ? Number(t) : null
}

/** xs:double → xs:string (F&O §17.1.2): plain notation in [1e-6, 1e6), else mantissa 'E' exponent. */
export function doubleToString(x: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Infinity) return 'INF'
  if (x === -Infinity) return '-INF'
  if (x === 0) return Object.is(x, -0) ? '-0' : '0'
  const abs = Math.abs(x)
  if (abs >= 1e-6 && abs < 1e6) return String(x)
  const [mant, exp] = x.toExponential().split('e') as [string, string]
  return `${mant.includes('.') ? mant : mant + '.0'}E${Number(exp)}`
}

// ---- strings ----

/** XML whitespace (#x20 #x9 #xD #xA), the only whitespace of XPath and XSD (not JS's \s). */
export const trimXml = (s: string) => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '')

export function atomicToString(a: Atomic): string {
  if (typeof a === 'string') return a
  if (typeof a === 'number') return doubleToString(a)
  if (typeof a === 'boolean') return a ? 'true' : 'false'
  if (isDec(a)) return decToString(a)
  if (isUntyped(a)) return a.v
  return a.lexical
}

// ---- dates ----

const dateLexical = /^(-?\d{4,})-(\d\d)-(\d\d)(Z|[+-]\d\d:\d\d)?$/
const daysInMonth = (y: number, m: number) => [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!
export function parseDate(text: string): DateV | null {
  const t = trimXml(text)
  const m = dateLexical.exec(t)
  if (!m) return null
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3])
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null
  let tz: number | null = null
  if (m[4] === 'Z') tz = 0
  else if (m[4]) {
    const sign = m[4][0] === '-' ? -1 : 1
    const hh = Number(m[4].slice(1, 3)), mm = Number(m[4].slice(4, 6))
    if (hh > 14 || mm > 59 || (hh === 14 && mm > 0)) return null
    tz = sign * (hh * 60 + mm)
  }
  return { k: 'date', day: Date.UTC(y, mo - 1, d) / 86_400_000, tz, lexical: t }
}

/**
 * Dates compare as instants (F&O §10.4.9): the start of the day in their timezone; one without a timezone
 * takes the implicit timezone, UTC here (the validation workers run in UTC, as the reference runs did).
 */
const dateInstant = (d: DateV) => d.day * 1440 - (d.tz ?? 0)

// ---- the reference's deviations, for the differential test ----

/**
 * Differential test only. SaxonJS 2.7, the reference, departs from XSD and F&O on characters that JavaScript
 * counts as whitespace and XML does not (NBSP, U+2003 …): it trims them around the lexical forms of xs:date
 * and xs:integer, and its regular expressions take \s, \S and \D from JavaScript (xsd-regex.ts). Under
 * withSaxonJsQuirks(f) the native engine does the same, so that the differential test can show that a
 * disagreement comes from these deviations alone.
 */
export const saxonJsQuirks = { on: false }
export function withSaxonJsQuirks<T>(f: () => T): T {
  saxonJsQuirks.on = true
  try { return f() } finally { saxonJsQuirks.on = false }
}
const quirkTrim = (s: string) => (saxonJsQuirks.on ? s.trim() : s)

// ---- casts (F&O §17) ----

export function castAs(a: Atomic, type: string): Atomic {
  const fail = (): never => { throw xpathError('FORG0001', `Cannot convert ${typeName(a)} '${atomicToString(a)}' to ${type}`) }
  switch (type) {
    case 'xs:string': return atomicToString(a)
    case 'xs:untypedAtomic': return untyped(atomicToString(a))
    case 'xs:double': case 'xs:float': {
      if (typeof a === 'number') return a
      if (isDec(a)) return decToDouble(a)
      if (typeof a === 'boolean') return a ? 1 : 0
      if (typeof a === 'string' || isUntyped(a)) return parseDouble(atomicToString(a)) ?? fail()
      return fail()
    }
    case 'xs:decimal': {
      if (isDec(a)) return a.int ? decOf(a.m, a.s) : a
      if (typeof a === 'number') return doubleToDec(a)
      if (typeof a === 'boolean') return decOf(a ? 1n : 0n, 0)
      if (typeof a === 'string' || isUntyped(a)) return parseDecimal(atomicToString(a)) ?? fail()
      return fail()
    }
    case 'xs:integer': {
      if (isDec(a)) return decOf(a.s === 0 ? a.m : a.m / pow10(a.s), 0, true)
      if (typeof a === 'number') return { ...doubleToDec(Math.trunc(a)), int: true }
      if (typeof a === 'boolean') return integer(a ? 1 : 0)
      if (typeof a === 'string' || isUntyped(a)) return parseDecimal(quirkTrim(atomicToString(a)), true) ?? fail()
      return fail()
    }
    case 'xs:boolean': {
      if (typeof a === 'boolean') return a
      if (typeof a === 'number') return !(a === 0 || Number.isNaN(a))
      if (isDec(a)) return a.m !== 0n
      if (typeof a === 'string' || isUntyped(a)) {
        const t = trimXml(atomicToString(a))
        if (t === 'true' || t === '1') return true
        if (t === 'false' || t === '0') return false
      }
      return fail()
    }
    case 'xs:date': {
      if (isDate(a)) return a
      if (typeof a === 'string' || isUntyped(a)) return parseDate(quirkTrim(atomicToString(a))) ?? fail()
      return fail()
    }
    default: throw xpathError('XPST0051', `cast to ${type} is not supported`)
  }
}

export function castable(a: Atomic, type: string): boolean {
  try { castAs(a, type); return true } catch (e) { if ((e as XPathError).code === 'XPST0051') throw e; return false }
}

// ---- arithmetic (XPath 2.0 §3.4, F&O §6.2) ----

export type ArithOp = '+' | '-' | '*' | 'div' | 'idiv' | 'mod'

/** Operands already atomized; an untypedAtomic operand is cast to xs:double (§3.4). */
export function arithmetic(op: ArithOp, a0: Atomic, b0: Atomic): Atomic {
  const a = isUntyped(a0) ? castAs(a0, 'xs:double') : a0
  const b = isUntyped(b0) ? castAs(b0, 'xs:double') : b0
  if (!isNumeric(a) || !isNumeric(b)) throw xpathError('XPTY0004', `Arithmetic operator is not defined for arguments of types (${typeName(a)}, ${typeName(b)})`)
  if (typeof a === 'number' || typeof b === 'number') {
    const x = typeof a === 'number' ? a : decToDouble(a)
    const y = typeof b === 'number' ? b : decToDouble(b)
    switch (op) {
      case '+': return x + y
      case '-': return x - y
      case '*': return x * y
      case 'div': return x / y
      case 'mod': return x % y
      case 'idiv': {
        if (Number.isNaN(x) || Number.isNaN(y) || !Number.isFinite(x)) throw xpathError('FOAR0002', 'idiv of NaN or infinity')
        if (y === 0) throw xpathError('FOAR0001', 'Integer division by zero')
        return { ...doubleToDec(Math.trunc(x / y)), int: true }
      }
    }
  }
  const int = a.int && b.int
  switch (op) {
    case '+': { const [x, y, s] = align(a, b); return decOf(x + y, s, int) }
    case '-': { const [x, y, s] = align(a, b); return decOf(x - y, s, int) }
    case '*': return decOf(a.m * b.m, a.s + b.s, int)
    case 'div': return decDivide(a, b)
    case 'idiv': {
      if (b.m === 0n) throw xpathError('FOAR0001', 'Integer division by zero')
      const [x, y] = align(a, b)
      return decOf(x / y, 0, true)
    }
    case 'mod': {
      if (b.m === 0n) throw xpathError('FOAR0001', 'Integer division by zero')
      const [x, y, s] = align(a, b)
      return decOf(x % y, s, int)
    }
  }
}

export function negate(a0: Atomic): Atomic {
  const a = isUntyped(a0) ? castAs(a0, 'xs:double') : a0
  if (typeof a === 'number') return -a
  if (isDec(a)) return decOf(-a.m, a.s, a.int)
  throw xpathError('XPTY0004', `Unary minus is not defined for ${typeName(a)}`)
}

// ---- rounding (F&O §6.4) ----

/** BigInt division rounding towards −∞. */
const floorDiv = (a: bigint, b: bigint) => { const q = a / b; return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q }

/** fn:round: the nearest integer, ties towards positive infinity (F&O §6.4.4); same type as the argument. */
export function round(a: Atomic): Atomic {
  if (typeof a === 'number') {
    if (!Number.isFinite(a) || a === 0) return a
    // Math.round rounds ties towards +∞ and keeps -0 for [-0.5, -0): what F&O §6.4.4 asks.
    return Math.round(a)
  }
  if (isDec(a)) {
    if (a.s === 0) return a
    const unit = pow10(a.s)
    return decOf(floorDiv(a.m * 2n + unit, unit * 2n), 0, a.int)
  }
  throw xpathError('XPTY0004', `round() of ${typeName(a)}`)
}

/** fn:round-half-to-even (F&O §6.4.5) at `precision` fraction digits. */
export function roundHalfToEven(a: Atomic, precision: number): Atomic {
  if (typeof a === 'number') {
    if (!Number.isFinite(a) || a === 0) return a
    return decToDouble(roundHalfToEven(doubleToDec(a), precision) as Dec)
  }
  if (isDec(a)) {
    if (a.s <= precision) return a
    const drop = pow10(a.s - precision)
    let q = floorDiv(a.m, drop)
    const r = a.m - q * drop
    if (r * 2n > drop || (r * 2n === drop && q % 2n !== 0n)) q += 1n
    return precision >= 0 ? decOf(q, precision, a.int) : decOf(q * pow10(-precision), 0, a.int)
  }
  throw xpathError('XPTY0004', `round-half-to-even() of ${typeName(a)}`)
}

export function abs(a: Atomic): Atomic {
  if (typeof a === 'number') return Math.abs(a)
  if (isDec(a)) return a.m < 0n ? decOf(-a.m, a.s, a.int) : a
  throw xpathError('XPTY0004', `abs() of ${typeName(a)}`)
}

export function floorOrCeiling(a: Atomic, ceiling: boolean): Atomic {
  if (typeof a === 'number') return ceiling ? Math.ceil(a) : Math.floor(a)
  if (isDec(a)) {
    if (a.s === 0) return a
    const unit = pow10(a.s)
    const f = floorDiv(a.m, unit)
    return decOf(ceiling && f * unit !== a.m ? f + 1n : f, 0, a.int)
  }
  throw xpathError('XPTY0004', `floor()/ceiling() of ${typeName(a)}`)
}

// ---- comparisons ----

export type CompOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
export const generalToValue: Record<string, CompOp> = { '=': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' }

const verdict = (op: CompOp, c: number): boolean => {
  switch (op) {
    case 'eq': return c === 0
    case 'ne': return c !== 0
    case 'lt': return c < 0
    case 'le': return c <= 0
    case 'gt': return c > 0
    case 'ge': return c >= 0
  }
}

/**
 * A value comparison of two atomic values (XPath 2.0 §3.5.1) once untypedAtomic operands have been given
 * their type: numerics promoted to xs:double when either is one (§B.1), strings by code point (the default
 * collation), booleans false < true, dates as instants.
 */
export function compareAtomic(op: CompOp, a: Atomic, b: Atomic): boolean {
  if (isNumeric(a) && isNumeric(b)) {
    if (typeof a === 'number' || typeof b === 'number') {
      const x = typeof a === 'number' ? a : decToDouble(a)
      const y = typeof b === 'number' ? b : decToDouble(b)
      if (Number.isNaN(x) || Number.isNaN(y)) return op === 'ne'
      return verdict(op, x < y ? -1 : x > y ? 1 : 0)
    }
    return verdict(op, decCompare(a, b))
  }
  const sa = typeof a === 'string' || isUntyped(a), sb = typeof b === 'string' || isUntyped(b)
  if (sa && sb) {
    const x = atomicToString(a), y = atomicToString(b)
    return verdict(op, x === y ? 0 : codepointLess(x, y) ? -1 : 1)
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return verdict(op, Number(a) - Number(b))
  if (isDate(a) && isDate(b)) return verdict(op, Math.sign(dateInstant(a) - dateInstant(b)))
  throw xpathError('XPTY0004', `Cannot compare ${typeName(a)} to ${typeName(b)}`)
}

/** Code point order (UTF-16 order differs only between surrogates and U+E000–U+FFFF). */
function codepointLess(x: string, y: string): boolean {
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) {
    const a = x.codePointAt(i)!, b = y.codePointAt(i)!
    if (a !== b) return a < b
    if (a > 0xffff) i++
  }
  return x.length < y.length
}

/** One pair of a general comparison (XPath 2.0 §3.5.2), with its untypedAtomic conversions. */
export function comparePair(op: CompOp, a: Atomic, b: Atomic): boolean {
  const ua = isUntyped(a), ub = isUntyped(b)
  if (ua && !ub) a = isNumeric(b) ? castAs(a, 'xs:double') : typeof b === 'string' ? (a as Untyped).v : castAs(a, typeName(b))
  else if (ub && !ua) b = isNumeric(a) ? castAs(b, 'xs:double') : typeof a === 'string' ? (b as Untyped).v : castAs(b, typeName(a))
  return compareAtomic(op, a, b)
}

/** The value a numeric predicate or position() compares with. */
export function numericValue(a: Atomic): number {
  if (typeof a === 'number') return a
  if (isDec(a)) return decToDouble(a)
  throw xpathError('XPTY0004', `${typeName(a)} is not numeric`)
}
