// The native rule engine: rules as data (load-xslt.ts) compiled once per pack into closures, run over the
// light tree of each document. What it reproduces of the skeleton XSLT run by SaxonJS:
// - each pattern (mode) offers every node to its rules once, document node first, then elements and
//   attributes in document order (attributes before children, the `apply-templates select="@*|*"` walk);
//   the node is taken by the highest-priority rule that matches (XSLT 2.0 §6.4), the others never see it;
// - in that rule, lets are evaluated in order and checks in order: a failed assert (test false) or a
//   successful report (test true) is a finding with the check's id, flag, location and message;
// - a dynamic error anywhere aborts the document, as it aborts the transform: the document gets one fatal
//   FACTEUR-RULE-ERROR finding and nothing else (saxon-engine.ts does the same for the reference).
// Findings come in SVRL's order: pattern by pattern, node by node, check by check for the ISO skeleton's
// XSLT; node by node, pattern by pattern for our own Schematron, as SchXslt runs it (load-sch.ts).
import type { Finding } from '../../../schemas/events.js'
import { ruleErrorFinding, severityOf, type PackRef } from '../findings.js'
import type { XmlDocument } from '../xml.js'
import { parseXml } from '../xml.js'
import type { Check, RulesData } from './load-xslt.js'
import { parseXPath } from './xpath/parse.js'
import { type BoolFn, type Ctx, type Fn, type Scope, bind, compile, compileBool, isPlainFilter, newScope } from './xpath/compile.js'
import { type Tree, type XNode, ATTRIBUTE, DOCUMENT, ELEMENT, buildTree, sameNameIndexOf } from './xpath/tree.js'
import { atomicToString, atomize, isNode } from './xpath/values.js'
import { compilePattern, type Matcher } from './match.js'
import { declarationsOf } from './declarations.js'

type CompiledCheck = {
  check: Check
  test: BoolFn
  failsWhen: boolean
  severity: Finding['severity']
  location: Fn | null
  message: ({ text: string } | { value: Fn })[]
}
type CompiledRule = { context: string; priority: number; matcher: Matcher; lets: { slot: number; value: Fn; before: number }[]; checks: CompiledCheck[]; slots: number }
type CompiledPattern = { mode: string; rules: CompiledRule[]; byKey: Map<string, CompiledRule[]>; wildcard: CompiledRule[] }

export type NativePack = {
  ref: PackRef
  /** Findings of one parsed document (the document is not disposed). */
  run(doc: XmlDocument): Finding[]
  /** Findings of a tree already built (several packs can share one tree). */
  runTree(tree: Tree): Finding[]
  /** Parses, runs, disposes. */
  runText(text: string): Finding[]
}

