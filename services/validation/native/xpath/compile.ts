// AST → JavaScript closures over the light tree. Each expression is compiled once per pack into a function
// of the dynamic context (focus: item, position, size; variables; XSLT's current()); evaluating a rule is
// then calling closures, with no parsing or AST walking per document.
// Semantics follow XPath 2.0 (sections cited where they matter); where SaxonJS's observable behaviour is
// implementation-defined (decimal division precision) values.ts does what SaxonJS does.
// Shared work: `//name` and `descendant::name` are answered from the tree's element-name index (a slice by
// document-order range) instead of walking the subtree, which is most of what the EN 16931 asserts do.
import type { Axis, Expr, NodeTest } from './ast.js'
import { FN_NS, XS_NS } from './ast.js'
import { type Tree, type XNode, ELEMENT, ATTRIBUTE, TEXT, DOCUMENT, nameKey, childrenByKey, stringValue as stringOfNode } from './tree.js'
import {
  type Atomic, type Item, type Seq, type CompOp, atomize, isNode, xpathError, arithmetic, negate, comparePair,
  compareAtomic, castAs, castable, parseDecimal, integer, numericValue, generalToValue, isNumeric, typeName,
} from './values.js'
import { functionCompiler } from './functions.js'

export type Ctx = {
  item: Item | null
  pos: number
  size: number
  /** Variable slots (rule lets, for/some/every bindings). */
  env: (Seq | undefined)[]
  /** XSLT current(): the rule's context node. */
  current: Item | null
  tree: Tree
}
export type Fn = (ctx: Ctx) => Seq
export type BoolFn = (ctx: Ctx) => boolean

/**
 * What a stylesheet declares outside its rules, resolved at compile time (native/declarations.ts): global
 * variables (a variable not bound locally) and user functions (a call outside the fn: and xs: namespaces).
 */
export type Statics = {
  variable?(name: string): Fn | undefined
  function?(ns: string, local: string, args: Fn[]): Fn | undefined
}

/** Variables in scope at compile time: name → slot. `size` counts the slots a rule needs. */
export type Scope = { vars: Map<string, number>; size: { n: number }; statics: Statics }
export const newScope = (statics: Statics = {}): Scope => ({ vars: new Map(), size: { n: 0 }, statics })
export function bind(scope: Scope, name: string): { scope: Scope; slot: number } {
  const slot = scope.size.n++
  const vars = new Map(scope.vars)
  vars.set(name, slot)
  return { scope: { vars, size: scope.size, statics: scope.statics }, slot }
}

const EMPTY: Seq = []

// ---- focus helpers ----

function contextNode(ctx: Ctx): XNode {
  const item = ctx.item
  if (item === null) throw xpathError('XPDY0002', 'The context item is absent')
  if (!isNode(item)) throw xpathError('XPTY0020', 'The context item for an axis step is not a node')
  return item
}

const focus = (ctx: Ctx): Ctx => ({ item: ctx.item, pos: ctx.pos, size: ctx.size, env: ctx.env, current: ctx.current, tree: ctx.tree })

// ---- effective boolean value (XPath 2.0 §2.4.3) ----

export function ebv(seq: Seq): boolean {
  if (seq.length === 0) return false
  const first = seq[0]!
  if (isNode(first)) return true
  if (seq.length > 1) throw xpathError('FORG0006', 'Effective boolean value is not defined for a sequence of two or more items starting with an atomic value')
  if (typeof first === 'boolean') return first
  if (typeof first === 'string') return first.length > 0
  if (typeof first === 'number') return !(first === 0 || Number.isNaN(first))
  if (first.k === 'u') return first.v.length > 0
  if (first.k === 'dec') return first.m !== 0n
  throw xpathError('FORG0006', `Effective boolean value is not defined for ${typeName(first)}`)
}

// ---- document order ----

