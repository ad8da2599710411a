// gateway: HTTP in → document + `received` outbox row in one transaction → 202; relays the outbox to
// `document.received`. The first step of the path of one invoice (README, "The path of one invoice").
import type { AddressInfo } from 'node:net'
import { createApp } from './app.js'
import { startOutboxRelay } from '../kit/outbox.js'
import { infraChecks } from '../kit/health.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import type { Deps } from '../kit/deps.js'
import type { Running } from '../kit/run-service.js'

export async function startGateway(deps: Deps, extraChecks: Running['ready'][] = []): Promise<Running & { url: string }> {
  const { config, db, producer, codec } = deps
  const log = deps.log.child({ service: 'gateway' })
  const relay = startOutboxRelay({ db, producer, codec, log, pollMs: config.outboxPollMs, topicPrefix: config.topicPrefix })
  const app = createApp({
    config, db, log,
    checks: {
      ...infraChecks(deps),
      outbox: async () => relay.lastError(),
      ...Object.fromEntries(extraChecks.map((check, i) => [`service${i}`, check])),
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
      await relay.stop()
    },
  }
}

if (isEntryPoint(import.meta.url)) await runServiceMain('gateway', startGateway, { health: false })
