// The fn: functions the packs call (see census.ts), with the argument conversions of XPath 2.0 §3.1.5:
// arguments are atomized, untypedAtomic becomes the expected type, and more items than the signature
// allows is a type error (XPTY0004) — which Saxon raises too, e.g. normalize-space() of two elements.
import type { Expr } from './ast.js'
import type { Ctx, Fn } from './compile.js'
import { type XNode, stringValue, ELEMENT, ATTRIBUTE } from './tree.js'
import { xpathMatches, xpathReplace, xpathTokenize } from './xsd-regex.js'
import {
  type Atomic, type Item, type Seq, atomize, isNode, isNumeric, isUntyped, xpathError, atomicToString, castAs, arithmetic,
  round, roundHalfToEven, abs, floorOrCeiling, integer, numericValue, compareAtomic, typeName, parseDouble,
} from './values.js'

type Make = (args: Fn[], exprs: Expr[]) => Fn
const EMPTY: Seq = []

/** xs:string? argument: () → '' (the functions below all treat () as the zero-length string). */
function stringArg(seq: Seq, fn: string): string {
  if (seq.length === 0) return ''
  if (seq.length > 1) throw xpathError('XPTY0004', `A sequence of more than one item is not allowed as an argument of ${fn}()`)
  const item = seq[0]!
  if (isNode(item)) return stringValue(item)
  if (typeof item === 'string') return item
  if (isUntyped(item)) return item.v
  throw xpathError('XPTY0004', `Required item type of an argument of ${fn}() is xs:string; supplied value has type ${typeName(item)}`)
}

function optAtomic(seq: Seq, fn: string): Atomic | null {
  if (seq.length === 0) return null
  if (seq.length > 1) throw xpathError('XPTY0004', `A sequence of more than one item is not allowed as an argument of ${fn}()`)
  return atomize(seq[0]!)
}

/** A numeric argument (xs:numeric?): untypedAtomic → xs:double. */
function numericArg(seq: Seq, fn: string): Atomic | null {
  const a = optAtomic(seq, fn)
  if (a === null) return null
  const v = isUntyped(a) ? castAs(a, 'xs:double') : a
  if (!isNumeric(v)) throw xpathError('XPTY0004', `Required item type of an argument of ${fn}() is numeric; supplied value has type ${typeName(v)}`)
  return v
}

function doubleArg(seq: Seq, fn: string): number {
  const a = numericArg(seq, fn)
  if (a === null) throw xpathError('XPTY0004', `An empty sequence is not allowed as an argument of ${fn}()`)
  return numericValue(a)
}

const ctxSeq = (ctx: Ctx): Seq => {
  if (ctx.item === null) throw xpathError('XPDY0002', 'The context item is absent')
  return [ctx.item]
}

const str1 = (name: string, f: (s: string) => Atomic): Make => ([a]) => (ctx) => [f(stringArg(a ? a(ctx) : ctxSeq(ctx), name))]
const str2 = (name: string, f: (s: string, t: string) => Atomic): Make => ([a, b]) => (ctx) => [f(stringArg(a!(ctx), name), stringArg(b!(ctx), name))]

/** Code points, not UTF-16 units (F&O §7.4: strings are sequences of characters). */
const codepoints = (s: string) => Array.from(s)

/** XML whitespace only (#x20 #x9 #xD #xA), F&O §7.4.5. */
const normalizeSpace = (s: string) => s.replace(/[ \t\r\n]+/g, ' ').replace(/^ | $/g, '')

function nodeArg(seq: Seq, fn: string): XNode | null {
  if (seq.length === 0) return null
  if (seq.length > 1) throw xpathError('XPTY0004', `A sequence of more than one item is not allowed as the argument of ${fn}()`)
  const n = seq[0]!
  if (!isNode(n)) throw xpathError('XPTY0004', `The argument of ${fn}() is not a node`)
  return n
}

const nameOf = (n: XNode) => (n.kind === ELEMENT || n.kind === ATTRIBUTE ? (n.prefix ? `${n.prefix}:${n.local}` : n.local) : '')