/** Sorts nodes into document order without duplicates, unless they already are (the common case). */
function docOrder(nodes: XNode[]): XNode[] {
  for (let i = 1; i < nodes.length; i++) {
    if (nodes[i]!.order <= nodes[i - 1]!.order) {
      const sorted = [...nodes].sort((a, b) => a.order - b.order)
      return sorted.filter((n, j) => j === 0 || n !== sorted[j - 1])
    }
  }
  return nodes
}

// ---- axes (XPath 2.0 §3.2.1.1), results in document order ----

function matchesTest(node: XNode, test: NodeTest, principal: typeof ELEMENT | typeof ATTRIBUTE): boolean {
  if (test.t === 'name') {
    if (node.kind !== principal) return false
    return (test.local === null || node.local === test.local) && (test.ns === null || node.ns === test.ns)
  }
  switch (test.kind) {
    case 'node': return true
    case 'text': return node.kind === TEXT
    case 'element': return node.kind === ELEMENT
    case 'attribute': return node.kind === ATTRIBUTE
    case 'document-node': return node.kind === DOCUMENT
    default: return false // comments and processing instructions are not in the tree
  }
}

function descendants(node: XNode, out: XNode[]) {
  for (const c of node.children) { out.push(c); if (c.children.length) descendants(c, out) }
}

/** The nodes of `axis` from `node` that pass `test`, in document order. */
function axisNodes(node: XNode, axis: Axis, test: NodeTest, tree: Tree): XNode[] {
  const principal = axis === 'attribute' ? ATTRIBUTE : ELEMENT
  const keep = (n: XNode) => matchesTest(n, test, principal)
  switch (axis) {
    case 'child': {
      if (test.t === 'name') {
        const out: XNode[] = []
        for (const c of node.elements) if ((test.local === null || c.local === test.local) && (test.ns === null || c.ns === test.ns)) out.push(c)
        return out
      }
      return node.children.filter(keep)
    }
    case 'attribute': return node.attrs.filter(keep)
    case 'self': return keep(node) ? [node] : []
    case 'parent': return node.parent && keep(node.parent) ? [node.parent] : []
    case 'descendant': case 'descendant-or-self': {
      if (test.t === 'name' && test.local !== null && test.ns !== null) {
        const out = indexedDescendants(node, tree.byName.get(nameKey(test.ns, test.local)))
        return axis === 'descendant-or-self' && keep(node) ? [node, ...out] : out
      }
      const out: XNode[] = axis === 'descendant-or-self' ? [node] : []
      descendants(node, out)
      return out.filter(keep)
    }
    case 'ancestor': case 'ancestor-or-self': {
      const out: XNode[] = []
      for (let n = axis === 'ancestor' ? node.parent : node; n; n = n.parent) if (keep(n)) out.push(n)
      return out.reverse()
    }
    case 'following-sibling': case 'preceding-sibling': {
      const parent = node.parent
      if (!parent || node.kind === ATTRIBUTE) return []
      const i = parent.children.indexOf(node)
      return (axis === 'following-sibling' ? parent.children.slice(i + 1) : parent.children.slice(0, i)).filter(keep)
    }
    case 'following': case 'preceding': {
      // §3.2.1.1: nodes after the end of this subtree / before it and not ancestors; never attributes.
      const start = node.kind === ATTRIBUTE ? node.parent! : node
      if (test.t === 'name' && test.local !== null && test.ns !== null) {
        const list = tree.byName.get(nameKey(test.ns, test.local)) ?? []
        if (axis === 'following') return list.filter((n) => n.order > start.end)
        return list.filter((n) => n.order < start.order && n.end < start.order)
      }
      const all: XNode[] = []
      descendants(tree.root, all)
      if (axis === 'following') return all.filter((n) => n.order > start.end && keep(n))
      return all.filter((n) => n.order < start.order && n.end < start.order && keep(n))
    }
  }
}

