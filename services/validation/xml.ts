// libxml2-wasm for the validation layer. The design card names libxmljs2, and ingest and the gateway keep
// it; validation cannot: (1) libxmljs2 0.35 recompiles an XSD on every `validate()` call
// (src/xml_document.cc: xmlSchemaParse … xmlSchemaFree per call), 37-50 ms per UBL document against
// 0.8 ms for a compiled libxml2-wasm XsdValidator (measured on ../shared/corpus/examples); (2) its addon is
// not context-aware, so a second worker thread that loads it dies with "Module did not self-register",
// and validation runs in a worker pool. libxml2-wasm also bundles a far newer libxml2 (its API notes cite
// libxml2 2.14's deprecations; the exact version was not checked) where libxmljs2 bundles 2.9.9 (2019).
// Documents reach this layer only after the hardened parse of ingest or of the CLI (no DOCTYPE, size and depth limits); here parsing adds no entity substitution, no DTD
// loading and no network, and any DTD is refused again.
import { XmlDocument, XmlElement, xmlRegisterInputProvider, type XmlTreeNode } from 'libxml2-wasm'
import { openSync, readSync, closeSync, existsSync } from 'node:fs'
import { resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LocatableElement } from './locate.js'

export { XmlDocument, XmlElement }

export function parseXml(text: string | Uint8Array, url?: string): XmlDocument {
  const doc = typeof text === 'string' ? XmlDocument.fromString(text, url ? { url } : {}) : XmlDocument.fromBuffer(text, url ? { url } : {})
  if (doc.dtd !== null) {
    doc.dispose()
    throw new Error('a DOCTYPE declaration is not allowed in an e-invoice')
  }
  return doc
}

export type ElementRef = { local: string; ns: string; node: XmlElement }

/** The element children of a node, in document order. */
export function elementsOf(node: XmlElement | XmlTreeNode): ElementRef[] {
  const out: ElementRef[] = []
  if (!(node instanceof XmlElement)) return out
  for (let child = node.firstChild; child; child = child.next) {
    if (child instanceof XmlElement) out.push({ local: child.name, ns: child.namespaceUri, node: child })
  }
  return out
}

/** A libxml2-wasm element seen through the interface `locate.ts` walks. */
export function locatable(el: XmlElement): LocatableElement {
  return {
    local: el.name, ns: el.namespaceUri, line: el.line,
    *children() { for (const c of elementsOf(el)) yield locatable(c.node) },
  }
}

const allowedRoots: string[] = []
let registered = false

/**
 * Lets libxml2 read schema files (xsd:import / xsd:include) from `dir` and nowhere else: no network, no
 * other file. Called once per schema directory, before the validators are compiled.
 */
export function allowSchemaDirectory(dir: string) {
  allowedRoots.push(resolve(dir) + sep)
  if (registered) return
  registered = true
  const pathOf = (filename: string): string | null => {
    let path: string
    try {
      const url = new URL(filename)
      if (url.protocol !== 'file:') return null
      path = fileURLToPath(url)
    } catch {
      path = filename
    }
    path = resolve(path)
    return allowedRoots.some((root) => path.startsWith(root)) && existsSync(path) ? path : null
  }
  xmlRegisterInputProvider({
    match: (filename) => pathOf(filename) !== null,
    open: (filename) => { const p = pathOf(filename); return p === null ? undefined : openSync(p, 'r') },
    read: (fd, buf) => { try { return readSync(fd, buf) } catch { return -1 } },
    close: (fd) => { try { closeSync(fd); return true } catch { return false } },
  })
}
