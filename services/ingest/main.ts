// ingest: consumes `document.received`, reads the stored bytes safely, detects the syntax (UBL 2.1 Invoice or
// CreditNote, CII D16B), extracts the routing and business keys, and produces `document.parsed`, or
// `document.rejected` with the findings (→ REJETEE).
import { runConsumer, emit } from '../kit/run-service.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import { loadDocument } from '../kit/claim-check.js'
import type { Deps } from '../kit/deps.js'
import { ingest } from './ingest.js'

export const startIngest = (deps: Deps) => runConsumer(deps, {
  name: 'ingest',
  consumes: ['received'],
  async handle(event, { log }) {
    const { bytes } = await loadDocument(deps.db, event.documentId)
    const outcome = ingest(bytes, { maxBytes: deps.config.maxDocumentBytes, maxDepth: deps.config.maxXmlDepth })
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