/** The elements of an index list that are descendants of `node`: those in (node.order, node.end]. */
function indexedDescendants(node: XNode, list: XNode[] | undefined): XNode[] {
  if (!list || list.length === 0) return []
  if (node.kind === DOCUMENT) return list
  let lo = 0, hi = list.length
  while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid]!.order <= node.order) lo = mid + 1; else hi = mid }
  const from = lo
  while (lo < list.length && list[lo]!.order <= node.end) lo++
  return from === lo ? [] : list.slice(from, lo)
}

const reverseAxes = new Set<Axis>(['parent', 'ancestor', 'ancestor-or-self', 'preceding', 'preceding-sibling'])

// ---- static properties used to pick fast paths ----

const booleanFunctions = new Set(['not', 'exists', 'empty', 'true', 'false', 'boolean', 'contains', 'starts-with', 'ends-with', 'matches'])
const stringFunctions = new Set(['normalize-space', 'string', 'concat', 'upper-case', 'lower-case', 'substring', 'substring-before', 'substring-after', 'translate', 'string-join', 'name', 'local-name', 'namespace-uri', 'replace'])

/** True when `e` never evaluates to a number, so as a predicate it is a filter, not a position (§3.2.2). */
function neverNumeric(e: Expr): boolean {
  switch (e.t) {
    case 'general': case 'value': case 'node-comp': case 'and': case 'or': case 'some': case 'every': case 'castable': case 'instance':
    case 'step': case 'root': case 'context': case 'union': case 'intersect': case 'except': case 'string':
      return true
    case 'path': return neverNumeric(e.right)
    case 'filter': return neverNumeric(e.base)
    case 'call': return e.ns === FN_NS && (booleanFunctions.has(e.local) || stringFunctions.has(e.local))
    default: return false
  }
}

function usesPosition(e: Expr): boolean {
  if (e.t === 'call' && e.ns === FN_NS && (e.local === 'position' || e.local === 'last')) return true
  return Object.values(e).some((v) => Array.isArray(v) ? v.some((x) => typeof x === 'object' && x !== null && 't' in x && usesPosition(x as Expr)) : typeof v === 'object' && v !== null && 't' in v && usesPosition(v as Expr))
}

/** A predicate that filters by its truth alone: position and size need not be known. */
export const isPlainFilter = (p: Expr) => neverNumeric(p) && !usesPosition(p)

/** Whether an expression's node results come out in document order without duplicates. */
function ordered(e: Expr): boolean {
  return e.t === 'step' || e.t === 'path' || e.t === 'root' || e.t === 'context' || e.t === 'union' || e.t === 'intersect' || e.t === 'except' || (e.t === 'filter' && ordered(e.base))
}

// ---- predicates ----

/** Applies predicates to a sequence; positions count from the start, or from the context node for reverse axes. */
function predicateFilter(preds: BoolOrPos[], reverse: boolean) {
  return (items: Seq, ctx: Ctx): Seq => {
    let current = items
    for (const pred of preds) {
      if (current.length === 0) return current
      const inner = focus(ctx)
      const size = current.length
      inner.size = size
      const out: Item[] = []
      for (let i = 0; i < size; i++) {
        const item = current[i]!
        inner.item = item
        inner.pos = reverse ? size - i : i + 1
        if (pred.plain) { if (pred.bool(inner)) out.push(item); continue }
        const v = pred.fn(inner)
        if (v.length === 1 && !isNode(v[0]!) && isNumeric(v[0] as Atomic)) { if (numericValue(v[0] as Atomic) === inner.pos) out.push(item) } else if (ebv(v)) out.push(item)
      }
      current = out
    }
    return current
  }
}
type BoolOrPos = { plain: boolean; bool: BoolFn; fn: Fn }

// ---- the compiler ----

