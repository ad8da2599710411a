// SVRL (ISO/IEC 19757-3 Annex D) → findings. A failed assert or a successful report is one finding; its
// severity comes from the rule's flag (the EN 16931 artefacts use `fatal` and `warning`).
import libxml from 'libxmljs2'
import type { Element } from 'libxmljs2'
import type { Finding } from '../../schemas/events.js'

const SVRL = { svrl: 'http://purl.oclc.org/dsdl/svrl' }

export function severityOf(flag: string | null): Finding['severity'] {
  switch ((flag ?? '').toLowerCase()) {
    case 'warning': case 'warn': return 'warning'
    case 'information': case 'info': return 'information'
    // fatal, error, and no flag at all: Schematron asserts without a flag are errors.
    default: return 'fatal'
  }
}

export function parseSvrl(svrl: string, pack: string): Finding[] {
  const doc = libxml.parseXml(svrl, { noent: false, dtdload: false, nonet: true })
  return (doc.find('//svrl:failed-assert | //svrl:successful-report', SVRL) as Element[]).map((el) => ({
    ruleId: el.attr('id')?.value() ?? '(no id)',
    severity: severityOf(el.attr('flag')?.value() ?? null),
    location: el.attr('location')?.value() ?? '',
    message: ((el.get('svrl:text', SVRL) as Element | null)?.text() ?? '').replace(/\s+/g, ' ').trim(),
    pack,
    line: null,
  }))
}

/** A dynamic error of the rules themselves (XPTY0004, FORG0001, …) rejects the document; it never passes. */
export function ruleErrorFinding(pack: string, error: unknown): Finding {
  const e = error as { code?: string; message?: string }
  const code = e.code ? String(e.code).replace(/^.*:/, '') : 'ERROR'
  return {
    ruleId: 'FACTEUR-RULE-ERROR', severity: 'fatal', location: '/',
    message: `the ${pack} rules could not be evaluated on this document (${code}: ${String(e.message ?? error).split('\n')[0]})`,
    pack, line: null,
  }
}