export function createNativePack(rules: RulesData, ref: PackRef): NativePack {
  if (rules.unsupported.length > 0) throw new Error(`${ref.pack} ${ref.version}: not supported by the native engine yet: ${rules.unsupported.slice(0, 5).join('; ')}`)
  const ns = rules.namespaces
  const statics = declarationsOf(rules)
  const patterns: CompiledPattern[] = rules.patterns.map((p) => {
    const compiled = p.rules.map((r): CompiledRule => {
      let scope: Scope = newScope(statics)
      const matcher = compilePattern(parseXPath(r.context, ns), scope, (pred) => !isPlainFilter(pred))
      const lets: CompiledRule['lets'] = []
      const checks: CompiledCheck[] = []
      for (const item of r.body) {
        if ('let' in item) {
          const value = compile(parseXPath(item.let.select, ns), scope)
          const bound = bind(scope, item.let.name)
          scope = bound.scope
          lets.push({ slot: bound.slot, value, before: checks.length })
          continue
        }
        const c = item.check
        checks.push({
          check: c,
          test: compileBool(parseXPath(c.test, ns), scope),
          failsWhen: c.kind === 'report',
          severity: severityOf(c.flag),
          location: c.location === '.' ? null : compile(parseXPath(c.location, ns), scope),
          message: c.message.map((m) => (m.select !== undefined ? { value: compile(parseXPath(m.select, ns), scope) } : { text: m.text })),
        })
      }
      return { context: r.context, priority: r.priority, matcher, lets, checks, slots: scope.size.n }
    })
    const byKey = new Map<string, CompiledRule[]>()
    const wildcard: CompiledRule[] = []
    for (const r of compiled) {
      if (r.matcher.keys === null) wildcard.push(r)
      else for (const k of r.matcher.keys) { const list = byKey.get(k) ?? []; if (!list.includes(r)) list.push(r); byKey.set(k, list) }
    }
    // Candidates per key keep the priority order of all rules (wildcards interleaved where they belong).
    const order = new Map(compiled.map((r, i) => [r, i]))
    for (const [k, list] of byKey) byKey.set(k, [...list, ...wildcard].sort((a, b) => order.get(a)! - order.get(b)!))
    return { mode: p.mode, rules: compiled, byKey, wildcard }
  })

  const fire = (rule: CompiledRule, node: XNode, tree: Tree, out: Finding[]) => {
    const ctx: Ctx = { item: node, pos: 1, size: 1, env: new Array(rule.slots), current: node, tree }
    let nextLet = 0
    for (let i = 0; i < rule.checks.length; i++) {
      while (nextLet < rule.lets.length && rule.lets[nextLet]!.before <= i) { const l = rule.lets[nextLet++]!; ctx.env[l.slot] = l.value(ctx) }
      const c = rule.checks[i]!
      if (c.test(ctx) !== c.failsWhen) continue
      out.push(findingOf(c, node, ctx))
    }
  }

  const findingOf = (c: CompiledCheck, node: XNode, ctx: Ctx): Finding => {
    let subject: XNode = node
    if (c.location) {
      const first = c.location(ctx)[0]
      if (first && isNode(first)) subject = first
    }
    let message = ''
    for (const part of c.message) {
      // XSLT 2.0 §11.4.2: xsl:value-of joins the atomized items with a single space.
      message += 'text' in part ? part.text : part.value(ctx).map((i) => atomicToString(atomize(i))).join(' ')
    }
    return {
      ruleId: c.check.id?.trim() || '(no id)',
      severity: c.severity,
      location: location(subject),
      message: message.replace(/\s+/g, ' ').trim(),
      pack: ref.pack,
      packVersion: ref.version,
      line: null,
    }
  }

  const location = rules.style === 'schxslt' ? schxsltLocationOf : locationOf

  /** The node to the first rule of pattern `p` that matches it, if any. */
  const offer = (p: CompiledPattern, node: XNode, tree: Tree, out: Finding[]) => {
    const candidates = p.byKey.get(node.key) ?? p.wildcard
    for (const rule of candidates) {
      if (!rule.matcher.matches(node, tree)) continue
      fire(rule, node, tree, out)
      return
    }
  }

  const runTree = (tree: Tree): Finding[] => {
    const out: Finding[] = []
    try {
      if (rules.style === 'schxslt') {
        // SchXslt: one pass, node by node; each pattern in turn within a node (load-sch.ts).
        for (let i = -1; i < tree.walk.length; i++) {
          const node = i < 0 ? tree.root : tree.walk[i]!
          for (const p of patterns) offer(p, node, tree, out)
        }
      } else {
        // The ISO skeleton: pattern by pattern, each a walk of the document.
        for (const p of patterns) {
          for (let i = -1; i < tree.walk.length; i++) offer(p, i < 0 ? tree.root : tree.walk[i]!, tree, out)
        }
      }
    } catch (error) {
      return [ruleErrorFinding(ref, error)]
    }
    return out
  }

  return {
    ref,
    runTree,
    run: (doc) => runTree(buildTree(doc)),
    runText(text) {
      const doc = parseXml(text)
      try { return runTree(buildTree(doc)) } finally { doc.dispose() }
    },
  }
}

/**
 * SchXslt's `schxslt:location()` (compile-2.0.xsl, XSLT 2.0 binding): for each ancestor-or-self node, an
 * element gives `Q{ns}local[n]` (n from xsl:number level="single": preceding siblings with the same
 * expanded name, plus one), an attribute `@Q{ns}local`; joined by `/` after a leading `/`.
 */
export function schxsltLocationOf(node: XNode): string {
  const segments: string[] = []
  for (let n: XNode | null = node; n && n.kind !== DOCUMENT; n = n.parent) {
    if (n.kind === ELEMENT) segments.push(`Q{${n.ns}}${n.local}[${sameNameIndexOf(n)}]`)
    else if (n.kind === ATTRIBUTE) segments.push(`@Q{${n.ns}}${n.local}`)
  }
  return `/${segments.reverse().join('/')}`
}

/**
 * The skeleton's `schematron-get-full-path` location (mode schematron-select-full-path): for each ancestor-
 * or-self element `/*:local[namespace-uri()='ns'][n]` (or `/name[n]` in no namespace), n counting the
 * preceding siblings with the same expanded name; an attribute adds `/@name` or
 * `/@*[local-name()='l' and namespace-uri()='ns']`. The document node has no template in that mode: the
 * built-in one goes on to its children, which gives the root element's path.
 */
export function locationOf(node: XNode): string {
  if (node.kind === DOCUMENT) return node.elements[0] ? locationOf(node.elements[0]) : ''
  if (node.kind === ATTRIBUTE) {
    const owner = node.parent ? locationOf(node.parent) : ''
    return node.ns === '' ? `${owner}/@${node.local}` : `${owner}/@*[local-name()='${node.local}' and namespace-uri()='${node.ns}']`
  }
  if (node.kind !== ELEMENT) return node.parent ? locationOf(node.parent) : ''
  let path = ''
  for (let n: XNode | null = node; n && n.kind === ELEMENT; n = n.parent) {
    path = (n.ns === '' ? `/${n.local}` : `/*:${n.local}[namespace-uri()='${n.ns}']`) + `[${sameNameIndexOf(n)}]` + path
  }
  return path
}
