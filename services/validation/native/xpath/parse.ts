// A recursive-descent parser for the XPath 2.0 subset of the rule packs (XPath 2.0 §A.1 grammar), and for
// XSLT 2.0 match patterns (§5.5.2), which are XPath path expressions restricted to child and attribute
// steps joined by `/` and `//`, and unions. Prefixes are resolved with the stylesheet's namespaces.
import type { Axis, Expr, NodeTest, SequenceType } from './ast.js'
import { FN_NS, XS_NS } from './ast.js'

type Token =
  | { k: 'name'; v: string; pos: number } // NCName, QName, prefix:*, *:local, or *
  | { k: 'string'; v: string; pos: number }
  | { k: 'number'; v: string; pos: number }
  | { k: 'sym'; v: string; pos: number }
  | { k: 'var'; v: string; pos: number }
  | { k: 'end'; v: ''; pos: number }

const nameStart = /[A-Za-z_\u00C0-\uFFFF]/
const nameChar = /[A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]/
const operatorNames = new Set(['and', 'or', 'div', 'idiv', 'mod', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'union', 'intersect', 'except', 'to', 'is', 'instance', 'castable', 'cast', 'treat', 'return', 'satisfies', 'then', 'else', 'in', 'of', 'as'])

/**
 * XPath 2.0 §A.2.1: `*` is a multiplication and a name is an operator when a token precedes it that is not
 * `@ :: ( [ ,` nor an operator — this lexer marks such names with the `op` flag for the parser.
 */
