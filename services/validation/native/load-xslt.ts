// Official skeleton XSLT → rules as data.
//
// Why the XSLT and not the Schematron sources: the packs we run are pinned by the sha256 of what the phive
// jars ship, and the EN 16931 and Peppol jars ship only the XSLT that the ISO skeleton (iso_svrl_for_xslt2)
// generated from the Schematron. Reading that same file means the native engine runs, by construction, the
// rules the reference engine runs: abstract patterns are already instantiated, includes resolved, phases
// applied, `let`s turned into xsl:variable, priorities fixed. Going back to .sch sources would mean pinning
// a second artefact and re-implementing the skeleton's pre-processing, with a chance of drifting from what
// the XSLT does. The skeleton's output is regular enough to read back:
//   - the root template `match="/"` applies each pattern's mode in turn (`apply-templates mode="M11"
//     select="/"`), after an `svrl:active-pattern` whose `xsl:attribute name="id"` names the pattern;
//   - each rule is `xsl:template match=CONTEXT mode=Mn priority=P` starting with `svrl:fired-rule`;
//     XSLT 2.0 §6.4 picks the single template of highest priority, which gives Schematron's "a node is
//     taken by the first matching rule of its pattern" (the skeleton numbers priorities downwards);
//   - an assert is `xsl:choose/xsl:when test=T` + `xsl:otherwise/svrl:failed-assert` (a finding when T is
//     false); a report is `xsl:if test=T` + `svrl:successful-report` (a finding when T is true);
//   - `xsl:variable name select` inside a rule is a `let`; id, flag and location are `xsl:attribute`
//     children of the failed-assert; the message is `svrl:text` with literal text and `xsl:value-of`;
//   - every rule and the mode's default template end with `apply-templates select="@*|*"`, so each
//     element and attribute of the document is offered to each pattern once.
// Beyond the skeleton, Peppol's stylesheet (and the French CTC ones) declare
//   - global variables and parameters (`xsl:variable`/`xsl:param` with a select, often reading the document
//     with `/*/cbc:…`): loaded as `globals`, evaluated per document with the document node as context item;
//   - `xsl:function`s whose bodies are xsl:variable, xsl:sequence and xsl:choose: loaded as `functions`,
//     instructions as data (FunctionItem), run by the engine.
// Anything else found in a rule template, a function or at the top level (xsl:key, includes, content-built
// global variables …) is recorded in `unsupported`, so that the engine refuses the pack instead of silently
// giving another verdict.
import { XmlElement, XmlText, XmlCData, type XmlTreeNode } from 'libxml2-wasm'
import { elementsOf, parseXml } from '../xml.js'

export const XSL_NS = 'http://www.w3.org/1999/XSL/Transform'
export const SVRL_NS = 'http://purl.oclc.org/dsdl/svrl'

/** A piece of a message: literal text, or the string value of an XPath (xsl:value-of select). */
export type MessagePart = { text: string; select?: undefined } | { select: string; text?: undefined }

export type Check = {
  kind: 'assert' | 'report'
  /** The XPath of xsl:when/@test (assert) or xsl:if/@test (report). */
  test: string
  id: string | null
  flag: string | null
  /** The select of the location's apply-templates (the Schematron `subject`), `.` by default. */
  location: string
  message: MessagePart[]
}

export type Let = { name: string; select: string }

/** A rule's body in document order: lets are in scope for everything after them. */
export type RuleItem = { let: Let } | { check: Check }

export type Rule = {
  /** The XSLT match pattern (a Schematron rule context). */
  context: string
  priority: number
  body: RuleItem[]
}

export type Pattern = { mode: string; id: string | null; rules: Rule[] }

/** A global xsl:variable or xsl:param: `select`, or (a param without one) the zero-length string. */
export type Global = { name: string; select: string; as: string | null }

/** An instruction of an xsl:function body (the subset the packs use). */
export type FunctionItem =
  /** xsl:variable: a select, literal text content (a text-only temporary tree), or instructions (xsl:sequence). */
  | { variable: { name: string; as: string | null; select?: string; text?: string; body?: FunctionItem[] } }
  | { sequence: string }
  | { choose: { when: { test: string; body: FunctionItem[] }[]; otherwise: FunctionItem[] } }

