// SVRL locations → line numbers. Schematron engines write the location of a finding as a path of
// positional steps from the root; we walk that path in the parsed document to find the element's line.
// Two spellings occur: the ISO skeleton's (EN 16931, Peppol, French CTC artefacts)
//   /*:Invoice[namespace-uri()='urn:…:Invoice-2'][1]/*:InvoiceLine[namespace-uri()='…'][2]/@currencyID
// and SchXslt's (our own packs), with EQNames:
//   /Q{urn:…:Invoice-2}Invoice[1]/Q{urn:…}InvoiceLine[2]/@schemeID
// Steps that are not elements (attributes, text()) end the walk: the line is their element's.

export type Step = { local: string; ns: string | null; position: number }

/** Splits a location into element steps; null when it is not a positional path we understand. */
export function parseLocation(location: string): Step[] | null {
  if (!location.startsWith('/')) return null
  const steps: Step[] = []
  for (const raw of splitSteps(location)) {
    if (raw === '') continue
    if (raw.startsWith('@') || raw.startsWith('text()') || raw.startsWith('comment()') || raw.startsWith('processing-instruction(')) break
    const step = parseStep(raw)
    if (!step) return null
    steps.push(step)
  }
  return steps
}

function splitSteps(path: string): string[] {
  const parts: string[] = []
  let depth = 0, quote = '', brace = false, current = ''
  for (const ch of path.slice(1)) {
    if (quote) { if (ch === quote) quote = ''; current += ch; continue }
    if (brace) { if (ch === '}') brace = false; current += ch; continue }
    if (ch === "'" || ch === '"') quote = ch
    else if (ch === '{') brace = true
    else if (ch === '[') depth++
    else if (ch === ']') depth--
    else if (ch === '/' && depth === 0) { parts.push(current); current = ''; continue }
    current += ch
  }
  parts.push(current)
  return parts
}

const eqName = /^Q\{([^}]*)\}([^[\s]+)/
const skeletonName = /^\*:([^[\s]+)/
const starLocal = /^\*\[local-name\(\)\s*=\s*'([^']*)'(?:\s+and\s+namespace-uri\(\)\s*=\s*'([^']*)')?\]/
const plainName = /^(?:[\w.-]+:)?([\w.-]+)/

function parseStep(raw: string): Step | null {
  let local: string, ns: string | null = null, rest: string
  let m: RegExpExecArray | null
  if ((m = eqName.exec(raw))) { ns = m[1]!; local = m[2]!; rest = raw.slice(m[0].length) }
  else if ((m = starLocal.exec(raw))) { local = m[1]!; ns = m[2] ?? null; rest = raw.slice(m[0].length) }
  else if ((m = skeletonName.exec(raw))) { local = m[1]!; rest = raw.slice(m[0].length) }
  else if ((m = plainName.exec(raw))) { local = m[1]!; rest = raw.slice(m[0].length) }
  else return null
  let position = 1
  for (const predicate of rest.matchAll(/\[([^\]]*)\]/g)) {
    const body = predicate[1]!.trim()
    const nsTest = /^namespace-uri\(\)\s*=\s*'([^']*)'$/.exec(body)
    if (nsTest) ns = nsTest[1]!
    else if (/^\d+$/.test(body)) position = Number(body)
  }
  return { local, ns, position }
}

/** The little a walk needs from an element, whichever XML library parsed the document. */
export type LocatableElement = { local: string; ns: string; line: number; children(): Iterable<LocatableElement> }

/** The line of the element a location points at (its nearest located ancestor when the path goes astray). */
export function lineOf(root: LocatableElement, location: string): number | null {
  const steps = parseLocation(location)
  if (!steps || steps.length === 0) return null
  const [first, ...rest] = steps
  if (!matches(root, first!)) return null
  let node = root
  for (const step of rest) {
    let seen = 0, next: LocatableElement | null = null
    for (const child of node.children()) {
      if (matches(child, step) && ++seen === step.position) { next = child; break }
    }
    if (!next) break
    node = next
  }
  return node.line > 0 ? node.line : null
}

const matches = (el: LocatableElement, step: Step) => el.local === step.local && (step.ns === null || el.ns === step.ns)
