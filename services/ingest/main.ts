// ingest: consumes `document.received`, reads the stored bytes safely, detects the syntax (UBL 2.1 Invoice or
// CreditNote, CII D16B), extracts the routing and business keys, and produces `document.parsed`, or
// `document.rejected` with the findings (→ REJETEE). A Factur-X PDF is read first, on a thread of its own with
// limits, and its embedded CII invoice is kept beside the PDF for validation.
import { runConsumer, emit } from '../kit/run-service.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import { loadDocument } from '../kit/claim-check.js'
import type { Deps } from '../kit/deps.js'
import { ingest, ingestFacturX, type IngestOutcome } from './ingest.js'
import { defaultPdfLimits } from './facturx.js'
import { defaultReaderLimits, extractFacturX } from './facturx-worker.js'

export const startIngest = (deps: Deps) => runConsumer(deps, {
  name: 'ingest',
  consumes: ['received'],
  async handle(event, { log }) {
    const { bytes, contentType } = await loadDocument(deps.db, event.documentId)
    const limits = { maxBytes: deps.config.maxDocumentBytes, maxDepth: deps.config.maxXmlDepth }
    let outcome: IngestOutcome
    if (contentType === 'application/pdf') {
      // Factur-X: the PDF read on a thread of its own, with limits; its invoice kept beside it for the stages
      // that read the invoice (kit/claim-check.ts), before `parsed` says it is there.
      const read = await extractFacturX(bytes, { ...defaultPdfLimits, maxBytes: limits.maxBytes, maxXmlBytes: limits.maxBytes }, defaultReaderLimits)
      const facturX = ingestFacturX(read, limits)
      if (facturX.ok) {
        await deps.db.query('UPDATE documents SET business_xml = $2, container = $3 WHERE id = $1', [event.documentId, facturX.invoice, JSON.stringify(facturX.container)])
        log.info({ container: { fileName: facturX.container.fileName, profile: facturX.container.profile, warnings: facturX.container.findings.map((f) => f.ruleId) } }, 'Factur-X read')
      }
      outcome = facturX
    } else outcome = ingest(bytes, limits)
    const base = { documentId: event.documentId, partnerId: event.partnerId }
    if (!outcome.ok) {
      log.info({ findings: outcome.findings.map((f) => f.ruleId) }, 'rejected at ingest')
      return [emit('rejected', { ...base, eventId: `${event.documentId}:rejected`, stage: 'ingest', findings: outcome.findings, rejectedAt: Date.now() })]
    }
    log.info({ syntax: outcome.syntax, invoiceNumber: outcome.keys.invoiceNumber }, 'parsed')
    return [emit('parsed', { ...base, eventId: `${event.documentId}:parsed`, syntax: outcome.syntax, keys: outcome.keys, parsedAt: Date.now() })]
  },
})

if (isEntryPoint(import.meta.url)) await runServiceMain('ingest', startIngest)
