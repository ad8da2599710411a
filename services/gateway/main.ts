// gateway: HTTP in → document + `received` outbox row in one transaction → 202; relays the outbox to
// `document.received`. The first step of the path of one invoice (README, "The path of one invoice").
import type { AddressInfo } from 'node:net'
import { createApp } from './app.js'
import { startOutboxRelay } from '../kit/outbox.js'
import { infraChecks, withinTime } from '../kit/health.js'
import { startHousekeeping } from '../kit/housekeeping.js'
import { backlogProblem, collectMetrics, outboxBacklog, renderPrometheus } from './metrics.js'
import { registry } from '../kit/metrics.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import type { Deps } from '../kit/deps.js'
import type { Running } from '../kit/run-service.js'
import { peppolIdentityFromConfig } from '../peppol/pki.js'
import { smpPublisherFromConfig } from '../peppol/smp-publisher.js'

export async function startGateway(deps: Deps, extraChecks: Running['ready'][] = []): Promise<Running & { url: string }> {
  const { config, db, producer, codec } = deps
  const log = deps.log.child({ service: 'gateway' })
  const relay = startOutboxRelay({ db, producer, codec, log, pollMs: config.outboxPollMs, topicPrefix: config.topicPrefix })
  // Old inbox and outbox rows go here (one place for the hub and for a gateway run alone); see housekeeping.ts.
  const housekeeping = startHousekeeping({ db, log, intervalMs: config.housekeepingIntervalMs, retentionDays: config.retentionDays })
  const backlog = () => withinTime(outboxBacklog(db, config.topicPrefix), 2_000, 'the outbox backlog')
  // Peppol's settings are checked here, once, so a wrong key or CA stops the start with the setting to fix.
  const peppol = peppolIdentityFromConfig(config)
  const smp = smpPublisherFromConfig(config, db, peppol)
  if (!peppol) log.info('Peppol is off: set FACTEUR_PEPPOL_SEAT_ID and the key settings to turn it on (README "Peppol"; `npx facteur pki dev` makes test keys)')
  else log.info({ seatId: peppol.seatId, smp: smp ? '/smp' : null, smlZone: peppol.smlZone }, smp ? 'Peppol on: AS4 messages received at POST /as4, the hub\'s SMP at /smp' : 'Peppol on: AS4 messages received at POST /as4; no SMP published (FACTEUR_PEPPOL_AS4_URL or FACTEUR_PEPPOL_SMP_KEYSTORE unset)')
  const app = createApp({
    config, db, log, smp, peppol,
    checks: {
      ...infraChecks(deps),
      // The relay's own failure first (it says why); else a backlog too old means events are not getting out.
      outbox: async () => relay.lastError() ?? backlogProblem(await backlog(), config.outboxReadyMaxAgeMs),
      ...Object.fromEntries(extraChecks.map((check, i) => [`service${i}`, check])),
    },
    observe: {
      readinessDetails: async () => ({ outbox: await backlog() }),
      // The gauges read from PostgreSQL, then the process's registry (kit/metrics.ts): under `npm start` every
      // service runs in this process, so it holds every stage's counters, histograms and consumer lag.
      metrics: async () => {
        const deleted = housekeeping.deletedTotal()
        const lastRun = housekeeping.lastRunAt()
        return renderPrometheus(await withinTime(collectMetrics(db, config.topicPrefix, [
          { name: 'facteur_housekeeping_deleted_total', type: 'counter', help: 'Rows deleted by this gateway\'s housekeeping since it started, per table.',
            samples: [
              { labels: { table: 'processed_events' }, value: deleted.processedEvents }, { labels: { table: 'outbox' }, value: deleted.outbox },
              { labels: { table: 'delivery_jobs' }, value: deleted.deliveryJobs }, { labels: { table: 'dead_letters' }, value: deleted.deadLetters },
              { labels: { table: 'portal_sessions' }, value: deleted.portalSessions }, { labels: { table: 'setup_links' }, value: deleted.setupLinks },
            ] },
          { name: 'facteur_housekeeping_last_run_timestamp_seconds', type: 'gauge', help: 'When this gateway\'s housekeeping last finished (0: not yet).',
            samples: [{ value: lastRun ? Math.round(lastRun.getTime() / 1000) : 0 }] },
        ]), 2_000, 'the metrics')) + await registry.metrics()
      },
    },
  })
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const s = app.listen(config.httpPort, config.httpHost, () => resolve(s)).on('error', reject)
  })
  const url = `http://${config.httpHost}:${(server.address() as AddressInfo).port}`
  log.info({ url }, 'gateway listening')
  return {
    name: 'gateway',
    url,
    ready: async () => relay.lastError(),
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await housekeeping.stop()
      await relay.stop()
    },
  }
}

if (isEntryPoint(import.meta.url)) await runServiceMain('gateway', startGateway, { health: false })