export function compile(e: Expr, scope: Scope): Fn {
  switch (e.t) {
    case 'string': { const v: Seq = [e.value]; return () => v }
    case 'integer': { const v: Seq = [parseDecimal(e.value, true)!]; return () => v }
    case 'decimal': { const v: Seq = [parseDecimal(e.value)!]; return () => v }
    case 'double': { const v: Seq = [e.value]; return () => v }
    case 'var': {
      const slot = scope.vars.get(e.name)
      if (slot === undefined) {
        const global = scope.statics.variable?.(e.name)
        if (global) return global
        throw xpathError('XPST0008', `Variable $${e.name} has not been declared`)
      }
      return (ctx) => ctx.env[slot] ?? EMPTY
    }
    case 'context': return (ctx) => { if (ctx.item === null) throw xpathError('XPDY0002', 'The context item is absent'); return [ctx.item] }
    case 'root': return (ctx) => {
      // §3.2: `/` is the root of the tree containing the context node, which must be a document node.
      contextNode(ctx)
      return [ctx.tree.root]
    }
    case 'step': return compileStep(e.axis, e.test, e.preds, scope)
    case 'filter': {
      const base = compile(e.base, scope)
      const filter = predicateFilter(e.preds.map((p) => compilePredicate(p, scope)), false)
      return (ctx) => filter(base(ctx), ctx)
    }
    case 'path': return compilePath(e.left, e.right, scope)
    case 'call': return compileCall(e, scope)
    case 'sequence': {
      const items = e.items.map((i) => compile(i, scope))
      return (ctx) => items.flatMap((f) => f(ctx))
    }
    case 'arith': {
      const l = compile(e.left, scope), r = compile(e.right, scope), op = e.op
      return (ctx) => {
        const a = single(l(ctx), op), b = single(r(ctx), op)
        return a === null || b === null ? EMPTY : [arithmetic(op, a, b)]
      }
    }
    case 'neg': {
      const f = compile(e.operand, scope)
      return (ctx) => { const a = single(f(ctx), '-'); return a === null ? EMPTY : [negate(a)] }
    }
    case 'value': {
      // a value comparison with an empty operand is () rather than false (§3.5.1)
      const l = compile(e.left, scope), r = compile(e.right, scope), op = e.op
      return (ctx) => { const a = single(l(ctx), op), c = single(r(ctx), op); return a === null || c === null ? EMPTY : [valueCompare(op, a, c)] }
    }
    case 'general': case 'node-comp': case 'and': case 'or': case 'some': case 'every': case 'castable': case 'instance': {
      const b = compileBool(e, scope)
      return (ctx) => [b(ctx)]
    }
    case 'union': case 'intersect': case 'except': {
      const l = compile(e.left, scope), r = compile(e.right, scope), op = e.t
      return (ctx) => {
        const a = nodesOf(l(ctx), op), b = nodesOf(r(ctx), op)
        if (op === 'union') return docOrder([...a, ...b])
        const inB = new Set(b)
        return docOrder(a.filter((n) => (op === 'intersect') === inB.has(n)))
      }
    }
    case 'range': {
      const l = compile(e.left, scope), r = compile(e.right, scope)
      return (ctx) => {
        const a = single(l(ctx), 'to'), b = single(r(ctx), 'to')
        if (a === null || b === null) return EMPTY
        const from = numericValue(castAs(a, 'xs:integer')), to = numericValue(castAs(b, 'xs:integer'))
        const out: Seq = []
        for (let i = from; i <= to; i++) out.push(integer(i))
        return out
      }
    }
    case 'if': {
      const c = compileBool(e.cond, scope), a = compile(e.then, scope), b = compile(e.else, scope)
      return (ctx) => (c(ctx) ? a(ctx) : b(ctx))
    }
    case 'for': {
      const source = compile(e.in, scope)
      const { scope: inner, slot } = bind(scope, e.name)
      const body = compile(e.body, inner)
      return (ctx) => {
        const out: Seq = []
        for (const item of source(ctx)) { ctx.env[slot] = [item]; out.push(...body(ctx)) }
        return out
      }
    }
    case 'cast': {
      const f = compile(e.operand, scope), type = e.type, optional = e.optional
      return (ctx) => {
        const a = single(f(ctx), `cast as ${type}`)
        if (a === null) { if (optional) return EMPTY; throw xpathError('XPTY0004', `An empty sequence cannot be cast to ${type}`) }
        return [castAs(a, type)]
      }
    }
    case 'treat': return compile(e.operand, scope)
  }
}

