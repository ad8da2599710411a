// `npm start`: provision what is missing (Kafka and the schema registry from Maven Central, PostgreSQL local
// or embedded), then run the six services and print how to use the hub. Ctrl-C stops everything it started.
// The services run in this process (hub.ts), or each in a child process with `--processes` (supervisor.ts),
// N of each consumer service with `--replicas N` (args.ts).
import { join, resolve } from 'node:path'
import { rmSync, writeFileSync } from 'node:fs'
import { loadConfig } from '../kit/config.js'
import { createLogger } from '../kit/log.js'
import { startInfra } from './local/infra.js'
import { startHub } from './hub.js'
import { resolveKeys } from './keys.js'
import { hubUsage, parseHubArgs } from './args.js'
import { startProcesses } from './supervisor.js'

const args = parseHubArgs(process.argv.slice(2))
if ('help' in args) { process.stdout.write(`${hubUsage}\n`); process.exit(0) }
if ('error' in args) { process.stderr.write(`facteur: ${args.error}\n\n${hubUsage}\n`); process.exit(2) }
const started = Date.now()
const base = loadConfig(process.env)
const log = createLogger(base.logLevel, { service: 'hub' })
const runDir = resolve(base.runDir)
const say = (line: string) => process.stderr.write(`${line}\n`)

say(`facteur: provisioning infrastructure (run data in ${runDir}) …`)
const infra = await startInfra({ runDir, purpose: 'start', log: (msg) => say(`  ${msg}`) })
let stopping = false
const shutdown = async (code: number) => {
  if (stopping) return
  stopping = true
  say(`facteur: stopping (at most ${base.shutdownTimeoutMs / 1000} s) …`)
  // The deadline holds even when PostgreSQL or Kafka is down and a service cannot finish or commit: what is
  // left is named in the log, and the exit handler kills the servers (processes.ts). Messages not committed
  // are redelivered at the next start (at-least-once; the inboxes make the redelivery change nothing).
  // Service processes are killed at the deadline by the supervisor itself; the servers get a few seconds more.
  setTimeout(() => {
    log.error({ pending: hub?.stillStopping() ?? [], timeoutMs: base.shutdownTimeoutMs },
      'shutdown deadline passed; exiting with these services still stopping (their uncommitted messages are redelivered at the next start)')
    say(`facteur: stopped at the ${base.shutdownTimeoutMs / 1000} s deadline; still stopping: ${hub?.stillStopping().join(', ') || 'the servers'}`)
    process.exit(code || 1)
  }, base.shutdownTimeoutMs + (args.processes ? 5_000 : 0)).unref()
  rmSync(join(runDir, 'endpoints.json'), { force: true })
  await hub?.stop().catch(() => {})
  await infra.stop().catch(() => {})
  say('facteur: stopped')
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))

const config = loadConfig({
  ...process.env,
  FACTEUR_KAFKA_BROKERS: infra.kafkaBrokers,
  FACTEUR_SCHEMA_REGISTRY_URL: infra.registryUrl,
  DATABASE_URL: infra.databaseUrl,
})
const keys = await resolveKeys(runDir, { demo: config.demoApiKey, admin: config.adminApiKey })
let hub: Awaited<ReturnType<typeof startHub>> | undefined
try {
  hub = args.processes
    ? await startProcesses({ config, log, keys, replicas: args.replicas, env: {
      ...process.env, FACTEUR_KAFKA_BROKERS: infra.kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: infra.registryUrl, DATABASE_URL: infra.databaseUrl,
    } })
    : await startHub({ config, log, keys })
} catch (error) {
  log.fatal({ err: error }, 'the hub could not start')
  await shutdown(1)
}

// `npx facteur audit …` run beside `npm start` finds the servers here (removed again at shutdown).
writeFileSync(join(runDir, 'endpoints.json'), JSON.stringify({ kafkaBrokers: infra.kafkaBrokers, registryUrl: infra.registryUrl, databaseUrl: infra.databaseUrl, gateway: hub!.url }, null, 2))

say(`
Facteur is running (${((Date.now() - started) / 1000).toFixed(1)} s; infrastructure: ${infra.mode}${args.processes ? `; a process per service, ${args.replicas} of each consumer service` : ''}).

  Gateway          ${hub!.url}
  Demo partner key ${keys.demo}
  Admin key        ${keys.admin}
  Portal           ${hub!.url}/portal   (operator: ${hub!.portal.email})${hub!.portal.setupToken ? `
  First sign-in    ${hub!.url}/portal/setup/${hub!.portal.setupToken}
                   (one use, 24 h: choose the operator's password, then enrol a second factor with an authenticator app)` : ''}
  Kafka            ${infra.kafkaBrokers}   (topics ${config.topicPrefix}.document.*)
  Schema registry  ${infra.registryUrl}
  PostgreSQL       ${infra.databaseUrl.replace(/\/\/[^@]*@/, '//')}

Try it:
  curl -X PUT ${hub!.url}/v1/directory/participants/0009:21750001600019 \\
       -H 'Authorization: Bearer ${keys.admin}' -H 'Content-Type: application/json' \\
       -d '{"name": "Mairie de Demo", "endpoint": "file://${config.dropRoot}/mairie-de-demo"}'
  sed "s/FCT-2026-0001/FCT-\$(date +%s)/" test/fixtures/ubl-invoice.xml |   # a new invoice number each time
  curl -i -X POST ${hub!.url}/v1/documents -H 'Authorization: Bearer ${keys.demo}' \\
       -H 'Content-Type: application/xml' --data-binary @-
  curl ${hub!.url}/v1/documents/<id> -H 'Authorization: Bearer ${keys.demo}'

Logs are JSON lines on stdout (pipe through \`npx pino-pretty\` to read them). Ctrl-C stops everything.
`)
