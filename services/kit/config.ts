// The settings table: every FACTEUR_* variable (plus DATABASE_URL) with its default, its doc line and its parser.
// README.md lists exactly these keys (checked by config.test.ts). loadConfig takes the environment as a
// parameter, so tests pass a plain object and there is no NODE_ENV branch anywhere.
import { FacteurError } from './errors.js'

type Setting<T> = { env: string; default: string | null; doc: string; parse: (raw: string, env: string) => T }

const text = (raw: string) => raw
const optionalText = (raw: string) => (raw === '' ? null : raw)
const int = (min: number, max: number) => (raw: string, env: string) => {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FacteurError('CONFIG_INVALID', `${env}=${JSON.stringify(raw)}: expected an integer between ${min} and ${max}`)
  }
  return n
}
const oneOf = <T extends string>(...values: T[]) => (raw: string, env: string): T => {
  if (!(values as string[]).includes(raw)) {
    throw new FacteurError('CONFIG_INVALID', `${env}=${JSON.stringify(raw)}: expected one of ${values.join(', ')}`)
  }
  return raw as T
}
const url = (...protocols: string[]) => (raw: string, env: string) => {
  let parsed: URL
  try { parsed = new URL(raw) } catch (cause) {
    throw new FacteurError('CONFIG_INVALID', `${env}=${JSON.stringify(raw)}: not a URL`, { cause })
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new FacteurError('CONFIG_INVALID', `${env}=${JSON.stringify(raw)}: expected a ${protocols.join(' or ')} URL`)
  }
  return raw.replace(/\/+$/, '')
}
const brokers = (raw: string, env: string) => {
  const list = raw.split(',').map((b) => b.trim()).filter(Boolean)
  if (list.length === 0 || list.some((b) => !/^[^:\s]+:\d+$/.test(b))) {
    throw new FacteurError('CONFIG_INVALID', `${env}=${JSON.stringify(raw)}: expected host:port[,host:port…]`)
  }
  return list
}

