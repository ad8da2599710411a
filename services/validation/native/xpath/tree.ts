// The light in-memory tree the rules run over (XPath 2.0 data model, XDM §6, as far as the rules need it),
// built by one walk of a libxml2-wasm document. Every read of a libxml2-wasm node crosses into WebAssembly;
// reading each node once into plain objects makes the thousands of steps the rules take cheap.
// What the walk builds, shared by every rule: parent links, document order numbers (`order`, and `end` =
// the order of the last descendant, so "is a descendant of" is a range test), attributes, text, and an
// index of elements by expanded name in document order (for `//name` and `descendant::name`).
// Comments and processing instructions are not kept: no rule of the packs selects them, and they do not
// contribute to string values (XDM §6.2.5).
import { XmlElement, XmlText, XmlCData, XmlEntityReference, type XmlDocument, type XmlTreeNode } from 'libxml2-wasm'

export const DOCUMENT = 9, ELEMENT = 1, ATTRIBUTE = 2, TEXT = 3

export type XNode = {
  kind: typeof DOCUMENT | typeof ELEMENT | typeof ATTRIBUTE | typeof TEXT
  /** Local name (elements, attributes), '' otherwise. */
  local: string
  /** Namespace URI, '' when none. */
  ns: string
  /** The prefix as written, for name() (XPath F&O §2.1: name() is the lexical QName). */
  prefix: string
  parent: XNode | null
  /** Element and text children in document order. */
  children: XNode[]
  /** Element children only. */
  elements: XNode[]
  attrs: XNode[]
  order: number
  /** The order of the last node in this node's subtree (itself when it has none). */
  end: number
  /** Attribute and text values; the cached string value of elements and documents. */
  value: string | null
  /** Position among the parent's element children with the same expanded name (1-based), for locations; 0 until asked (sameNameIndexOf). */
  sameNameIndex: number
  /** `ns local` for elements, `@ns local` for attributes, `/` for the document, `#` for text: rule look-ups. */
  key: string
  /** Element children by key, built on the first child step that needs it. */
  byKey: Map<string, XNode[]> | null
}

export type Tree = {
  root: XNode
  /** Elements by `ns + ' ' + local`, in document order. */
  byName: Map<string, XNode[]>
  /** Every element and attribute in document order, attributes before the children (the XSLT walk). */
  walk: XNode[]
  /** Values computed once per document by whoever owns the key (a pack's global variables). */
  cache: Map<object, unknown>
}

export const nameKey = (ns: string, local: string) => `${ns} ${local}`

export function buildTree(doc: XmlDocument): Tree {
  const byName = new Map<string, XNode[]>()
  const walk: XNode[] = []
  let order = 0
  const root: XNode = { kind: DOCUMENT, local: '', ns: '', prefix: '', parent: null, children: [], elements: [], attrs: [], order: order++, end: 0, value: null, sameNameIndex: 0, key: '/', byKey: null }

  const visit = (el: XmlElement, parent: XNode): XNode => {
    const local = el.name
    const ns = el.namespaceUri ?? ''
    const key = nameKey(ns, local)
    const node: XNode = { kind: ELEMENT, local, ns, prefix: el.prefix ?? '', parent, children: [], elements: [], attrs: [], order: order++, end: 0, value: null, sameNameIndex: 0, key, byKey: null }
    let list = byName.get(key)
    if (!list) byName.set(key, (list = []))
    list.push(node)
    walk.push(node)
    for (const a of el.attrs) {
      const ans = a.namespaceUri ?? '', alocal = a.name
      const attr: XNode = { kind: ATTRIBUTE, local: alocal, ns: ans, prefix: a.prefix ?? '', parent: node, children: [], elements: [], attrs: [], order: order++, end: 0, value: a.value, sameNameIndex: 0, key: '@' + nameKey(ans, alocal), byKey: null }
      attr.end = attr.order
      node.attrs.push(attr)
      walk.push(attr)
    }
    let pendingText: string | null = null
    const flushText = () => {
      if (pendingText === null) return
      // XDM: adjacent text nodes are merged; CDATA sections are text.
      node.children.push({ kind: TEXT, local: '', ns: '', prefix: '', parent: node, children: [], elements: [], attrs: [], order: order++, end: 0, value: pendingText, sameNameIndex: 0, key: '#', byKey: null })
      node.children[node.children.length - 1]!.end = order - 1
      pendingText = null
    }
    for (let c: XmlTreeNode | null = el.firstChild; c; c = c.next) {
      if (c instanceof XmlElement) {
        flushText()
        const child = visit(c, node)
        node.children.push(child)
        node.elements.push(child)
      } else if (c instanceof XmlText || c instanceof XmlCData) {
        pendingText = (pendingText ?? '') + c.content
      } else if (c instanceof XmlEntityReference) {
        throw new Error('entity references are not expanded in this document')
      }
    }
    flushText()
    node.end = order - 1
    return node
  }
  const top = visit(doc.root, root)
  root.children.push(top)
  root.elements.push(top)
  root.end = order - 1
  return { root, byName, walk, cache: new Map() }
}

/** The string value (XDM §6.2.4, §6.7.4): the concatenated text descendants of an element or document. */
export function stringValue(node: XNode): string {
  if (node.value !== null) return node.value
  let s = ''
  const collect = (n: XNode) => {
    for (const c of n.children) {
      if (c.kind === TEXT) s += c.value!
      else collect(c)
    }
  }
  collect(node)
  node.value = s
  return s
}

const NONE: XNode[] = []

/** The element children of `node` with key `key` (shared array: never mutate it). */
export function childrenByKey(node: XNode, key: string): XNode[] {
  let index = node.byKey
  if (index === null) {
    index = new Map()
    for (const c of node.elements) {
      const list = index.get(c.key)
      if (list) list.push(c)
      else index.set(c.key, [c])
    }
    node.byKey = index
  }
  return index.get(key) ?? NONE
}

/** 1 + the number of preceding element siblings with the same expanded name. */
export function sameNameIndexOf(node: XNode): number {
  if (node.sameNameIndex === 0) {
    const siblings = node.parent ? childrenByKey(node.parent, node.key) : [node]
    siblings.forEach((n, i) => { n.sameNameIndex = i + 1 })
  }
  return node.sameNameIndex
}