function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  const prevAllowsOperator = () => {
    const p = tokens[tokens.length - 1]
    if (!p) return false
    if (p.k === 'sym') return p.v === ')' || p.v === ']' || p.v === '.' || p.v === '..'
    if (p.k === 'name') return !(p as { op?: boolean }).op
    return true
  }
  const readName = (): string => {
    const start = i
    while (i < src.length && nameChar.test(src[i]!)) i++
    return src.slice(start, i)
  }
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) { i++; continue }
    if (c === '(' && src[i + 1] === ':') {
      let depth = 0
      while (i < src.length) {
        if (src.startsWith('(:', i)) { depth++; i += 2 } else if (src.startsWith(':)', i)) { depth--; i += 2; if (depth === 0) break } else i++
      }
      continue
    }
    const pos = i
    if (c === '"' || c === "'") {
      let v = ''
      i++
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in ${src}`)
        if (src[i] === c) { if (src[i + 1] === c) { v += c; i += 2; continue } i++; break }
        v += src[i++]
      }
      tokens.push({ k: 'string', v, pos })
      continue
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i))!
      i += m[0].length
      tokens.push({ k: 'number', v: m[0], pos })
      continue
    }
    if (c === '$') {
      i++
      while (/\s/.test(src[i] ?? '')) i++
      let name = readName()
      if (src[i] === ':' && nameStart.test(src[i + 1] ?? '')) { i++; name += ':' + readName() }
      tokens.push({ k: 'var', v: name, pos })
      continue
    }
    if (c === '*') {
      if (prevAllowsOperator()) { tokens.push({ k: 'sym', v: '*', pos }); i++; continue }
      i++
      if (src[i] === ':' && nameStart.test(src[i + 1] ?? '')) { i++; tokens.push({ k: 'name', v: '*:' + readName(), pos }); continue }
      tokens.push({ k: 'name', v: '*', pos })
      continue
    }
    if (nameStart.test(c)) {
      let name = readName()
      if (src[i] === ':' && src[i + 1] !== ':') {
        if (src[i + 1] === '*') { i += 2; name += ':*' } else if (nameStart.test(src[i + 1] ?? '')) { i++; name += ':' + readName() }
      }
      const token = { k: 'name' as const, v: name, pos, op: prevAllowsOperator() && operatorNames.has(name) }
      tokens.push(token)
      continue
    }
    const two = src.slice(i, i + 2)
    if (['//', '::', '..', '!=', '<=', '>=', '<<', '>>'].includes(two)) { tokens.push({ k: 'sym', v: two, pos }); i += 2; continue }
    if ('()[],/@.|=<>+-?'.includes(c)) { tokens.push({ k: 'sym', v: c, pos }); i++; continue }
    throw new Error(`unexpected character '${c}' at ${i} in ${src}`)
  }
  tokens.push({ k: 'end', v: '', pos: src.length })
  return tokens
}

const axes = new Set<Axis>(['child', 'descendant', 'attribute', 'self', 'descendant-or-self', 'following-sibling', 'following', 'parent', 'ancestor', 'preceding-sibling', 'preceding', 'ancestor-or-self'])
const kindTests = new Set(['node', 'text', 'element', 'attribute', 'comment', 'document-node', 'processing-instruction', 'schema-element', 'schema-attribute', 'item', 'empty-sequence'])

export type Namespaces = Record<string, string>

/** Parses an XPath expression; prefixes resolve with `namespaces` (xs and fn are always known). */
export function parseXPath(src: string, namespaces: Namespaces): Expr {
  const p = parser(src, namespaces)
  const e = p.expr()
  p.expectEnd()
  return e
}

/**
 * Parses an XSLT 2.0 match pattern (§5.5.2) into the same AST: a union of path expressions whose first
 * step may be `/`, `//` or relative. Matching is done by the engine from the node up (see match.ts).
 */
export function parsePattern(src: string, namespaces: Namespaces): Expr {
  return parseXPath(src, namespaces)
}

function parser(src: string, namespaces: Namespaces) {
  const tokens = tokenize(src)
  let at = 0
  const peek = (n = 0) => tokens[at + n]!
  const next = () => tokens[at++]!
  const isSym = (v: string, n = 0) => { const t = peek(n); return t.k === 'sym' && t.v === v }
  const isOp = (v: string) => { const t = peek(); return t.k === 'name' && t.v === v && (t as { op?: boolean }).op === true }
  const isKeyword = (v: string) => { const t = peek(); return t.k === 'name' && t.v === v }
  const fail = (what: string): never => { throw new Error(`XPath: ${what} at ${peek().pos} in ${src}`) }
  const expectSym = (v: string) => { if (!isSym(v)) fail(`expected '${v}', found '${peek().v}'`); next() }
  const expectKeyword = (v: string) => { if (!isKeyword(v)) fail(`expected '${v}', found '${peek().v}'`); next() }

  const resolve = (qname: string, defaultNs: string | null): { ns: string | null; local: string } => {
    const colon = qname.indexOf(':')
    if (colon < 0) return { ns: defaultNs, local: qname }
    const prefix = qname.slice(0, colon)
    const ns = prefix === 'xs' ? (namespaces.xs ?? XS_NS) : prefix === 'fn' ? FN_NS : namespaces[prefix]
    if (ns === undefined) fail(`unknown prefix ${prefix}`)
    return { ns: ns!, local: qname.slice(colon + 1) }
  }

  const expr = (): Expr => {
    const first = exprSingle()
    if (!isSym(',')) return first
    const items = [first]
    while (isSym(',')) { next(); items.push(exprSingle()) }
    return { t: 'sequence', items }
  }

  const bindings = (kind: 'for' | 'some' | 'every', endWord: string): Expr => {
    next()
    const vars: { name: string; in: Expr }[] = []
    do {
      if (vars.length > 0) next()
      const v = next()
      if (v.k !== 'var') fail('expected a variable')
      expectKeyword('in')
      vars.push({ name: v.v, in: exprSingle() })
    } while (isSym(','))
    expectKeyword(endWord)
    let body = exprSingle()
    for (let i = vars.length - 1; i >= 0; i--) body = { t: kind, name: vars[i]!.name, in: vars[i]!.in, body }
    return body
  }

  const exprSingle = (): Expr => {
    const t = peek()
    if (t.k === 'name' && peek(1).k === 'var') {
      if (t.v === 'for') return bindings('for', 'return')
      if (t.v === 'some' || t.v === 'every') return bindings(t.v, 'satisfies')
    }
    if (t.k === 'name' && t.v === 'if' && isSym('(', 1)) {
      next(); next()
      const cond = expr()
      expectSym(')')
      expectKeyword('then')
      const then = exprSingle()
      expectKeyword('else')
      return { t: 'if', cond, then, else: exprSingle() }
    }
    return orExpr()
  }

  const orExpr = (): Expr => {
    let left = andExpr()
    while (isOp('or')) { next(); left = { t: 'or', left, right: andExpr() } }
    return left
  }
  const andExpr = (): Expr => {
    let left = comparison()
    while (isOp('and')) { next(); left = { t: 'and', left, right: comparison() } }
    return left
  }
  const comparison = (): Expr => {
    const left = range()
    const t = peek()
    if (t.k === 'sym' && ['=', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      next()
      return { t: 'general', op: t.v as '=', left, right: range() }
    }
    if (t.k === 'sym' && (t.v === '<<' || t.v === '>>')) { next(); return { t: 'node-comp', op: t.v, left, right: range() } }
    if (t.k === 'name' && (t as { op?: boolean }).op) {
      if (['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(t.v)) { next(); return { t: 'value', op: t.v as 'eq', left, right: range() } }
      if (t.v === 'is') { next(); return { t: 'node-comp', op: 'is', left, right: range() } }
    }
    return left
  }
  const range = (): Expr => {
    const left = additive()
    if (isOp('to')) { next(); return { t: 'range', left, right: additive() } }
    return left
  }
  const additive = (): Expr => {
    let left = multiplicative()
    while (isSym('+') || isSym('-')) { const op = next().v as '+'; left = { t: 'arith', op, left, right: multiplicative() } }
    return left
  }
  const multiplicative = (): Expr => {
    let left = union()
    for (;;) {
      if (isSym('*')) { next(); left = { t: 'arith', op: '*', left, right: union() } } else if (isOp('div') || isOp('idiv') || isOp('mod')) { const op = next().v as 'div'; left = { t: 'arith', op, left, right: union() } } else return left
    }
  }
  const union = (): Expr => {
    let left = intersect()
    while (isSym('|') || isOp('union')) { next(); left = { t: 'union', left, right: intersect() } }
    return left
  }
  const intersect = (): Expr => {
    let left = instanceOf()
    while (isOp('intersect') || isOp('except')) { const op = next().v as 'intersect'; left = { t: op, left, right: instanceOf() } }
    return left
  }
  const sequenceType = (): SequenceType => {
    const name = next()
    if (name.k !== 'name') fail('expected a type')
    let type = name.v
    if (isSym('(')) { next(); expectSym(')'); type += '()' }
    let occurrence: SequenceType['occurrence'] = ''
    if (isSym('?') || isSym('*') || isSym('+')) occurrence = next().v as '?'
    return { type: typeName(type), occurrence }
  }
  const typeName = (qname: string) => {
    if (qname.endsWith('()')) return qname
    const { ns, local } = resolve(qname, XS_NS)
    if (ns !== XS_NS) fail(`type ${qname} is not an XML Schema type`)
    return `xs:${local}`
  }
  const instanceOf = (): Expr => {
    const operand = treat()
    if (isOp('instance')) { next(); expectKeyword('of'); return { t: 'instance', operand, type: sequenceType() } }
    return operand
  }
  const treat = (): Expr => {
    const operand = castable()
    if (isOp('treat')) { next(); expectKeyword('as'); return { t: 'treat', operand, type: sequenceType() } }
    return operand
  }
  const singleType = () => {
    const name = next()
    if (name.k !== 'name') fail('expected a type')
    const optional = isSym('?') ? (next(), true) : false
    return { type: typeName(name.v), optional }
  }
  const castable = (): Expr => {
    const operand = cast()
    if (isOp('castable')) { next(); expectKeyword('as'); return { t: 'castable', operand, ...singleType() } }
    return operand
  }
  const cast = (): Expr => {
    const operand = unary()
    if (isOp('cast')) { next(); expectKeyword('as'); return { t: 'cast', operand, ...singleType() } }
    return operand
  }
  const unary = (): Expr => {
    let negate = false, any = false
    while (isSym('-') || isSym('+')) { if (next().v === '-') negate = !negate; any = true }
    const operand = path()
    if (!any) return operand
    // unary + still atomizes and requires a number (§3.4); modelled as 0 + x would change types, so keep neg twice
    return negate ? { t: 'neg', operand } : { t: 'neg', operand: { t: 'neg', operand } }
  }

  const descendantOrSelf: Expr = { t: 'step', axis: 'descendant-or-self', test: { t: 'kind', kind: 'node' }, preds: [] }

  const startsStep = () => {
    const t = peek()
    if (t.k === 'name') return !(t as { op?: boolean }).op
    if (t.k === 'string' || t.k === 'number' || t.k === 'var') return true
    return t.k === 'sym' && ['@', '.', '..', '('].includes(t.v)
  }

  const path = (): Expr => {
    if (isSym('/')) {
      next()
      if (!startsStep()) return { t: 'root' }
      return relative({ t: 'root' })
    }
    if (isSym('//')) {
      next()
      return relative({ t: 'path', left: { t: 'root' }, right: descendantOrSelf })
    }
    return relative(null)
  }
  const relative = (start: Expr | null): Expr => {
    let left = start === null ? stepExpr() : { t: 'path' as const, left: start, right: stepExpr() }
    for (;;) {
      if (isSym('/')) { next(); left = { t: 'path', left, right: stepExpr() } } else if (isSym('//')) { next(); left = { t: 'path', left: { t: 'path', left, right: descendantOrSelf }, right: stepExpr() } } else return left
    }
  }

  const predicates = (): Expr[] => {
    const preds: Expr[] = []
    while (isSym('[')) { next(); preds.push(expr()); expectSym(']') }
    return preds
  }

  const nodeTest = (axis: Axis): NodeTest => {
    const t = next()
    if (t.k !== 'name') fail('expected a node test')
    if (kindTests.has(t.v) && isSym('(')) {
      next()
      // element(name) / attribute(name) are not used by the packs: only the bare kind tests
      if (!isSym(')')) fail(`kind test ${t.v}() with arguments`)
      next()
      if (!['node', 'text', 'element', 'attribute', 'comment', 'document-node', 'processing-instruction'].includes(t.v)) fail(`kind test ${t.v}()`)
      return { t: 'kind', kind: t.v as 'node' }
    }
    if (t.v === '*') return { t: 'name', ns: null, local: null }
    if (t.v.startsWith('*:')) return { t: 'name', ns: null, local: t.v.slice(2) }
    if (t.v.endsWith(':*')) return { t: 'name', ns: resolve(t.v.slice(0, -2) + ':x', null).ns ?? '', local: null }
    // §2.1.1: unprefixed element names are in no namespace (no xpath-default-namespace in the packs);
    // unprefixed attribute names always are.
    const { ns, local } = resolve(t.v, '')
    void axis
    return { t: 'name', ns: ns ?? '', local }
  }

  const stepExpr = (): Expr => {
    const t = peek()
    if (t.k === 'sym' && t.v === '..') { next(); return { t: 'step', axis: 'parent', test: { t: 'kind', kind: 'node' }, preds: predicates() } }
    if (t.k === 'sym' && t.v === '@') { next(); const test = nodeTest('attribute'); return { t: 'step', axis: 'attribute', test, preds: predicates() } }
    if (t.k === 'name' && isSym('::', 1)) {
      if (!axes.has(t.v as Axis)) fail(`unknown axis ${t.v}`)
      next(); next()
      const axis = t.v as Axis
      const test = nodeTest(axis)
      return { t: 'step', axis, test, preds: predicates() }
    }
    if (t.k === 'name' && !(kindTests.has(t.v) && isSym('(', 1)) && isSym('(', 1)) {
      // a function call
      next(); next()
      const args: Expr[] = []
      if (!isSym(')')) { args.push(exprSingle()); while (isSym(',')) { next(); args.push(exprSingle()) } }
      expectSym(')')
      const { ns, local } = resolve(t.v, FN_NS)
      const call: Expr = { t: 'call', ns: ns!, local, args }
      const preds = predicates()
      return preds.length ? { t: 'filter', base: call, preds } : call
    }
    if (t.k === 'name') {
      const test = nodeTest('child')
      return { t: 'step', axis: 'child', test, preds: predicates() }
    }
    let primary: Expr
    if (t.k === 'string') { next(); primary = { t: 'string', value: t.v } } else if (t.k === 'number') {
      next()
      primary = /[eE]/.test(t.v) ? { t: 'double', value: Number(t.v) } : t.v.includes('.') ? { t: 'decimal', value: t.v } : { t: 'integer', value: t.v }
    } else if (t.k === 'var') { next(); primary = { t: 'var', name: t.v } } else if (t.k === 'sym' && t.v === '.') { next(); primary = { t: 'context' } } else if (t.k === 'sym' && t.v === '(') {
      next()
      if (isSym(')')) { next(); primary = { t: 'sequence', items: [] } } else { primary = expr(); expectSym(')') }
      if (primary.t !== 'sequence') primary = { t: 'filter', base: primary, preds: [] }
    } else return fail(`unexpected '${t.v}'`)
    const preds = predicates()
    if (preds.length === 0) return primary.t === 'filter' && primary.preds.length === 0 ? primary.base : primary
    return { t: 'filter', base: primary.t === 'filter' && primary.preds.length === 0 ? primary.base : primary, preds }
  }

  const expectEnd = () => { if (peek().k !== 'end') fail(`unexpected '${peek().v}'`) }
  return { expr, expectEnd }
}