export type UserFunction = {
  /** Expanded name: namespace URI and local name. */
  ns: string
  local: string
  params: { name: string; as: string | null }[]
  as: string | null
  body: FunctionItem[]
}

export type RulesData = {
  /** Prefix → namespace URI in scope on xsl:stylesheet (the Schematron `ns` declarations and more). */
  namespaces: Record<string, string>
  /** Patterns in the order the root template applies them (the order of findings in SVRL). */
  patterns: Pattern[]
  /** Global variables and parameters in stylesheet order. */
  globals: Global[]
  functions: UserFunction[]
  /** Constructs this loader or the engine cannot handle yet; a pack with any must not run natively. */
  unsupported: string[]
  /**
   * How the reference runs the rules, which decides the order of findings and the location format:
   * `skeleton`, the ISO skeleton's XSLT (pattern by pattern, `/*:local[namespace-uri()='ns'][n]`), or
   * `schxslt`, SchXslt's (node by node, `/Q{ns}local[n]`), see load-sch.ts.
   */
  style: 'skeleton' | 'schxslt'
}

type Child = { el: XmlElement } | { text: string }

function childrenOf(node: XmlElement): Child[] {
  const out: Child[] = []
  for (let c: XmlTreeNode | null = node.firstChild; c; c = c.next) {
    if (c instanceof XmlElement) out.push({ el: c })
    else if (c instanceof XmlText || c instanceof XmlCData) out.push({ text: c.content })
  }
  return out
}

const elementChildren = (node: XmlElement): XmlElement[] => elementsOf(node).map((e) => e.node)
const isXsl = (el: XmlElement, local: string) => el.namespaceUri === XSL_NS && el.name === local
const isSvrl = (el: XmlElement, local: string) => el.namespaceUri === SVRL_NS && el.name === local
const attr = (el: XmlElement, name: string) => el.attr(name)?.value ?? null

/** Loads the rules of one skeleton-generated stylesheet. */
export function loadXslt(xslt: string | Uint8Array): RulesData {
  const doc = parseXml(xslt)
  try {
    return loadFromRoot(doc.root)
  } finally {
    doc.dispose()
  }
}

function loadFromRoot(root: XmlElement): RulesData {
  if (!isXsl(root, 'stylesheet') && !isXsl(root, 'transform')) throw new Error('not an XSLT stylesheet')
  const unsupported: string[] = []
  const namespaces: Record<string, string> = { ...root.namespaces }
  const top = elementChildren(root)

  // The root template gives the patterns, in order, with their ids.
  const rootTemplate = top.find((el) => isXsl(el, 'template') && attr(el, 'match') === '/' && attr(el, 'mode') === null)
  if (!rootTemplate) throw new Error('no root template: not an ISO skeleton stylesheet')
  const patterns: Pattern[] = []
  let pendingId: string | null = null
  const walkRoot = (el: XmlElement) => {
    for (const child of elementChildren(el)) {
      if (isSvrl(child, 'active-pattern')) {
        pendingId = elementChildren(child).filter((a) => isXsl(a, 'attribute') && attr(a, 'name') === 'id').map((a) => a.content.trim())[0] ?? null
      } else if (isXsl(child, 'apply-templates') && attr(child, 'mode') !== null) {
        if (attr(child, 'select') !== '/') unsupported.push(`root template applies mode ${attr(child, 'mode')} to ${attr(child, 'select')}`)
        patterns.push({ mode: attr(child, 'mode')!, id: pendingId, rules: [] })
        pendingId = null
      } else {
        walkRoot(child)
      }
    }
  }
  walkRoot(rootTemplate)
  const byMode = new Map(patterns.map((p) => [p.mode, p]))

  const globals: Global[] = []
  const functions: UserFunction[] = []
  for (const el of top) {
    if (isXsl(el, 'function')) {
      const fn = loadFunction(el, namespaces, unsupported)
      if (fn) functions.push(fn)
    } else if (isXsl(el, 'key')) unsupported.push(`xsl:key ${attr(el, 'name')}`)
    else if (isXsl(el, 'variable') || isXsl(el, 'param')) {
      const name = attr(el, 'name')!
      const select = attr(el, 'select')
      // The skeleton's `document-uri` variable (value-of document-uri(/)) is never read by a rule.
      if (select !== null) globals.push({ name, select, as: attr(el, 'as') })
      else if (childrenOf(el).length === 0 && isXsl(el, 'param')) globals.push({ name, select: "''", as: null })
      else if (name !== 'document-uri') unsupported.push(`global xsl:${el.name} ${name} built from content`)
    } else if (isXsl(el, 'include') || isXsl(el, 'import')) unsupported.push(`${el.name} ${attr(el, 'href')}`)
    if (!isXsl(el, 'template')) continue
    const mode = attr(el, 'mode')
    const pattern = mode === null ? undefined : byMode.get(mode)
    if (!pattern) continue
    const first = elementChildren(el)[0]
    if (first && isSvrl(first, 'fired-rule')) {
      pattern.rules.push(loadRule(el, unsupported))
    } else {
      checkDefaultTemplate(el, mode!, unsupported)
    }
  }
  for (const p of patterns) p.rules.sort((a, b) => b.priority - a.priority)
  for (const p of patterns) {
    for (let i = 1; i < p.rules.length; i++) {
      // XSLT 2.0 §6.4: equal priorities are a recoverable error, Saxon taking the last in document order.
      if (p.rules[i]!.priority === p.rules[i - 1]!.priority) unsupported.push(`mode ${p.mode}: two rules with priority ${p.rules[i]!.priority}`)
    }
  }
  return { namespaces, patterns, globals, functions, unsupported, style: 'skeleton' }
}