export function compileBool(e: Expr, scope: Scope): BoolFn {
  switch (e.t) {
    case 'and': { const l = compileBool(e.left, scope), r = compileBool(e.right, scope); return (ctx) => l(ctx) && r(ctx) }
    case 'or': { const l = compileBool(e.left, scope), r = compileBool(e.right, scope); return (ctx) => l(ctx) || r(ctx) }
    case 'general': return compileGeneral(e.op, e.left, e.right, scope)
    case 'value': {
      const l = compile(e.left, scope), r = compile(e.right, scope), op = e.op
      return (ctx) => { const a = single(l(ctx), op), b = single(r(ctx), op); return a !== null && b !== null && valueCompare(op, a, b) }
    }
    case 'node-comp': {
      const l = compile(e.left, scope), r = compile(e.right, scope), op = e.op
      return (ctx) => {
        const a = l(ctx), b = r(ctx)
        if (a.length === 0 || b.length === 0) return false
        const x = nodesOf(a, op)[0]!, y = nodesOf(b, op)[0]!
        return op === 'is' ? x === y : op === '<<' ? x.order < y.order : x.order > y.order
      }
    }
    case 'some': case 'every': {
      const source = compile(e.in, scope)
      const { scope: inner, slot } = bind(scope, e.name)
      const body = compileBool(e.body, inner)
      const every = e.t === 'every'
      return (ctx) => {
        for (const item of source(ctx)) {
          ctx.env[slot] = [item]
          if (body(ctx) !== every) return !every
        }
        return every
      }
    }
    case 'castable': {
      const f = compile(e.operand, scope), type = e.type, optional = e.optional
      return (ctx) => {
        const v = f(ctx)
        if (v.length === 0) return optional
        if (v.length > 1) return false
        return castable(atomize(v[0]!), type)
      }
    }
    case 'instance': {
      const f = compile(e.operand, scope), type = e.type
      return (ctx) => instanceOf(f(ctx), type.type, type.occurrence)
    }
    case 'call': {
      if (e.ns === FN_NS) {
        if (e.local === 'not' && e.args.length === 1) { const b = compileBool(e.args[0]!, scope); return (ctx) => !b(ctx) }
        if (e.local === 'boolean' && e.args.length === 1) return compileBool(e.args[0]!, scope)
        if (e.local === 'true' && e.args.length === 0) return () => true
        if (e.local === 'false' && e.args.length === 0) return () => false
        if ((e.local === 'exists' || e.local === 'empty') && e.args.length === 1) {
          const f = compile(e.args[0]!, scope), exists = e.local === 'exists'
          return (ctx) => (f(ctx).length > 0) === exists
        }
      }
      break
    }
    case 'step': case 'path': {
      // a node sequence: true when not empty; the expression may still end in atomic values, so check
      const f = compile(e, scope)
      return (ctx) => ebv(f(ctx))
    }
    default: break
  }
  const f = compile(e, scope)
  return (ctx) => ebv(f(ctx))
}

function compilePredicate(p: Expr, scope: Scope): BoolOrPos {
  const plain = isPlainFilter(p)
  return { plain, bool: plain ? compileBool(p, scope) : () => false, fn: plain ? () => EMPTY : compile(p, scope) }
}

