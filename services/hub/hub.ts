// The six services in one process, each with its own connections, talking only over Kafka.
// `npm start` uses this on provisioned infrastructure; the integration tests use it on theirs.
import type { Config } from '../kit/config.js'
import type { Logger } from '../kit/log.js'
import { ensureDatabase } from '../kit/db.js'
import { prepare } from '../kit/service-main.js'
import type { Running } from '../kit/run-service.js'
import type { Deps } from '../kit/deps.js'
import { startGateway } from '../gateway/main.js'
import { startIngest } from '../ingest/main.js'
import { startValidation } from '../validation/main.js'
import { startRouting } from '../routing/main.js'
import { startForwarder } from '../forwarder/main.js'
import { startStatus } from '../status/main.js'
import { upsertPrincipal } from '../gateway/api-keys.js'

export type Hub = { url: string; stop(): Promise<void> }

// In path order; the gateway comes last so it only accepts documents once every consumer is up.
const consumers: [string, (deps: Deps) => Promise<Running>][] = [
  ['status', startStatus], ['ingest', startIngest], ['validation', startValidation], ['routing', startRouting], ['forwarder', startForwarder],
]

export async function startHub(options: { config: Config; log: Logger; keys: { demo: string; admin: string } }): Promise<Hub> {
  const { config, log } = options
  await ensureDatabase(config.databaseUrl)
  const first = await prepare(config, log, 'hub')
  await upsertPrincipal(first.db, 'demo', 'partner', options.keys.demo)
  await upsertPrincipal(first.db, 'admin', 'admin', options.keys.admin)
  await first.close()

  const started: { running: Running; close: () => Promise<void> }[] = []
  const stop = async () => {
    // Gateway first (no new documents), then the consumers in path order, each finishing its in-flight work.
    for (const s of [...started].reverse()) {
      await s.running.stop().catch((err) => log.error({ err, service: s.running.name }, 'stop failed'))
      await s.close().catch(() => {})
    }
  }
  try {
    const runs = await Promise.all(consumers.map(async ([name, start]) => {
      const deps = await prepare(config, log, name)
      try { return { running: await start(deps), close: deps.close } } catch (error) { await deps.close(); throw error }
    }))
    started.push(...runs)
    const deps = await prepare(config, log, 'gateway')
    const gateway = await startGateway(deps, runs.map((r) => r.running.ready))
    started.push({ running: gateway, close: deps.close })
    return { url: gateway.url, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
