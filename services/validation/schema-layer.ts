// The schema layer: UBL 2.1 Invoice / CreditNote and CII D16B XSDs, compiled once per worker, checked before
// any Schematron runs (phive's order: a document that is not schema-valid is not given to the rules).
// No network and no file outside the schema cache: see allowSchemaDirectory.
import { XsdValidator, XmlValidateError } from 'libxml2-wasm'
import { readFileSync } from 'node:fs'
import type { Finding, Syntax } from '../../schemas/events.js'
import type { ResolvedSchema } from './artefacts.js'
import { allowSchemaDirectory, parseXml, type XmlDocument } from './xml.js'

export const SCHEMA_FINDING = 'FACTEUR-XSD'
/** A schema error can repeat thousands of times in a hostile document; the first ones say enough. */
export const MAX_SCHEMA_FINDINGS = 50

export type SchemaLayer = { check(doc: XmlDocument, syntax: Syntax): Finding[] }

/** `lazy`: each schema is compiled when a document of its syntax first comes (see PipelineOptions.lazy). */
export function createSchemaLayer(schemas: ResolvedSchema[], options: { lazy?: boolean } = {}): SchemaLayer {
  const validators = new Map<Syntax, { validator: XsdValidator; title: string }>()
  const validatorFor = (syntax: Syntax) => {
    const s = validators.has(syntax) ? undefined : schemas.find((x) => x.syntax === syntax)
    if (s) {
      allowSchemaDirectory(s.dir)
      const xsd = parseXml(readFileSync(s.xsdPath), s.xsdPath)
      try {
        validators.set(s.syntax, { validator: XsdValidator.fromDoc(xsd), title: s.title })
      } finally {
        xsd.dispose()
      }
    }
    return validators.get(syntax)
  }
  if (!options.lazy) for (const s of schemas) validatorFor(s.syntax)
  return {
    check(doc, syntax) {
      const entry = validatorFor(syntax)
      if (!entry) return [{ ruleId: SCHEMA_FINDING, severity: 'fatal', location: '/', message: `no XML schema is configured for ${syntax}`, pack: 'xsd', line: null }]
      try {
        entry.validator.validate(doc)
        return []
      } catch (error) {
        if (!(error instanceof XmlValidateError)) throw error
        const details = error.details.length > 0 ? error.details : [{ message: error.message, line: 0, col: 0 }]
        const findings: Finding[] = details.slice(0, MAX_SCHEMA_FINDINGS).map((d) => ({
          ruleId: SCHEMA_FINDING, severity: 'fatal',
          location: (d as { xpath?: string }).xpath ?? (d.line ? `line ${d.line}` : '/'),
          message: `${entry.title}: ${d.message.trim()}`,
          pack: 'xsd', line: d.line > 0 ? d.line : null,
        }))
        if (details.length > MAX_SCHEMA_FINDINGS) {
          findings.push({ ruleId: SCHEMA_FINDING, severity: 'fatal', location: '/', message: `${details.length - MAX_SCHEMA_FINDINGS} more schema errors not shown`, pack: 'xsd', line: null })
        }
        return findings
      }
    },
  }
}