function compileStep(axis: Axis, test: NodeTest, preds: Expr[], scope: Scope): Fn {
  const compiled = preds.map((p) => compilePredicate(p, scope))
  const filter = predicateFilter(compiled, reverseAxes.has(axis))
  const nodes = axisFunction(axis, test)
  if (compiled.length === 0) return (ctx) => nodes(contextNode(ctx), ctx.tree)
  return (ctx) => filter(nodes(contextNode(ctx), ctx.tree), ctx)
}

/** The commonest steps specialised once: child::ns:name from the per-node child index, @name, `..`. */
function axisFunction(axis: Axis, test: NodeTest): (node: XNode, tree: Tree) => XNode[] {
  if (test.t === 'name' && test.local !== null && test.ns !== null) {
    const key = nameKey(test.ns, test.local)
    if (axis === 'child') return (node) => childrenByKey(node, key)
    if (axis === 'attribute') {
      const akey = '@' + key
      return (node) => {
        for (const a of node.attrs) if (a.key === akey) return [a]
        return EMPTY_NODES
      }
    }
  }
  if (axis === 'parent' && test.t === 'kind' && test.kind === 'node') return (node) => (node.parent ? [node.parent] : EMPTY_NODES)
  return (node, tree) => axisNodes(node, axis, test, tree)
}
const EMPTY_NODES: XNode[] = []

/**
 * `left/right` (§3.2.1): right evaluated with each node of left as focus; node results in document order
 * without duplicates, atomic results in order; a mix is XPTY0018. `x//name[filter]` is answered from the
 * element-name index.
 */
function compilePath(left: Expr, right: Expr, scope: Scope): Fn {
  if (left.t === 'path' && left.right.t === 'step' && left.right.axis === 'descendant-or-self' && left.right.test.t === 'kind' && left.right.test.kind === 'node' && left.right.preds.length === 0 &&
      right.t === 'step' && right.axis === 'child' && right.test.t === 'name' && right.test.local !== null && right.test.ns !== null && right.preds.every(isPlainFilter)) {
    const base = compile(left.left, scope)
    const key = nameKey(right.test.ns, right.test.local)
    const filter = predicateFilter(right.preds.map((p) => compilePredicate(p, scope)), false)
    const hasPreds = right.preds.length > 0
    return (ctx) => {
      const from = base(ctx)
      const list = ctx.tree.byName.get(key)
      let out: XNode[]
      if (from.length === 1) out = indexedDescendants(nodesOf(from, '/')[0]!, list)
      else out = docOrder(nodesOf(from, '/').flatMap((n) => indexedDescendants(n, list)))
      return hasPreds ? filter(out, ctx) : out
    }
  }
  const l = compile(left, scope), r = compile(right, scope)
  const rightOrdered = ordered(right)
  return (ctx) => {
    const from = l(ctx)
    if (from.length === 0) return EMPTY
    const inner = focus(ctx)
    inner.size = from.length
    if (from.length === 1) {
      const node = from[0]!
      if (!isNode(node)) throw xpathError('XPTY0019', 'The left operand of / is not a node')
      inner.item = node
      inner.pos = 1
      const res = r(inner)
      return rightOrdered ? res : normalisePathResult(res)
    }
    const out: Item[] = []
    for (let i = 0; i < from.length; i++) {
      const node = from[i]!
      if (!isNode(node)) throw xpathError('XPTY0019', 'The left operand of / is not a node')
      inner.item = node
      inner.pos = i + 1
      const res = r(inner)
      for (const x of res) out.push(x)
    }
    return normalisePathResult(out)
  }
}

function normalisePathResult(items: Seq): Seq {
  if (items.length === 0) return items
  const nodes = isNode(items[0]!)
  for (const i of items) if (isNode(i) !== nodes) throw xpathError('XPTY0018', 'The result of a path contains both nodes and atomic values')
  return nodes ? docOrder(items as XNode[]) : items
}

function nodesOf(seq: Seq, op: string): XNode[] {
  for (const i of seq) if (!isNode(i)) throw xpathError('XPTY0004', `The operands of ${op} must be nodes`)
  return seq as XNode[]
}

