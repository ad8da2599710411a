// Our own ISO Schematron (schematron/<pack>/*.sch, fr-b2g) → rules as data, run the way SchXslt 1.10 runs
// it (the compiler artefacts.ts uses for the reference engine, xslt/2.0/compile/compile-2.0.xsl):
//   - every pattern in one pass over the document (one mode): each rule is a template of priority
//     `count(following::sch:rule)`, which ends in xsl:next-match, and a rule whose pattern has already
//     matched the node is skipped. So for each node in document order (the document node, then each
//     element, its attributes before its children), each pattern in schema order gives the node to its
//     first matching rule: `style: 'schxslt'` tells the engine to walk node by node, not pattern by pattern;
//   - `let` is an xsl:variable of the rule template; assert is `if not(test)`, report `if test`;
//   - the location is SchXslt's own `schxslt:location()`: `/Q{ns}local[n]/…/@Q{ns}local` (engine.ts).
// Only what our packs use is read: ns, pattern, rule (context), let (value), assert, report (id, flag,
// test, text with value-of). Anything else (abstract patterns, includes, phases, diagnostics, subject,
// schema-level lets …) is listed in `unsupported`, and the engine refuses the pack.
import { XmlElement, XmlText, XmlCData, type XmlTreeNode } from 'libxml2-wasm'
import { elementsOf, parseXml } from '../xml.js'
import type { Check, MessagePart, Pattern, RuleItem, RulesData } from './load-xslt.js'

export const SCH_NS = 'http://purl.oclc.org/dsdl/schematron'

const isSch = (el: XmlElement, local: string) => el.namespaceUri === SCH_NS && el.name === local
const attr = (el: XmlElement, name: string) => el.attr(name)?.value ?? null
const elementChildren = (node: XmlElement): XmlElement[] => elementsOf(node).map((e) => e.node)

export function loadSchematron(sch: string | Uint8Array): RulesData {
  const doc = parseXml(sch)
  try {
    return loadFromSchema(doc.root)
  } finally {
    doc.dispose()
  }
}

function loadFromSchema(root: XmlElement): RulesData {
  if (!isSch(root, 'schema')) throw new Error('not an ISO Schematron schema')
  const unsupported: string[] = []
  const binding = attr(root, 'queryBinding')
  if (binding !== 'xslt2') unsupported.push(`queryBinding ${binding}`)
  const namespaces: Record<string, string> = {}
  const patterns: Pattern[] = []
  const ruleCount = elementChildren(root).filter((p) => isSch(p, 'pattern')).reduce((n, p) => n + elementChildren(p).filter((r) => isSch(r, 'rule')).length, 0)
  let ruleIndex = 0
  for (const el of elementChildren(root)) {
    if (isSch(el, 'ns')) namespaces[attr(el, 'prefix')!] = attr(el, 'uri')!
    else if (isSch(el, 'title')) continue
    else if (isSch(el, 'pattern')) {
      if (attr(el, 'abstract') === 'true' || attr(el, 'is-a') !== null) unsupported.push(`abstract pattern ${attr(el, 'id')}`)
      const pattern: Pattern = { mode: attr(el, 'id') ?? `pattern-${patterns.length + 1}`, id: attr(el, 'id'), rules: [] }
      for (const r of elementChildren(el)) {
        if (isSch(r, 'title')) continue
        if (!isSch(r, 'rule') || attr(r, 'abstract') === 'true' || attr(r, 'context') === null) { unsupported.push(`pattern ${pattern.id}: ${r.name}`); continue }
        // SchXslt: priority = count(following::sch:rule), so schema order across all patterns.
        pattern.rules.push({ context: attr(r, 'context')!, priority: ruleCount - ++ruleIndex, body: loadRuleBody(r, unsupported) })
      }
      patterns.push(pattern)
    } else unsupported.push(`schema: ${el.name}`)
  }
  return { namespaces, patterns, globals: [], functions: [], unsupported, style: 'schxslt' }
}

function loadRuleBody(rule: XmlElement, unsupported: string[]): RuleItem[] {
  const context = attr(rule, 'context')
  if (attr(rule, 'subject') !== null) unsupported.push(`rule ${context}: subject`)
  const body: RuleItem[] = []
  for (const el of elementChildren(rule)) {
    if (isSch(el, 'let') && attr(el, 'value') !== null) body.push({ let: { name: attr(el, 'name')!, select: attr(el, 'value')! } })
    else if (isSch(el, 'assert') || isSch(el, 'report')) body.push({ check: loadCheck(el, context!, unsupported) })
    else unsupported.push(`rule ${context}: ${el.name}`)
  }
  return body
}

function loadCheck(el: XmlElement, context: string, unsupported: string[]): Check {
  for (const a of ['subject', 'diagnostics', 'properties']) if (attr(el, a) !== null) unsupported.push(`rule ${context}: ${el.name}/@${a}`)
  const message: MessagePart[] = []
  for (let c: XmlTreeNode | null = el.firstChild; c; c = c.next) {
    if (c instanceof XmlText || c instanceof XmlCData) {
      // Whitespace-only text between value-ofs is stripped from the generated stylesheet (XSLT 2.0 §4.2).
      if (c.content.trim() !== '') message.push({ text: c.content })
    } else if (c instanceof XmlElement) {
      if (isSch(c, 'value-of')) message.push({ select: attr(c, 'select')! })
      else if (isSch(c, 'name')) message.push({ select: attr(c, 'path') ?? 'name()' })
      else unsupported.push(`rule ${context}: ${c.name} in a message`)
    }
  }
  return { kind: isSch(el, 'assert') ? 'assert' : 'report', test: attr(el, 'test')!, id: attr(el, 'id'), flag: attr(el, 'flag'), location: '.', message }
}
