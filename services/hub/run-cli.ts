// `npx facteur run <service>`: one service in this process, as `services/<service>/main.ts` runs when started
// directly (kit/service-main.ts): settings from the environment, migrations and topics, /healthz and /readyz,
// a graceful stop on SIGTERM or Ctrl-C. Start as many as you like, on one machine or several: the instances of a
// consumer service share its consumer group `<prefix>.<service>`, and Kafka shares the partitions among them.
// `npm start -- --processes` (supervisor.ts) starts its children with this command.
import { runServiceMain, type ServiceStart } from '../kit/service-main.js'

/** The services that consume from Kafka (any number of instances each), in path order. */
export const consumerServices = ['ingest', 'validation', 'routing', 'forwarder', 'status'] as const
export const serviceNames = ['gateway', ...consumerServices] as const
export type ServiceName = (typeof serviceNames)[number]

// Imported on demand, so that a process loads only the code of the service it runs.
const entries: Record<ServiceName, () => Promise<{ start: ServiceStart; health?: boolean }>> = {
  // The gateway answers /healthz and /readyz on its own HTTP port.
  gateway: async () => ({ start: (await import('../gateway/main.js')).startGateway, health: false }),
  ingest: async () => ({ start: (await import('../ingest/main.js')).startIngest }),
  validation: async () => ({ start: (await import('../validation/main.js')).startValidation }),
  routing: async () => ({ start: (await import('../routing/main.js')).startRouting }),
  // With OpenPeppol's rules for the monthly reports it checks before sending them (when Peppol is on).
  forwarder: async () => {
    const [{ startForwarder }, { ensureReportingArtefacts }] = await Promise.all([import('../forwarder/main.js'), import('../validation/artefacts.js')])
    return { start: (deps) => startForwarder(deps, { reportRules: () => ensureReportingArtefacts() }) }
  },
  status: async () => ({ start: (await import('../status/main.js')).startStatus }),
}

const usage = `usage: facteur run <service>

Runs one service of the hub in this process until SIGTERM or Ctrl-C. The services: ${serviceNames.join(', ')}.
Settings come from the environment (README, "Configuration"): FACTEUR_KAFKA_BROKERS,
FACTEUR_SCHEMA_REGISTRY_URL and DATABASE_URL name the servers. Instances of a consumer service share its
consumer group; run one gateway per FACTEUR_HTTP_PORT.`

export const isServiceName = (name: string): name is ServiceName => (serviceNames as readonly string[]).includes(name)

export async function main(argv: string[]): Promise<number> {
  const [name, ...extra] = argv
  if (name === '-h' || name === '--help') { process.stdout.write(`${usage}\n`); return 0 }
  if (!name || extra.length > 0 || !isServiceName(name)) {
    process.stderr.write(`${name && !isServiceName(name) ? `facteur run: unknown service ${name}\n\n` : ''}${usage}\n`)
    return 2
  }
  const { start, health } = await entries[name]()
  await runServiceMain(name, start, { health })
  return 0
}
