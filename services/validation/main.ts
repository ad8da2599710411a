// validation: consumes `document.parsed`, runs the official EN 16931 rules for the document's syntax
// (compiled once to SaxonJS SEF, see schematron/packs.json) and produces `document.validated`: VALID, or
// INVALID with the findings (→ REJETEE). Warnings travel with VALID documents too.
import { runConsumer, emit } from '../kit/run-service.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import { loadDocument } from '../kit/claim-check.js'
import { safeParse, documentText } from '../kit/safe-xml.js'
import type { Deps } from '../kit/deps.js'
import { createValidator } from './validate.js'

export async function startValidation(deps: Deps) {
  const validator = await createValidator()
  return runConsumer(deps, {
    name: 'validation',
    consumes: ['parsed'],
    async handle(event, { log }) {
      const { bytes } = await loadDocument(deps.db, event.documentId)
      const parsed = safeParse(bytes, { maxBytes: deps.config.maxDocumentBytes, maxDepth: deps.config.maxXmlDepth })
      // Ingest already parsed these bytes; failing here means the stored document changed: a bug, dead-lettered.
      if (!parsed.ok) throw new Error(`stored document no longer parses: ${parsed.finding.message}`)
      const started = performance.now()
      const result = validator.validate(documentText(bytes, parsed.doc), event.syntax)
      const fatal = result.findings.filter((f) => f.severity === 'fatal').length
      log.info({ valid: result.valid, fatal, findings: result.findings.length, ms: Math.round(performance.now() - started) }, 'validated')
      return [emit('validated', {
        eventId: `${event.documentId}:validated`, documentId: event.documentId, partnerId: event.partnerId,
        syntax: event.syntax, keys: event.keys, verdict: result.valid ? 'VALID' : 'INVALID',
        packs: result.packs, findings: result.findings, validatedAt: Date.now(),
      })]
    },
  })
}

if (isEntryPoint(import.meta.url)) await runServiceMain('validation', startValidation)