export const settings = {
  kafkaBrokers: { env: 'FACTEUR_KAFKA_BROKERS', default: '127.0.0.1:9092', doc: 'Kafka bootstrap servers, comma-separated. `npm start` provisions a local broker and sets it.', parse: brokers },
  schemaRegistryUrl: { env: 'FACTEUR_SCHEMA_REGISTRY_URL', default: 'http://127.0.0.1:8081/apis/ccompat/v7', doc: 'Confluent-compatible schema registry base URL (Apicurio: `…/apis/ccompat/v7`).', parse: url('http:', 'https:') },
  databaseUrl: { env: 'DATABASE_URL', default: 'postgres://postgres@127.0.0.1:5432/facteur', doc: 'PostgreSQL connection string. Unset under `npm start`: the local server on 127.0.0.1:5432 if it answers, else an embedded one.', parse: url('postgres:', 'postgresql:') },
  topicPrefix: { env: 'FACTEUR_TOPIC_PREFIX', default: 'facteur', doc: 'Prefix of every topic name (`<prefix>.document.received`, …) and consumer group.', parse: (raw: string, env: string) => {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(raw)) throw new FacteurError('CONFIG_INVALID', `${env}=${JSON.stringify(raw)}: letters, digits, '.', '_' and '-' only`)
    return raw
  } },
  topicPartitions: { env: 'FACTEUR_TOPIC_PARTITIONS', default: '3', doc: 'Partitions of each topic created at start-up (documents are keyed by id, so order holds per document).', parse: int(1, 1000) },
  httpHost: { env: 'FACTEUR_HTTP_HOST', default: '127.0.0.1', doc: 'Address the gateway listens on.', parse: text },
  httpPort: { env: 'FACTEUR_HTTP_PORT', default: '8080', doc: 'Port the gateway listens on (0 picks a free one).', parse: int(0, 65535) },
  healthPort: { env: 'FACTEUR_HEALTH_PORT', default: '0', doc: 'Port of `/healthz` and `/readyz` for a consumer service run alone (0: a free port, printed at start). The gateway serves them on its own port.', parse: int(0, 65535) },
  maxDocumentBytes: { env: 'FACTEUR_MAX_DOCUMENT_BYTES', default: String(10 * 1024 * 1024), doc: 'Largest document accepted, in bytes; larger bodies get 413.', parse: int(1024, 512 * 1024 * 1024) },
  maxXmlDepth: { env: 'FACTEUR_MAX_XML_DEPTH', default: '64', doc: 'Deepest element nesting accepted in a document (UBL and CII invoices stay under 20).', parse: int(8, 10_000) },
  validationWorkers: { env: 'FACTEUR_VALIDATION_WORKERS', default: '0', doc: 'Worker threads of the validation pool (each holds every compiled rule pack, about 110 MB); 0: one per core.', parse: int(0, 256) },
  validationEngine: { env: 'FACTEUR_VALIDATION_ENGINE', default: 'native', doc: 'Rule engine: `native` runs the official rules compiled to JavaScript (about 10x faster; verified against SaxonJS for every pack), SaxonJS for a pack it has not been verified on; `saxonjs` runs the official XSLT (the reference).', parse: oneOf('native', 'saxonjs') },
  hubName: { env: 'FACTEUR_HUB_NAME', default: 'Facteur', doc: 'The hub\'s name as issuer of the Message Level Responses it sends back to senders.', parse: text },
  hubAddress: { env: 'FACTEUR_HUB_ADDRESS', default: '0009:00000000000000', doc: 'The hub\'s own electronic address `scheme:value` (issuer of its Message Level Responses); set it to your access point\'s identifier.', parse: text },
  consumerAttempts: { env: 'FACTEUR_CONSUMER_ATTEMPTS', default: '3', doc: 'Attempts at processing one message before it goes to `<topic>.dlq`.', parse: int(1, 100) },
  deliveryAttempts: { env: 'FACTEUR_DELIVERY_ATTEMPTS', default: '5', doc: 'Attempts at delivering a document to its endpoint before it is given up (status ECHEC_DISTRIBUTION).', parse: int(1, 100) },
  deliveryBackoffMs: { env: 'FACTEUR_DELIVERY_BACKOFF_MS', default: '500', doc: 'First delay between delivery attempts; doubles each time, with jitter, capped at 30 s.', parse: int(0, 600_000) },
  deliveryTimeoutMs: { env: 'FACTEUR_DELIVERY_TIMEOUT_MS', default: '15000', doc: 'Time allowed for one HTTP delivery attempt.', parse: int(100, 600_000) },
  outboxPollMs: { env: 'FACTEUR_OUTBOX_POLL_MS', default: '200', doc: 'How often the gateway relays committed outbox rows to Kafka (also woken at once by LISTEN/NOTIFY).', parse: int(10, 60_000) },
  demoApiKey: { env: 'FACTEUR_DEMO_API_KEY', default: '', doc: 'API key of the demo partner seeded by `npm start`; generated, kept in `.facteur/keys.json` and printed when unset.', parse: optionalText },
  adminApiKey: { env: 'FACTEUR_ADMIN_API_KEY', default: '', doc: 'Admin API key seeded by `npm start`; generated, kept and printed like the demo key when unset.', parse: optionalText },
  runDir: { env: 'FACTEUR_RUN_DIR', default: '.facteur', doc: 'Run-time data of `npm start` (Kafka logs, pids, ports, keys), relative to the checkout.', parse: text },
  logLevel: { env: 'FACTEUR_LOG_LEVEL', default: 'info', doc: 'pino level: fatal, error, warn, info, debug, trace or silent.', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') },
} satisfies Record<string, Setting<unknown>>

type Settings = typeof settings
export type Config = Readonly<{ [K in keyof Settings]: ReturnType<Settings[K]['parse']> }>

/** Reads every setting from `env` (defaults for the unset ones); throws CONFIG_INVALID naming the variable to fix. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const out: Record<string, unknown> = {}
  for (const [key, s] of Object.entries(settings) as [string, Setting<unknown>][]) {
    const raw = env[s.env] ?? s.default
    out[key] = raw === null ? null : s.parse(raw, s.env)
  }
  return Object.freeze(out) as Config
}