/** fn:sum (F&O §15.4.5): untypedAtomic → xs:double; () → 0 (xs:integer). */
function sum(items: Seq, zero: Seq | null): Seq {
  if (items.length === 0) return zero ?? [integer(0)]
  let total: Atomic | null = null
  for (const item of items) {
    let a = atomize(item)
    if (isUntyped(a)) a = castAs(a, 'xs:double')
    if (!isNumeric(a)) throw xpathError('FORG0006', `Input to sum() contains a value of type ${typeName(a)}`)
    total = total === null ? a : arithmetic('+', total, a)
  }
  return [total!]
}

/** fn:max / fn:min (F&O §15.4.3): untypedAtomic → xs:double; NaN wins; same-type comparison. */
function extreme(items: Seq, max: boolean): Seq {
  let best: Atomic | null = null
  for (const item of items) {
    let a = atomize(item)
    if (isUntyped(a)) a = castAs(a, 'xs:double')
    if (typeof a === 'number' && Number.isNaN(a)) return [a]
    if (best === null || compareAtomic(max ? 'gt' : 'lt', a, best)) best = a
  }
  if (best === null) return EMPTY
  // a mix of decimals and doubles gives a double (type promotion)
  if (items.some((i) => { const a = atomize(i); return typeof a === 'number' || isUntyped(a) }) && typeof best !== 'number' && isNumeric(best)) best = numericValue(best)
  return [best]
}

function distinctValues(items: Seq): Seq {
  const out: Atomic[] = []
  for (const item of items) {
    let a = atomize(item)
    if (isUntyped(a)) a = a.v
    const same = (b: Atomic) => {
      if (typeof a === 'number' && Number.isNaN(a)) return typeof b === 'number' && Number.isNaN(b)
      try { return compareAtomic('eq', a, b) } catch { return false }
    }
    if (!out.some(same)) out.push(a)
  }
  return out
}

