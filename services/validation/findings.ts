// SVRL (ISO/IEC 19757-3 Annex D) → findings. A failed assert or a successful report is one finding; its
// severity comes from the rule's flag (the EN 16931 and Peppol artefacts use `fatal` and `warning`; the
// French CTC artefacts `fatal`, `warning` and `information`). Runs in the validation workers, so it parses
// with libxml2-wasm (libxmljs2 cannot be loaded in more than one thread, see xml.ts).
import type { Finding } from '../../schemas/events.js'
import { parseXml, elementsOf } from './xml.js'

export const SVRL_NS = 'http://purl.oclc.org/dsdl/svrl'

export function severityOf(flag: string | null): Finding['severity'] {
  switch ((flag ?? '').trim().toLowerCase()) {
    case 'warning': case 'warn': return 'warning'
    case 'information': case 'info': return 'information'
    // fatal, error, and no flag at all: Schematron asserts without a flag are errors.
    default: return 'fatal'
  }
}

export type PackRef = { pack: string; version: string }

/** Findings of one SVRL report (a `svrl:schematron-output` element, or a document holding one). */
export function parseSvrl(svrl: string, ref: PackRef): Finding[] {
  const doc = parseXml(svrl)
  try {
    return findingsOfReport(doc.root, ref)
  } finally {
    doc.dispose()
  }
}

/** The reports of a batch run: `<batch>` holding one `svrl:schematron-output` per document, in order. */
export function parseSvrlBatch(batch: string, ref: PackRef): Finding[][] {
  const doc = parseXml(batch)
  try {
    return elementsOf(doc.root).filter((el) => el.local === 'schematron-output' && el.ns === SVRL_NS).map((report) => findingsOfReport(report.node, ref))
  } finally {
    doc.dispose()
  }
}

type Node = Parameters<typeof elementsOf>[0]

function findingsOfReport(report: Node, ref: PackRef): Finding[] {
  const findings: Finding[] = []
  for (const el of elementsOf(report)) {
    if (el.ns !== SVRL_NS || (el.local !== 'failed-assert' && el.local !== 'successful-report')) continue
    const text = elementsOf(el.node).find((c) => c.local === 'text' && c.ns === SVRL_NS)
    findings.push({
      ruleId: el.node.attr('id')?.value?.trim() || '(no id)',
      severity: severityOf(el.node.attr('flag')?.value ?? null),
      location: el.node.attr('location')?.value ?? '',
      message: (text?.node.content ?? '').replace(/\s+/g, ' ').trim(),
      pack: ref.pack,
      packVersion: ref.version,
      line: null,
    })
  }
  return findings
}

/** A dynamic error of the rules themselves (XPTY0004, FORG0001, …) rejects the document; it never passes. */
export function ruleErrorFinding(ref: PackRef, error: unknown): Finding {
  const e = error as { code?: string; message?: string }
  const code = e.code ? String(e.code).replace(/^.*:/, '') : 'ERROR'
  return {
    ruleId: 'FACTEUR-RULE-ERROR', severity: 'fatal', location: '/',
    message: `the ${ref.pack} ${ref.version} rules could not be evaluated on this document (${code}: ${String(e.message ?? error).split('\n')[0]})`,
    pack: ref.pack, packVersion: ref.version, line: null,
  }
}