/** An xsl:function as data; its name's prefix is resolved with the stylesheet's namespaces. */
function loadFunction(el: XmlElement, namespaces: Record<string, string>, unsupported: string[]): UserFunction | null {
  const qname = attr(el, 'name') ?? ''
  const [prefix, local] = qname.includes(':') ? qname.split(':') as [string, string] : ['', qname]
  const ns = namespaces[prefix]
  if (!prefix || ns === undefined) { unsupported.push(`xsl:function ${qname}: no namespace`); return null }
  const params: UserFunction['params'] = []
  const children = elementChildren(el)
  let i = 0
  for (; i < children.length && isXsl(children[i]!, 'param'); i++) params.push({ name: attr(children[i]!, 'name')!, as: attr(children[i]!, 'as') })
  const body = loadFunctionBody(children.slice(i), qname, unsupported)
  return { ns, local, params, as: attr(el, 'as'), body }
}

function loadFunctionBody(els: XmlElement[], where: string, unsupported: string[]): FunctionItem[] {
  const out: FunctionItem[] = []
  for (const el of els) {
    if (isXsl(el, 'sequence') && attr(el, 'select') !== null && elementChildren(el).length === 0) {
      out.push({ sequence: attr(el, 'select')! })
    } else if (isXsl(el, 'variable')) {
      const name = attr(el, 'name')!, as = attr(el, 'as'), select = attr(el, 'select')
      const inner = elementChildren(el)
      if (select !== null) out.push({ variable: { name, as, select } })
      else if (inner.length === 0) out.push({ variable: { name, as, text: el.content } })
      else out.push({ variable: { name, as, body: loadFunctionBody(inner, where, unsupported) } })
    } else if (isXsl(el, 'choose')) {
      const when: { test: string; body: FunctionItem[] }[] = []
      let otherwise: FunctionItem[] = []
      for (const c of elementChildren(el)) {
        if (isXsl(c, 'when')) when.push({ test: attr(c, 'test')!, body: loadFunctionBody(elementChildren(c), where, unsupported) })
        else if (isXsl(c, 'otherwise')) otherwise = loadFunctionBody(elementChildren(c), where, unsupported)
        else unsupported.push(`xsl:function ${where}: ${c.name} in xsl:choose`)
      }
      out.push({ choose: { when, otherwise } })
    } else {
      unsupported.push(`xsl:function ${where}: ${el.name}`)
    }
  }
  return out
}

/** The skeleton's per-mode defaults: text() does nothing, `@*|node()` goes on to `@*|*`. */
function checkDefaultTemplate(el: XmlElement, mode: string, unsupported: string[]) {
  const match = attr(el, 'match')
  const body = elementChildren(el)
  if (match === 'text()' && body.length === 0) return
  if (match === '@*|node()' && body.length === 1 && isXsl(body[0]!, 'apply-templates') && attr(body[0]!, 'select') === '@*|*' && attr(body[0]!, 'mode') === mode) return
  unsupported.push(`mode ${mode}: unexpected template match="${match}"`)
}

