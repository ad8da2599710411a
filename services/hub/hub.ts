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
import { ensureReportingArtefacts } from '../validation/artefacts.js'
import { startStatus } from '../status/main.js'
import { upsertPrincipal } from '../gateway/api-keys.js'
import { seedOperator } from '../gateway/portal/people.js'

/** Sellers (BT-30 SIRET) of the README's example invoice and of test/fixtures: ubl-invoice.xml and cii-invoice.xml. */
export const DEMO_SELLERS = ['0009:73282932000074', '0009:35600000000048']

/** The portal's first operator, and their one-use setup link's token while they have not signed in yet. */
export type PortalSeed = { email: string; setupToken: string | null }

export type Hub = {
  url: string
  portal: PortalSeed
  stop(): Promise<void>
  /** The services whose stop has not finished (for the log when a shutdown deadline passes). */
  stillStopping(): string[]
}

// In path order; the gateway comes last so it only accepts documents once every consumer is up.
const consumers: [string, (deps: Deps) => Promise<Running>][] = [
  ['status', startStatus], ['ingest', startIngest], ['validation', startValidation], ['routing', startRouting],
  // With OpenPeppol's rules for the monthly reports it checks before sending them (when Peppol is on).
  ['forwarder', (deps) => startForwarder(deps, { reportRules: () => ensureReportingArtefacts() })],
]

/**
 * What must happen once before any service starts: the database, its migrations and the topics, then the demo
 * and admin keys with the demo partner's sellers. Also run by the processes mode (supervisor.ts) before its children.
 */
export async function seedHub(options: { config: Config; log: Logger; keys: { demo: string; admin: string } }): Promise<PortalSeed> {
  const { config, log } = options
  await ensureDatabase(config.databaseUrl)
  const first = await prepare(config, log, 'hub')
  // The demo partner sends for the sellers of the README's example and of test/fixtures (an explicit binding:
  // a partner bound to nothing may send for no seller). A seeded key that was revoked or has expired since
  // is not revived (gateway/api-keys.ts): the operator is told to replace it.
  const seeded = [
    await upsertPrincipal(first.db, 'demo', 'partner', options.keys.demo, { sellers: DEMO_SELLERS }),
    await upsertPrincipal(first.db, 'admin', 'admin', options.keys.admin),
  ]
  for (const s of seeded.filter((x) => x.key === 'revoked' || x.key === 'expired')) {
    log.warn({ principal: s.principal.name }, `the ${s.principal.name} key given to the hub (${s.principal.name === 'admin' ? 'FACTEUR_ADMIN_API_KEY' : 'FACTEUR_DEMO_API_KEY'} or keys.json) was ${s.key === 'revoked' ? 'revoked' : 'replaced by a rotation'} and stays invalid; set a new key there (or delete it from keys.json to generate one)`)
  }
  // The portal's first operator (a setup link to print while they have no password and second factor yet).
  const operator = await seedOperator(first.db, config.portalAdminEmail)
  await first.close()
  return operator
}

export async function startHub(options: { config: Config; log: Logger; keys: { demo: string; admin: string } }): Promise<Hub> {
  const { config, log } = options
  const portal = await seedHub(options)

  const started: { running: Running; close: () => Promise<void> }[] = []
  const pending = new Set<string>()
  const stopOne = async (s: (typeof started)[number]) => {
    pending.add(s.running.name)
    await s.running.stop().catch((err) => log.error({ err, service: s.running.name }, 'stop failed'))
    await s.close().catch(() => {})
    pending.delete(s.running.name)
  }
  const stop = async () => {
    // The gateway first (no new documents), then every consumer at once, each finishing its in-flight message
    // and committing. At once rather than in path order: during an outage one consumer can be stuck retrying,
    // and it must not keep the others from committing before the shutdown deadline (what a later stage did
    // not get to is redelivered at the next start).
    const all = [...started].reverse()
    for (const s of all) pending.add(s.running.name)
    const gateway = all.find((s) => s.running.name === 'gateway')
    if (gateway) await stopOne(gateway)
    await Promise.all(all.filter((s) => s !== gateway).map(stopOne))
    started.length = 0
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
    return { url: gateway.url, portal, stop, stillStopping: () => [...pending] }
  } catch (error) {
    await stop()
    throw error
  }
}
