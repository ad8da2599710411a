// Checks a monthly report (reporting.ts) against OpenPeppol's own rules before it is sent: the report's XSD
// (libxml2-wasm), then its Schematron (SaxonJS), as phive orders them (no rules on a report that is not
// schema-valid). A report with a fatal finding is not sent; the findings say why. The rules are pinned in
// schematron/packs.json `reporting` and made ready by services/validation/artefacts.ts
// (ensureReportingArtefacts, also run by `npm run artefacts`); the caller passes them in, since this shared
// folder may not import a service's (services/kit/import-rules.test.ts).
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { XmlDocument, XmlElement, XmlValidateError, XsdValidator } from 'libxml2-wasm'
import type { Finding } from '../../schemas/events.js'
import { xmlFindingCodes } from '../kit/safe-xml.js'
import type { ReportKind } from './reporting.js'

/** One report's rules, made ready (structurally artefacts.ts's ResolvedReporting). */
export type ReportRules = { id: string; report: ReportKind; version: string; sefPath: string; xsdPath: string; xsd: { version: string } }

/** The finding id of a schema error, as the validation service's schema layer names it. */
export const REPORT_SCHEMA_FINDING = 'FACTEUR-XSD'
const SVRL_NS = 'http://purl.oclc.org/dsdl/svrl'

type SaxonApi = { transform(options: Record<string, unknown>, mode: 'sync'): { principalResult: string } }
let saxon: SaxonApi | undefined
const saxonJs = (): SaxonApi => (saxon ??= createRequire(import.meta.url)('saxon-js') as SaxonApi)

const fatal = (ruleId: string, message: string, pack: string, packVersion: string | null, line: number | null = null): Finding =>
  ({ ruleId, severity: 'fatal', location: line ? `line ${line}` : '/', message, pack, packVersion, line })

/** Every finding of the report of `kind` against `rules` (the list artefacts.ts resolves); none: it may be sent. */
export function checkReport(kind: ReportKind, xml: string, rules: readonly ReportRules[]): Finding[] {
  const r = rules.find((x) => x.report === kind)
  if (!r) throw new Error(`no reporting rules for ${kind}: is schematron/packs.json \`reporting\` resolved (npm run artefacts)?`)
  let doc: XmlDocument
  try {
    doc = XmlDocument.fromString(xml)
  } catch (error) {
    return [fatal(xmlFindingCodes.malformed, `the report is not well-formed XML: ${String((error as Error).message).split('\n')[0]}`, r.id, null)]
  }
  try {
    if (doc.dtd !== null) return [fatal(xmlFindingCodes.dtdForbidden, 'a report carries no DOCTYPE', r.id, null)]
    const schemaFindings = checkSchema(doc, r)
    if (schemaFindings.length > 0) return schemaFindings
  } finally {
    doc.dispose()
  }
  return checkRules(xml, r)
}

function checkSchema(doc: XmlDocument, r: ReportRules): Finding[] {
  const xsd = XmlDocument.fromBuffer(readFileSync(r.xsdPath))
  const validator = XsdValidator.fromDoc(xsd)
  xsd.dispose()
  try {
    validator.validate(doc)
    return []
  } catch (error) {
    if (!(error instanceof XmlValidateError)) throw error
    return error.details.map((d) => fatal(REPORT_SCHEMA_FINDING, `${r.id} XSD ${r.xsd.version}: ${d.message.trim()}`, 'xsd', r.xsd.version, d.line > 0 ? d.line : null))
  } finally {
    validator.dispose()
  }
}

/**
 * The Schematron, compiled to SEF like every pack (wrapped in batch.xslt, artefacts.ts), run as a plain transform
 * of the report: these stylesheets read the document in a global variable (document-uri(/)), so the report must
 * be the transform's global context item. SVRL failed asserts and successful reports become findings.
 */
function checkRules(xml: string, r: ReportRules): Finding[] {
  const sef = JSON.parse(readFileSync(r.sefPath, 'utf8')) as unknown
  const { principalResult } = saxonJs().transform({ stylesheetInternal: sef, sourceText: xml, destination: 'serialized' }, 'sync')
  const svrl = XmlDocument.fromString(principalResult)
  try {
    return svrl.find('//svrl:failed-assert | //svrl:successful-report', { svrl: SVRL_NS })
      .filter((n): n is XmlElement => n instanceof XmlElement)
      .map((el) => {
        const attr = (name: string) => el.attrs.find((a) => a.name === name)?.value.trim() ?? ''
        const text = el.get('svrl:text', { svrl: SVRL_NS })
        const flag = attr('flag').toLowerCase()
        return {
          ruleId: attr('id') || '(no id)',
          // Every rule of TSR 1.0.5 and EUSR 1.1.5 is flagged fatal; the other flags are read as the packs' are.
          severity: flag === 'warning' ? 'warning' : flag === 'information' ? 'information' : 'fatal',
          location: attr('location'),
          message: (text instanceof XmlElement ? text.content : '').replace(/\s+/g, ' ').trim(),
          pack: r.id, packVersion: r.version, line: null,
        } satisfies Finding
      })
  } finally {
    svrl.dispose()
  }
}