const table: Record<string, Make> = {
  'count/1': ([a]) => (ctx) => [integer(a!(ctx).length)],
  'sum/1': ([a]) => (ctx) => sum(a!(ctx), null),
  'sum/2': ([a, z]) => (ctx) => sum(a!(ctx), z!(ctx)),
  'max/1': ([a]) => (ctx) => extreme(a!(ctx), true),
  'min/1': ([a]) => (ctx) => extreme(a!(ctx), false),
  'avg/1': ([a]) => (ctx) => {
    const items = a!(ctx)
    if (items.length === 0) return EMPTY
    return [arithmetic('div', sum(items, null)[0] as Atomic, integer(items.length))]
  },
  'normalize-space/0': str1('normalize-space', normalizeSpace),
  'normalize-space/1': str1('normalize-space', normalizeSpace),
  'string-length/0': str1('string-length', (s) => integer(codepoints(s).length)),
  'string-length/1': str1('string-length', (s) => integer(codepoints(s).length)),
  'upper-case/1': str1('upper-case', (s) => s.toUpperCase()),
  'lower-case/1': str1('lower-case', (s) => s.toLowerCase()),
  'contains/2': str2('contains', (s, t) => s.includes(t)),
  'starts-with/2': str2('starts-with', (s, t) => s.startsWith(t)),
  'ends-with/2': str2('ends-with', (s, t) => s.endsWith(t)),
  'substring-before/2': str2('substring-before', (s, t) => { const i = s.indexOf(t); return i < 0 ? '' : s.slice(0, i) }),
  'substring-after/2': str2('substring-after', (s, t) => { const i = s.indexOf(t); return i < 0 ? '' : s.slice(i + t.length) }),
  'string/0': ([]) => (ctx) => [stringOf(ctxSeq(ctx))],
  'string/1': ([a]) => (ctx) => [stringOf(a!(ctx))],
  'number/0': ([]) => (ctx) => [numberOf(ctxSeq(ctx))],
  'number/1': ([a]) => (ctx) => [numberOf(a!(ctx))],
  'concat': (args) => (ctx) => {
    let s = ''
    for (const a of args) { const v = optAtomic(a(ctx), 'concat'); if (v !== null) s += atomicToString(v) }
    return [s]
  },
  // F&O §7.4.3: characters at positions p with round(start) <= p < round(start) + round(length), in doubles.
  'substring/2': ([a, b]) => (ctx) => {
    const chars = codepoints(stringArg(a!(ctx), 'substring'))
    const start = Math.round(doubleArg(b!(ctx), 'substring'))
    if (Number.isNaN(start)) return ['']
    return [chars.filter((_, i) => i + 1 >= start).join('')]
  },
  'substring/3': ([a, b, c]) => (ctx) => {
    const chars = codepoints(stringArg(a!(ctx), 'substring'))
    const start = Math.round(doubleArg(b!(ctx), 'substring')), len = Math.round(doubleArg(c!(ctx), 'substring'))
    return [chars.filter((_, i) => i + 1 >= start && i + 1 < start + len).join('')]
  },
  'translate/3': ([a, b, c]) => (ctx) => {
    const from = codepoints(stringArg(b!(ctx), 'translate')), to = codepoints(stringArg(c!(ctx), 'translate'))
    return [codepoints(stringArg(a!(ctx), 'translate')).map((ch) => { const i = from.indexOf(ch); return i < 0 ? ch : (to[i] ?? '') }).join('')]
  },
  'string-join/2': ([a, b]) => (ctx) => [a!(ctx).map((i) => atomicToString(atomize(i))).join(stringArg(b!(ctx), 'string-join'))],
  'string-join/1': ([a]) => (ctx) => [a!(ctx).map((i) => atomicToString(atomize(i))).join('')],
  // Regular expressions: XSD's, with F&O's additions, translated by xsd-regex.ts.
  'matches/2': ([a, b]) => (ctx) => [xpathMatches(stringArg(a!(ctx), 'matches'), stringArg(b!(ctx), 'matches'), '')],
  'matches/3': ([a, b, c]) => (ctx) => [xpathMatches(stringArg(a!(ctx), 'matches'), stringArg(b!(ctx), 'matches'), stringArg(c!(ctx), 'matches'))],
  'replace/3': ([a, b, c]) => (ctx) => [xpathReplace(stringArg(a!(ctx), 'replace'), stringArg(b!(ctx), 'replace'), stringArg(c!(ctx), 'replace'), '')],
  'replace/4': ([a, b, c, d]) => (ctx) => [xpathReplace(stringArg(a!(ctx), 'replace'), stringArg(b!(ctx), 'replace'), stringArg(c!(ctx), 'replace'), stringArg(d!(ctx), 'replace'))],
  'tokenize/2': ([a, b]) => (ctx) => xpathTokenize(stringArg(a!(ctx), 'tokenize'), stringArg(b!(ctx), 'tokenize'), ''),
  'tokenize/3': ([a, b, c]) => (ctx) => xpathTokenize(stringArg(a!(ctx), 'tokenize'), stringArg(b!(ctx), 'tokenize'), stringArg(c!(ctx), 'tokenize')),
  'distinct-values/1': ([a]) => (ctx) => distinctValues(a!(ctx)),
  'round/1': ([a]) => (ctx) => { const v = numericArg(a!(ctx), 'round'); return v === null ? EMPTY : [round(v)] },
  'round-half-to-even/1': ([a]) => (ctx) => { const v = numericArg(a!(ctx), 'round-half-to-even'); return v === null ? EMPTY : [roundHalfToEven(v, 0)] },
  'round-half-to-even/2': ([a, p]) => (ctx) => { const v = numericArg(a!(ctx), 'round-half-to-even'); return v === null ? EMPTY : [roundHalfToEven(v, doubleArg(p!(ctx), 'round-half-to-even'))] },
  'abs/1': ([a]) => (ctx) => { const v = numericArg(a!(ctx), 'abs'); return v === null ? EMPTY : [abs(v)] },
  'floor/1': ([a]) => (ctx) => { const v = numericArg(a!(ctx), 'floor'); return v === null ? EMPTY : [floorOrCeiling(v, false)] },
  'ceiling/1': ([a]) => (ctx) => { const v = numericArg(a!(ctx), 'ceiling'); return v === null ? EMPTY : [floorOrCeiling(v, true)] },
  'name/0': ([]) => (ctx) => [nameOf(nodeArg(ctxSeq(ctx), 'name')!)],
  'name/1': ([a]) => (ctx) => { const n = nodeArg(a!(ctx), 'name'); return [n ? nameOf(n) : ''] },
  'local-name/0': ([]) => (ctx) => [nodeArg(ctxSeq(ctx), 'local-name')!.local],
  'local-name/1': ([a]) => (ctx) => [nodeArg(a!(ctx), 'local-name')?.local ?? ''],
  'namespace-uri/0': ([]) => (ctx) => [nodeArg(ctxSeq(ctx), 'namespace-uri')!.ns],
  'namespace-uri/1': ([a]) => (ctx) => [nodeArg(a!(ctx), 'namespace-uri')?.ns ?? ''],
  'position/0': ([]) => (ctx) => [integer(ctx.pos)],
  'last/0': ([]) => (ctx) => [integer(ctx.size)],
  'current/0': ([]) => (ctx) => { if (ctx.current === null) throw xpathError('XTDE1360', 'current() is absent'); return [ctx.current] },
  'root/0': ([]) => (ctx) => [ctx.tree.root],
  'string-to-codepoints/1': ([a]) => (ctx) => codepoints(stringArg(a!(ctx), 'string-to-codepoints')).map((c) => integer(c.codePointAt(0)!)),
  'codepoints-to-string/1': ([a]) => (ctx) => [a!(ctx).map((i) => String.fromCodePoint(numericValue(atomize(i)))).join('')],
  'reverse/1': ([a]) => (ctx) => [...a!(ctx)].reverse(),
  'data/1': ([a]) => (ctx) => a!(ctx).map(atomize),
  'exactly-one/1': ([a]) => (ctx) => { const v = a!(ctx); if (v.length !== 1) throw xpathError('FORG0005', 'exactly-one() called with a sequence containing zero or more than one item'); return v },
  'zero-or-one/1': ([a]) => (ctx) => { const v = a!(ctx); if (v.length > 1) throw xpathError('FORG0003', 'zero-or-one() called with a sequence containing more than one item'); return v },
  'one-or-more/1': ([a]) => (ctx) => { const v = a!(ctx); if (v.length === 0) throw xpathError('FORG0004', 'one-or-more() called with an empty sequence'); return v },
  'index-of/2': ([a, b]) => (ctx) => {
    const key = optAtomic(b!(ctx), 'index-of')
    const out: Item[] = []
    a!(ctx).forEach((i, n) => {
      let x = atomize(i)
      if (isUntyped(x)) x = x.v
      try { if (key !== null && compareAtomic('eq', x, isUntyped(key) ? key.v : key)) out.push(integer(n + 1)) } catch { /* incomparable: not equal */ }
    })
    return out
  },
}

function stringOf(seq: Seq): string {
  if (seq.length === 0) return ''
  if (seq.length > 1) throw xpathError('XPTY0004', 'A sequence of more than one item is not allowed as the argument of string()')
  return atomicToString(atomize(seq[0]!))
}

/** fn:number (F&O §14.1.2): xs:double, NaN when the value cannot be converted. */
function numberOf(seq: Seq): number {
  if (seq.length === 0) return NaN
  if (seq.length > 1) throw xpathError('XPTY0004', 'A sequence of more than one item is not allowed as the argument of number()')
  const a = atomize(seq[0]!)
  if (typeof a === 'number') return a
  if (typeof a === 'boolean') return a ? 1 : 0
  if (isNumeric(a)) return numericValue(a)
  if (typeof a === 'string' || isUntyped(a)) return parseDouble(atomicToString(a)) ?? NaN
  return NaN
}

export function functionCompiler(local: string, arity: number): Make | null {
  return table[`${local}/${arity}`] ?? (local === 'concat' && arity >= 2 ? table.concat! : null)
}
