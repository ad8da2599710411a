// forwarder: consumes `document.routed` and `document.receipt`, and only records a delivery job for each
// (PostgreSQL, idempotent) before the offset is committed. The job runner (runner.ts) delivers the original
// bytes to the endpoint (file: drop folder or HTTP POST) with retries and back-off, off the consumer path,
// and produces `document.delivery` (DELIVERED | FAILED) through the outbox. A failed delivery stays a job in
// state `failed` for an operator to retry (`npx facteur deliveries retry`, POST /v1/admin/deliveries/retry).
import { runConsumer, combined, type Running } from '../kit/run-service.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import type { Deps } from '../kit/deps.js'
import { FacteurError } from '../kit/errors.js'
import { httpChannel } from './channels/http.js'
import { dropFolderChannel } from './channels/drop-folder.js'
import { peppolChannel } from './channels/peppol.js'
import { peppolIdentityFromConfig, checkChain } from '../peppol/pki.js'
import { createSmpClient } from '../peppol/smp-client.js'
import { dnsNaptrResolver } from '../peppol/bdxl.js'
import { addJob } from './store.js'
import { startDeliveryRunner } from './runner.js'
import { reporterCountry, startReportSender } from './peppol-reports.js'
import type { ReportRules } from '../peppol/reporting-check.js'

const startDocuments = (deps: Deps) => runConsumer(deps, {
  name: 'forwarder',
  consumes: ['routed'],
  async handle(event, { log }) {
    const added = await addJob(deps.db, {
      topicPrefix: deps.config.topicPrefix, kind: 'document', documentId: event.documentId, receiptSequence: 0, partnerId: event.partnerId, endpoint: event.endpoint,
      format: event.deliveryFormat === 'factur-x' ? 'factur-x' : 'original',
    })
    log.debug({ added }, added ? 'delivery job recorded' : 'delivery job already recorded')
    return []
  },
})

/**
 * Receipts to senders that have an endpoint (`document.receipt`): the same jobs, channels and retries as
 * documents; the outcome is recorded on the receipt, never on the document's status.
 */
const startReceipts = (deps: Deps) => runConsumer(deps, {
  name: 'forwarder-receipts',
  consumes: ['receipt'],
  async handle(event, { log }) {
    const added = await addJob(deps.db, {
      topicPrefix: deps.config.topicPrefix, kind: 'receipt', documentId: event.documentId, receiptSequence: event.sequence, partnerId: event.partnerId, endpoint: event.endpoint,
    })
    log.debug({ added, receipt: event.sequence }, added ? 'receipt delivery job recorded' : 'receipt delivery job already recorded')
    return []
  },
})

/**
 * `reportRules`: OpenPeppol's rules for the monthly reports (validation/artefacts.ts ensureReportingArtefacts), given
 * by the hub that starts the forwarder; without them this forwarder does not send Peppol's monthly reports.
 */
export type ForwarderOptions = { reportRules?: () => Promise<readonly ReportRules[]> }

/** The forwarder: the two consumers that record jobs, the runner that delivers them, and Peppol's monthly reports. */
export async function startForwarder(deps: Deps, options: ForwarderOptions = {}): Promise<Running> {
  const { config } = deps
  // The lease must outlast an attempt, or a slow live attempt would be taken by another runner and sent twice.
  if (config.deliveryLeaseMs <= config.deliveryTimeoutMs) {
    throw new FacteurError('CONFIG_INVALID', `FACTEUR_DELIVERY_LEASE_MS=${config.deliveryLeaseMs} must exceed FACTEUR_DELIVERY_TIMEOUT_MS=${config.deliveryTimeoutMs} (a job is leased for the whole attempt)`)
  }
  const http = { timeoutMs: config.deliveryTimeoutMs, allowedHosts: config.deliveryAllowedHosts }
  const peppol = peppolIdentityFromConfig(config)
  const smp = peppol && createSmpClient({
    smlZone: peppol.smlZone, smpUrl: peppol.smpUrl, resolveNaptr: dnsNaptrResolver(),
    trust: (der) => { const c = checkChain(der, peppol.smpCAs, new Date(), { usage: 'smp' }); return c.ok ? { ok: true } : { ok: false, reason: c.message } },
  })
  const channels = {
    http: httpChannel(http), file: dropFolderChannel(config.dropRoot),
    peppol: peppol && smp ? peppolChannel({ db: deps.db, peppol, smp, http }) : null,
  }
  const runner = startDeliveryRunner({
    db: deps.db, log: deps.log.child({ service: 'forwarder' }), channels, topicPrefix: config.topicPrefix,
    concurrency: config.deliveryConcurrency, perEndpoint: config.deliveryPerEndpoint, leaseMs: config.deliveryLeaseMs,
    pollMs: config.deliveryPollMs, maxAttempts: config.deliveryAttempts, backoffMs: config.deliveryBackoffMs,
  })
  const reports = peppol && smp && config.peppolReports === 'send' && options.reportRules
    ? startReportSender({ db: deps.db, log: deps.log.child({ service: 'forwarder' }), peppol, smp, http, rules: options.reportRules, country: reporterCountry(config.peppolCountry, peppol) })
    : null
  if (peppol && config.peppolReports === 'send' && !options.reportRules) deps.log.info({ service: 'forwarder' }, 'this forwarder process does not send Peppol\'s monthly reports (the hub\'s forwarders do; or npx facteur peppol report --send)')
  let consumers: Running
  try {
    consumers = combined('forwarder', [await startDocuments(deps), await startReceipts(deps)])
  } catch (error) {
    await reports?.stop()
    await runner.stop()
    throw error
  }
  return {
    name: 'forwarder',
    async ready() { return (await consumers.ready()) ?? (runner.lastError() ? `delivery runner: ${runner.lastError()}` : null) },
    // Consumers first (no new jobs), then the runner finishes the attempts under way.
    async stop() { await consumers.stop(); await reports?.stop(); await runner.stop() },
  }
}

if (isEntryPoint(import.meta.url)) await runServiceMain('forwarder', startForwarder)
