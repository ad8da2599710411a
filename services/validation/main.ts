// validation: consumes `document.parsed`, runs the XML schema and the rule packs the document calls for
// (pipeline.ts, in the worker pool of pool.ts) and produces `document.validated`: VALID, or INVALID with
// the findings (→ REJETEE). Warnings travel with VALID documents too.
import { runConsumer, emit } from '../kit/run-service.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import { loadDocument } from '../kit/claim-check.js'
import { safeParse, documentText, utf8Text } from '../kit/safe-xml.js'
import { startStep, type Deps } from '../kit/deps.js'
import { createValidationPool } from './pool.js'
import { storeAllFindings } from './store.js'
import { capFindings } from '../../schemas/event-limits.js'
import { validationSeconds } from '../kit/metrics.js'

export async function startValidation(deps: Deps) {
  // The workers parse the text; the main thread only decodes it. Only a document in another encoding than
  // UTF-8 is parsed here first, for libxml to decode it (ingest parsed these bytes safely already, so failing
  // here means the stored document changed: a bug, dead-lettered).
  const textOf = (bytes: Buffer) => {
    const utf8 = utf8Text(bytes)
    if (utf8 !== null) return utf8
    const parsed = safeParse(bytes, { maxBytes: deps.config.maxDocumentBytes, maxDepth: deps.config.maxXmlDepth })
    if (!parsed.ok) throw new Error(`stored document no longer parses: ${parsed.finding.message}`)
    return documentText(bytes, parsed.doc)
  }
  const pool = await startStep(deps.log, 'validation', 'starting the validation workers', createValidationPool({
    size: deps.config.validationWorkers || undefined, engine: deps.config.validationEngine,
    timeoutMs: deps.config.validationTimeoutMs, memoryMb: deps.config.validationWorkerMemoryMb,
    onProgress: (m) => deps.log.info(m),
    onEvent: ({ message, ...event }) => deps.log.warn({ service: 'validation', ...event }, message),
  }))
  deps.log.info({ workers: pool.size, engine: pool.engine, ...pool.limits, packs: pool.packs.map((p) => `${p.id}:${p.version}@${p.engine}`) }, 'validation pool ready')
  const running = await runConsumer(deps, {
    name: 'validation',
    consumes: ['parsed'],
    async handle(event, { log }) {
      // The invoice itself: the XML deposited, or the CII a Factur-X PDF carries (ingest extracted it).
      const { invoice } = await loadDocument(deps.db, event.documentId)
      const started = performance.now()
      const verdict = await pool.validate({ text: textOf(invoice), syntax: event.syntax }, event.documentId)
      validationSeconds.observe({ verdict: verdict.valid ? 'VALID' : 'INVALID' }, (performance.now() - started) / 1000)
      const fatal = verdict.findings.filter((f) => f.severity === 'fatal').length
      log.info({ valid: verdict.valid, fatal, findings: verdict.findings.length, ran: verdict.ran, ms: Math.round(performance.now() - started) }, 'validated')
      // A document can break a rule on each of its thousands of lines: the event carries the first findings (fatal
      // first) and a count per rule; the complete list goes to PostgreSQL first, so it is there when the status is.
      const carried = capFindings(verdict.findings)
      if (carried.truncated) await storeAllFindings(deps.db, event.documentId, 'validation', verdict.findings)
      return [emit('validated', {
        eventId: `${event.documentId}:validated`, documentId: event.documentId, partnerId: event.partnerId,
        syntax: event.syntax, keys: event.keys, verdict: verdict.valid ? 'VALID' : 'INVALID',
        packs: verdict.ran, findings: carried.findings, validatedAt: Date.now(),
      })]
    },
  })
  return { ...running, async stop() { await running.stop(); await pool.close() } }
}

if (isEntryPoint(import.meta.url)) await runServiceMain('validation', startValidation)