function loadRule(template: XmlElement, unsupported: string[]): Rule {
  const context = attr(template, 'match')!
  const priority = Number(attr(template, 'priority') ?? 'NaN')
  if (!Number.isFinite(priority)) unsupported.push(`rule ${context}: no numeric priority`)
  const body: RuleItem[] = []
  const mode = attr(template, 'mode')
  const children = elementChildren(template)
  children.forEach((el, index) => {
    if (index === 0) return // svrl:fired-rule
    if (isXsl(el, 'variable')) {
      const select = attr(el, 'select')
      if (select === null) unsupported.push(`rule ${context}: xsl:variable ${attr(el, 'name')} without select`)
      body.push({ let: { name: attr(el, 'name')!, select: select ?? "''" } })
    } else if (isXsl(el, 'choose')) {
      const [when, otherwise, ...rest] = elementChildren(el)
      const failed = otherwise && isXsl(otherwise, 'otherwise') ? elementChildren(otherwise) : []
      if (!when || !isXsl(when, 'when') || elementChildren(when).length > 0 || rest.length > 0 || failed.length !== 1 || !isSvrl(failed[0]!, 'failed-assert')) {
        unsupported.push(`rule ${context}: xsl:choose not in the skeleton's assert form`)
        return
      }
      body.push({ check: loadCheck('assert', attr(when, 'test')!, failed[0]!, context, unsupported) })
    } else if (isXsl(el, 'if')) {
      const inner = elementChildren(el)
      if (inner.length !== 1 || !isSvrl(inner[0]!, 'successful-report')) {
        unsupported.push(`rule ${context}: xsl:if not in the skeleton's report form`)
        return
      }
      body.push({ check: loadCheck('report', attr(el, 'test')!, inner[0]!, context, unsupported) })
    } else if (isXsl(el, 'apply-templates') && index === children.length - 1 && attr(el, 'select') === '@*|*' && attr(el, 'mode') === mode) {
      // the walk goes on to attributes and children: the engine does that for every node
    } else {
      unsupported.push(`rule ${context}: unexpected ${el.name}`)
    }
  })
  return { context, priority, body }
}

function loadCheck(kind: Check['kind'], test: string, svrl: XmlElement, context: string, unsupported: string[]): Check {
  let id: string | null = null, flag: string | null = null, location = '.'
  let message: MessagePart[] = []
  for (const el of elementChildren(svrl)) {
    if (isXsl(el, 'attribute')) {
      const name = attr(el, 'name')
      if (name === 'location') {
        const apply = elementChildren(el)
        if (apply.length !== 1 || !isXsl(apply[0]!, 'apply-templates') || attr(apply[0]!, 'mode') !== 'schematron-select-full-path') {
          unsupported.push(`rule ${context}: location not in the skeleton's form`)
        } else {
          location = attr(apply[0]!, 'select') ?? '.'
        }
        continue
      }
      if (elementChildren(el).length > 0) unsupported.push(`rule ${context}: computed ${name} attribute`)
      const value = el.content.trim()
      if (name === 'id') id = value
      else if (name === 'flag') flag = value
      // role, see, … do not reach findings
    } else if (isSvrl(el, 'text')) {
      if (message.length === 0) message = loadMessage(el, context, unsupported)
    }
    // svrl:diagnostic-reference and svrl:property-reference do not reach findings either
  }
  return { kind, test, id, flag, location, message }
}

/**
 * The message parts of svrl:text. XSLT 2.0 §4.2: whitespace-only text nodes of the stylesheet are stripped
 * (outside xsl:text), so `<xsl:value-of/> <xsl:value-of/>` joins the two values with no space; parseSvrl
 * collapses whitespace afterwards, which the engine does too.
 */
function loadMessage(text: XmlElement, context: string, unsupported: string[]): MessagePart[] {
  const parts: MessagePart[] = []
  for (const child of childrenOf(text)) {
    if ('text' in child) {
      if (child.text.trim() !== '') parts.push({ text: child.text })
    } else if (isXsl(child.el, 'value-of')) {
      parts.push({ select: attr(child.el, 'select') ?? "''" })
    } else if (isXsl(child.el, 'text')) {
      parts.push({ text: child.el.content })
    } else {
      unsupported.push(`rule ${context}: ${child.el.name} in a message`)
    }
  }
  return parts
}
