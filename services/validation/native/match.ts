// XSLT 2.0 match patterns (§5.5) as node tests, checked from the node upwards: a pattern is a union of
// chains of child/attribute steps joined by `/` or `//`, optionally anchored at the document root. A node
// matches a chain when its last step matches the node and the steps before match its ancestry (§5.5.3:
// N matches P when N is in the result of `root(N)//(P)`, which is this). Predicates are evaluated with the
// node as context item; a predicate that may depend on position is evaluated the long way, by running the
// step from the parent and checking the node is selected.
import type { Expr, NodeTest } from './xpath/ast.js'
import { type Ctx, type Scope, type BoolFn, type Fn, compile, compileBool } from './xpath/compile.js'
import { type Tree, type XNode, ELEMENT, ATTRIBUTE, TEXT, DOCUMENT, nameKey } from './xpath/tree.js'

type ChainStep = {
  attribute: boolean
  test: NodeTest
  /** `//` before this step (any ancestor) rather than `/` (the parent). */
  anyDepth: boolean
  /** All predicates as booleans on the node, when none depends on position. */
  plain: BoolFn[] | null
  /** Otherwise the whole step, evaluated from the parent. */
  fromParent: Fn | null
  /** Predicates of a parenthesised pattern, `(A | B)[P]`, on the node that matched A or B. */
  outer: BoolFn[]
}
/** `trailingDescendant`: the chain so far ends in `//` (only while building). */
type Chain = { rooted: boolean; steps: ChainStep[]; trailingDescendant: boolean }

export type Matcher = {
  matches(node: XNode, tree: Tree): boolean
  /**
   * Name keys (`ns local` for elements, `@ns local` for attributes, `/` for the document) the pattern can
   * match, or null when its last step is a wildcard or kind test.
   */
  keys: string[] | null
}

const isDescendantOrSelfNode = (e: Expr) => e.t === 'step' && e.axis === 'descendant-or-self' && e.test.t === 'kind' && e.test.kind === 'node' && e.preds.length === 0

export function compilePattern(pattern: Expr, scope: Scope, positional: (p: Expr) => boolean): Matcher {
  const chains = chainsOf(pattern, scope, positional)
  const keys: string[] = []
  let wildcard = false
  for (const c of chains) {
    const last = c.steps[c.steps.length - 1]
    if (!last) { keys.push('/'); continue }
    if (last.test.t === 'name' && last.test.local !== null && last.test.ns !== null) keys.push((last.attribute ? '@' : '') + nameKey(last.test.ns, last.test.local))
    else wildcard = true
  }
  return {
    keys: wildcard ? null : keys,
    matches: (node, tree) => {
      // XSLT 3.0 §5.5.4 (and 2.0 §5.5.3's recovery, which Saxon takes): a dynamic error while matching a
      // pattern against a node means the pattern does not match that node; the transform goes on. E.g.
      // `ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator = false()]/ram:ReasonCode`
      // on an indicator `M` (FORG0001 casting it to xs:boolean): SaxonJS tries the next rule, silently.
      try {
        return chains.some((c) => matchChain(c, c.steps.length - 1, node, tree))
      } catch (error) {
        if ((error as { xpath?: boolean }).xpath) return false
        throw error
      }
    },
  }
}

/**
 * The chains of a pattern: one per branch of its unions. XSLT 3.0 §5.5.2 also allows parenthesised
 * unions inside a path, `(A | B)/C`, and with predicates, `(A | B)[P]/C` (Peppol's DE rules, the French
 * CTC's): N matches `(A | B)[P]` when it matches A or B and P is true with N as context item (P may not
 * depend on position, N's position in `root(N)//(A | B)`); the predicates go on the branch's last step.
 */
function chainsOf(e: Expr, scope: Scope, positional: (p: Expr) => boolean): Chain[] {
  if (e.t === 'union') return [...chainsOf(e.left, scope, positional), ...chainsOf(e.right, scope, positional)]
  if (e.t === 'filter') {
    if (e.preds.some(positional)) throw new Error('positional predicate on a parenthesised pattern')
    const outer = e.preds.map((p) => compileBool(p, scope))
    return chainsOf(e.base, scope, positional).map((c) => {
      const last = c.steps[c.steps.length - 1]
      if (!last || c.trailingDescendant) throw new Error('predicate on a pattern that does not end in a step')
      return { ...c, steps: [...c.steps.slice(0, -1), { ...last, outer: [...last.outer, ...outer] }] }
    })
  }
  if (e.t === 'root') return [{ rooted: true, steps: [], trailingDescendant: false }]
  if (e.t === 'step') {
    if (e.axis !== 'child' && e.axis !== 'attribute') throw new Error(`pattern step on the ${e.axis} axis`)
    const isPositional = e.preds.some(positional)
    return [{
      rooted: false,
      trailingDescendant: false,
      steps: [{
        attribute: e.axis === 'attribute', test: e.test, anyDepth: false,
        plain: isPositional ? null : e.preds.map((p) => compileBool(p, scope)),
        fromParent: isPositional ? compile(e, scope) : null,
        outer: [],
      }],
    }]
  }
  if (e.t === 'path') {
    const lefts = chainsOf(e.left, scope, positional)
    if (isDescendantOrSelfNode(e.right)) return lefts.map((c) => ({ ...c, trailingDescendant: true }))
    const rights = chainsOf(e.right, scope, positional)
    return lefts.flatMap((left) => rights.map((right) => {
      if (right.rooted || right.steps.length !== 1 || left.trailingDescendant && right.trailingDescendant) throw new Error('unsupported pattern shape')
      return { rooted: left.rooted, steps: [...left.steps, { ...right.steps[0]!, anyDepth: left.trailingDescendant }], trailingDescendant: false }
    }))
  }
  throw new Error(`unsupported pattern expression ${e.t}`)
}

function stepMatches(step: ChainStep, node: XNode, tree: Tree): boolean {
  const t = step.test
  if (t.t === 'name') {
    if (node.kind !== (step.attribute ? ATTRIBUTE : ELEMENT)) return false
    if ((t.local !== null && node.local !== t.local) || (t.ns !== null && node.ns !== t.ns)) return false
  } else {
    const ok = t.kind === 'node' ? node.kind !== DOCUMENT && (step.attribute ? node.kind === ATTRIBUTE : node.kind !== ATTRIBUTE)
      : t.kind === 'text' ? node.kind === TEXT && !step.attribute
        : t.kind === 'element' ? node.kind === ELEMENT && !step.attribute
          : t.kind === 'attribute' ? node.kind === ATTRIBUTE
            : false
    if (!ok) return false
  }
  const ctx: Ctx = { item: node, pos: 1, size: 1, env: [], current: node, tree }
  if (step.plain) { if (!step.plain.every((p) => p(ctx))) return false }
  else {
    ctx.item = node.parent
    if (!step.fromParent!(ctx).includes(node)) return false
    ctx.item = node
  }
  return step.outer.every((p) => p(ctx))
}

function matchChain(chain: Chain, i: number, node: XNode, tree: Tree): boolean {
  if (i < 0) return chain.rooted ? node.kind === DOCUMENT : true
  const step = chain.steps[i]!
  if (!stepMatches(step, node, tree)) return false
  if (i === 0 && !chain.rooted) return true
  if (!step.anyDepth) return node.parent !== null && matchChain(chain, i - 1, node.parent, tree)
  for (let a = node.parent; a; a = a.parent) if (matchChain(chain, i - 1, a, tree)) return true
  return false
}