/** At most one item, atomized (the operand rules of arithmetic and value comparisons, §3.4, §3.5.1). */
export function single(seq: Seq, op: string): Atomic | null {
  if (seq.length === 0) return null
  if (seq.length > 1) throw xpathError('XPTY0004', `A sequence of more than one item is not allowed as an operand of ${op}`)
  return atomize(seq[0]!)
}

/** Value comparison (§3.5.1): untypedAtomic operands compare as xs:string. */
function valueCompare(op: CompOp, a: Atomic, b: Atomic): boolean {
  const x = typeof a === 'object' && a.k === 'u' ? a.v : a
  const y = typeof b === 'object' && b.k === 'u' ? b.v : b
  return compareAtomic(op, x, y)
}

/** General comparison (§3.5.2): true when some pair of atomized items compares true. */
function compileGeneral(gop: string, left: Expr, right: Expr, scope: Scope): BoolFn {
  const op = generalToValue[gop]!
  const l = compile(left, scope), r = compile(right, scope)
  // Fast path: comparing with a string literal needs no atomization objects.
  if (right.t === 'string' && (op === 'eq' || op === 'ne')) {
    const s = right.value, eq = op === 'eq'
    return (ctx) => {
      for (const item of l(ctx)) {
        if (isNode(item)) { if ((stringOfNode(item) === s) === eq) return true; continue }
        if (comparePair(op, item, s)) return true
      }
      return false
    }
  }
  return (ctx) => {
    const a = l(ctx)
    if (a.length === 0) return false
    const b = r(ctx)
    if (b.length === 0) return false
    for (const x of a) {
      const ax = atomize(x)
      for (const y of b) if (comparePair(op, ax, atomize(y))) return true
    }
    return false
  }
}


function instanceOf(seq: Seq, type: string, occurrence: string): boolean {
  if (seq.length === 0) return occurrence === '?' || occurrence === '*' || type === 'empty-sequence()'
  if (seq.length > 1 && (occurrence === '' || occurrence === '?')) return false
  return seq.every((i) => {
    if (type === 'item()') return true
    if (type === 'node()') return isNode(i)
    if (type === 'element()') return isNode(i) && i.kind === ELEMENT
    if (type === 'attribute()') return isNode(i) && i.kind === ATTRIBUTE
    if (type === 'text()') return isNode(i) && i.kind === TEXT
    if (isNode(i)) return false
    const t = typeName(i)
    if (t === type) return true
    if (type === 'xs:decimal' && t === 'xs:integer') return true
    return type === 'xs:anyAtomicType'
  })
}

function compileCall(e: Extract<Expr, { t: 'call' }>, scope: Scope): Fn {
  if (e.ns === XS_NS) {
    // Constructor functions (F&O §5): xs:T($arg as xs:anyAtomicType?) as xs:T?
    if (e.args.length !== 1) throw xpathError('XPST0017', `xs:${e.local} takes one argument`)
    const f = compile(e.args[0]!, scope), type = `xs:${e.local}`
    return (ctx) => { const a = single(f(ctx), type); return a === null ? EMPTY : [castAs(a, type)] }
  }
  if (e.ns !== FN_NS) {
    const user = scope.statics.function?.(e.ns, e.local, e.args.map((a) => compile(a, scope)))
    if (user) return user
    throw xpathError('XPST0017', `Unknown function {${e.ns}}${e.local}#${e.args.length}`)
  }
  if (['not', 'boolean', 'true', 'false', 'exists', 'empty'].includes(e.local)) {
    const b = compileBool(e, scope)
    return (ctx) => [b(ctx)]
  }
  const make = functionCompiler(e.local, e.args.length)
  if (!make) throw xpathError('XPST0017', `Function ${e.local}#${e.args.length} is not supported`)
  return make(e.args.map((a) => compile(a, scope)), e.args)
}
