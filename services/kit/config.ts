// The settings table: every FACTEUR_* variable (plus DATABASE_URL) with its default, its doc line and its parser.
// README.md lists exactly these keys (checked by config.test.ts). loadConfig takes the environment as a
// parameter, so tests pass a plain object and there is no NODE_ENV branch anywhere.
import { FacteurError } from './errors.js'
import { redactUrl } from './endpoint-policy.js'
import { isAbsolute, resolve } from 'node:path'

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
// URLs may carry credentials (DATABASE_URL's password): an error names the variable and shows the URL with its
// user and password masked, and never chains the parser's error (whose message would echo the input).
const url = (...protocols: string[]) => (raw: string, env: string) => {
  const shown = JSON.stringify(redactUrl(raw))
  let parsed: URL
  try { parsed = new URL(raw) } catch {
    throw new FacteurError('CONFIG_INVALID', `${env}=${shown}: not a URL`)
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new FacteurError('CONFIG_INVALID', `${env}=${shown}: expected a ${protocols.join(' or ')} URL`)
  }
  return raw.replace(/\/+$/, '')
}
const emailSetting = (raw: string, env: string) => {
  const email = raw.trim().toLowerCase()
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new FacteurError('CONFIG_INVALID', `${env}=${JSON.stringify(raw)}: expected an email address`)
  return email
}
const hostList = (raw: string) => raw.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)
const absolutePath = (raw: string, env: string) => {
  if (!isAbsolute(raw)) throw new FacteurError('CONFIG_INVALID', `${env}=${JSON.stringify(raw)}: expected an absolute folder path`)
  return resolve(raw)
}
const folder = (raw: string, env: string) => {
  if (raw.trim() === '') throw new FacteurError('CONFIG_INVALID', `${env}="": expected a folder path`)
  return raw
}
const brokers = (raw: string, env: string) => {
  const list = raw.split(',').map((b) => b.trim()).filter(Boolean)
  if (list.length === 0 || list.some((b) => !/^[^:\s]+:\d+$/.test(b))) {
    throw new FacteurError('CONFIG_INVALID', `${env}=${JSON.stringify(raw)}: expected host:port[,host:port…]`)
  }
  return list
}

const optionalCountry = (raw: string, env: string) => {
  if (raw === '') return null
  if (!/^[A-Z]{2}$/.test(raw)) throw new FacteurError('CONFIG_INVALID', `${env} must be an ISO 3166-1 alpha-2 country code such as FR, got '${raw}'`)
  return raw
}
// Peppol: a seat id is P, two capital letters and six digits (the layout OpenPeppol's reporting rules check).
const optionalSeatId = (raw: string, env: string) => {
  if (raw === '') return null
  if (!/^P[A-Z]{2}[0-9]{6}$/.test(raw)) throw new FacteurError('CONFIG_INVALID', `${env}=${JSON.stringify(raw)}: a Peppol seat id is P, two capital letters and six digits (e.g. POP000001)`)
  return raw
}
const dnsZone = (raw: string, env: string) => {
  const zone = raw.trim().toLowerCase().replace(/\.$/, '')
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/.test(zone)) {
    throw new FacteurError('CONFIG_INVALID', `${env}=${JSON.stringify(raw)}: expected a DNS zone such as acc.edelivery.tech.ec.europa.eu`)
  }
  return zone
}
const optionalUrl = (...protocols: string[]) => {
  const parse = url(...protocols)
  return (raw: string, env: string) => (raw === '' ? null : parse(raw, env))
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
  healthPort: { env: 'FACTEUR_HEALTH_PORT', default: '0', doc: 'Port of `/healthz`, `/readyz` and `/metrics` for a consumer service run alone (0: a free port, printed at start). The gateway serves them on its own port.', parse: int(0, 65535) },
  maxDocumentBytes: { env: 'FACTEUR_MAX_DOCUMENT_BYTES', default: String(10 * 1024 * 1024), doc: 'Largest document accepted, in bytes; larger bodies get 413.', parse: int(1024, 512 * 1024 * 1024) },
  maxXmlDepth: { env: 'FACTEUR_MAX_XML_DEPTH', default: '64', doc: 'Deepest element nesting accepted in a document (UBL and CII invoices stay under 20).', parse: int(8, 10_000) },
  validationWorkers: { env: 'FACTEUR_VALIDATION_WORKERS', default: '0', doc: 'Worker threads of the validation pool (each holds every compiled rule pack, about 110 MB); 0: one per core.', parse: int(0, 256) },
  validationEngine: { env: 'FACTEUR_VALIDATION_ENGINE', default: 'native', doc: 'Rule engine: `native` runs the official rules compiled to JavaScript (about 10x faster; verified against SaxonJS for every pack), SaxonJS for a pack it has not been verified on; `saxonjs` runs the official XSLT (the reference), but for the packs SaxonJS cannot run (EXTENDED-CTC-FR), which the native engine runs, verified against Saxon-HE for Java.', parse: oneOf('native', 'saxonjs') },
  validationTimeoutMs: { env: 'FACTEUR_VALIDATION_TIMEOUT_MS', default: '60000', doc: 'Time one validation worker may spend on a batch or a document before it is stopped and replaced; a document that runs out of time alone is REJETEE (FACTEUR-VALIDATION-TIMEOUT). A 10 MB invoice takes about 20 s on one core with `native`; SaxonJS is much slower on large documents.', parse: int(100, 3_600_000) },
  validationWorkerMemoryMb: { env: 'FACTEUR_VALIDATION_WORKER_MEMORY_MB', default: '2048', doc: 'JavaScript heap limit of each validation worker, in MB; a document that needs more kills only its worker and is REJETEE (FACTEUR-VALIDATION-RESOURCES). A worker holds about 70 MB after loading the packs; a 10 MB invoice needs about 500 MB.', parse: int(64, 65_536) },
  packsDir: { env: 'FACTEUR_PACKS_DIR', default: '.facteur/packs', doc: 'Folder of the rule packs the operator supplies because no registry carries them (OpenPeppol\'s `PEPPOL-EN16931-CII.sch`: `npx facteur packs list`); a file is recognised by its sha256, whatever its name. Relative to the checkout; `npx facteur packs add FILE` checks a file and copies it there.', parse: folder },
  missingPackSeverity: { env: 'FACTEUR_MISSING_PACK_SEVERITY', default: 'fatal', doc: 'What a document gets when a rule pack it calls for must be supplied by the operator and is not (`FACTEUR-PACK-MISSING`, naming the file and how to supply it): `fatal`, not valid (REJETEE); `warning`, accepted without those rules.', parse: oneOf('fatal', 'warning') },
  hubName: { env: 'FACTEUR_HUB_NAME', default: 'Facteur', doc: 'The hub\'s name as issuer of the Message Level Responses it sends back to senders.', parse: text },
  hubAddress: { env: 'FACTEUR_HUB_ADDRESS', default: '0009:00000000000000', doc: 'The hub\'s own electronic address `scheme:value` (issuer of its Message Level Responses); set it to your access point\'s identifier.', parse: text },
  consumerAttempts: { env: 'FACTEUR_CONSUMER_ATTEMPTS', default: '3', doc: 'Attempts at processing one message before it goes to `<topic>.dlq`.', parse: int(1, 100) },
  consumerBatch: { env: 'FACTEUR_CONSUMER_BATCH', default: '100', doc: 'Messages of one partition a consumer handles as one run: one inbox query, one produce and one commit per run, the run\'s documents handled side by side (the validation pool gets them as batches).', parse: int(1, 10_000) },
  deliveryAttempts: { env: 'FACTEUR_DELIVERY_ATTEMPTS', default: '5', doc: 'Attempts at delivering a document to its endpoint before it is given up (status ECHEC_DISTRIBUTION).', parse: int(1, 100) },
  deliveryBackoffMs: { env: 'FACTEUR_DELIVERY_BACKOFF_MS', default: '500', doc: 'First delay between delivery attempts; doubles each time, with jitter, capped at 30 s.', parse: int(0, 600_000) },
  deliveryTimeoutMs: { env: 'FACTEUR_DELIVERY_TIMEOUT_MS', default: '15000', doc: 'Time allowed for one HTTP delivery attempt.', parse: int(100, 600_000) },
  deliveryConcurrency: { env: 'FACTEUR_DELIVERY_CONCURRENCY', default: '64', doc: 'Delivery attempts one forwarder runs at once, all endpoints together.', parse: int(1, 1000) },
  deliveryPerEndpoint: { env: 'FACTEUR_DELIVERY_PER_ENDPOINT', default: '16', doc: 'Delivery attempts in flight to one endpoint at once, over every forwarder sharing the database: a slow or dead recipient holds only these slots.', parse: int(1, 100) },
  deliveryLeaseMs: { env: 'FACTEUR_DELIVERY_LEASE_MS', default: '60000', doc: 'How long a forwarder holds a delivery job during one attempt; a forwarder that dies mid-attempt leaves the job to another once it expires. Must exceed `FACTEUR_DELIVERY_TIMEOUT_MS`.', parse: int(1_000, 3_600_000) },
  deliveryPollMs: { env: 'FACTEUR_DELIVERY_POLL_MS', default: '500', doc: 'How often the forwarder looks for due delivery jobs (also woken at once by LISTEN/NOTIFY when a job is added or re-armed).', parse: int(10, 60_000) },
  outboxPollMs: { env: 'FACTEUR_OUTBOX_POLL_MS', default: '200', doc: 'How often the gateway relays committed outbox rows to Kafka (also woken at once by LISTEN/NOTIFY).', parse: int(10, 60_000) },
  outboxReadyMaxAgeMs: { env: 'FACTEUR_OUTBOX_READY_MAX_AGE_MS', default: '60000', doc: 'Age of the oldest unpublished outbox row above which `/readyz` answers 503 (Kafka unreachable or the relay falling behind); the backlog is also in `/metrics`.', parse: int(1_000, 86_400_000) },
  shutdownTimeoutMs: { env: 'FACTEUR_SHUTDOWN_TIMEOUT_MS', default: '20000', doc: 'Deadline of a graceful stop (SIGTERM, Ctrl-C): what is not finished by then is logged as pending and the process exits; uncommitted messages are redelivered at the next start.', parse: int(1_000, 600_000) },
  retentionDays: { env: 'FACTEUR_RETENTION_DAYS', default: '30', doc: 'Days the inbox (`processed_events`), published outbox rows, delivered jobs and replayed dead letters are kept before housekeeping deletes them; keep it longer than the topics\' retention (Kafka\'s default: 7 days), since an inbox row must outlive any redelivery of its event.', parse: int(1, 36_500) },
  housekeepingIntervalMs: { env: 'FACTEUR_HOUSEKEEPING_INTERVAL_MS', default: '3600000', doc: 'How often the gateway deletes inbox, outbox, delivered-job and replayed dead-letter rows older than `FACTEUR_RETENTION_DAYS` (in small batches; several gateways may run it at once).', parse: int(1_000, 86_400_000) },
  keyRotationGraceSeconds: { env: 'FACTEUR_KEY_ROTATION_GRACE_SECONDS', default: '86400', doc: 'How long a rotated API key keeps working beside its replacement, in seconds (0: it stops at once); a revoked key stops at once.', parse: int(0, 90 * 86_400) },
  rateLimitPerSecond: { env: 'FACTEUR_RATE_LIMIT_PER_SECOND', default: '20', doc: 'Requests per second each API key may make on average (token bucket, per gateway process: N gateways allow N times this); over it: 429 with `Retry-After`.', parse: int(1, 1_000_000) },
  rateLimitBurst: { env: 'FACTEUR_RATE_LIMIT_BURST', default: '100', doc: 'Requests an API key may make at once before `FACTEUR_RATE_LIMIT_PER_SECOND` applies (the bucket size).', parse: int(1, 1_000_000) },
  largeUploadBytes: { env: 'FACTEUR_LARGE_UPLOAD_BYTES', default: String(1024 * 1024), doc: 'A deposit above this size (or without `Content-Length`) counts as a large upload, limited by `FACTEUR_MAX_LARGE_UPLOADS`.', parse: int(1024, 512 * 1024 * 1024) },
  maxLargeUploads: { env: 'FACTEUR_MAX_LARGE_UPLOADS', default: '4', doc: 'Large uploads a gateway process reads at once; one more gets 503 with `Retry-After` before its body is read.', parse: int(1, 10_000) },
  deliveryAllowedHosts: { env: 'FACTEUR_DELIVERY_ALLOWED_HOSTS', default: '', doc: 'Hosts (names or IP literals, comma-separated, matched exactly) that HTTP endpoints may name although they resolve to loopback, private, link-local, CGNAT or multicast addresses, which are refused otherwise.', parse: hostList },
  dropRoot: { env: 'FACTEUR_DROP_ROOT', default: '/tmp/facteur-inbox', doc: 'The folder under which `file://` endpoints must lie (checked at registration and, with symbolic links resolved, at each delivery).', parse: absolutePath },
  demoApiKey: { env: 'FACTEUR_DEMO_API_KEY', default: '', doc: 'API key of the demo partner seeded by `npm start`; generated, kept in `.facteur/keys.json` and printed when unset.', parse: optionalText },
  adminApiKey: { env: 'FACTEUR_ADMIN_API_KEY', default: '', doc: 'Admin API key seeded by `npm start`; generated, kept and printed like the demo key when unset.', parse: optionalText },
  runDir: { env: 'FACTEUR_RUN_DIR', default: '.facteur', doc: 'Run-time data of `npm start` (Kafka logs, pids, ports, keys), relative to the checkout.', parse: text },
  logLevel: { env: 'FACTEUR_LOG_LEVEL', default: 'info', doc: 'pino level: fatal, error, warn, info, debug, trace or silent.', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') },
  peppolSeatId: { env: 'FACTEUR_PEPPOL_SEAT_ID', default: '', doc: 'Seat id of the hub as a Peppol access point (`POP000001`: P, two letters, six digits), the CN of its AP certificate; empty: Peppol off. With it, the gateway receives at `POST /as4` and the forwarder sends to `peppol:` endpoints (see "Peppol").', parse: optionalSeatId },
  peppolKeystore: { env: 'FACTEUR_PEPPOL_KEYSTORE', default: '', doc: 'PKCS#12 file (.p12) with the hub\'s AP private key, its certificate and chain; or use `FACTEUR_PEPPOL_CERT` and `FACTEUR_PEPPOL_KEY`.', parse: optionalText },
  peppolKeystorePassword: { env: 'FACTEUR_PEPPOL_KEYSTORE_PASSWORD', default: '', doc: 'Password of `FACTEUR_PEPPOL_KEYSTORE` (`npx facteur pki dev` writes it to `<seat>.p12.password`, mode 0600).', parse: optionalText },
  peppolCert: { env: 'FACTEUR_PEPPOL_CERT', default: '', doc: 'PEM file of the hub\'s AP certificate, optionally followed by its chain (instead of a keystore).', parse: optionalText },
  peppolKey: { env: 'FACTEUR_PEPPOL_KEY', default: '', doc: 'PEM file of the hub\'s AP private key, unencrypted PKCS#8 or PKCS#1 (with `FACTEUR_PEPPOL_CERT`).', parse: optionalText },
  peppolApCa: { env: 'FACTEUR_PEPPOL_AP_CA', default: '', doc: 'PEM file of the AP CA certificate(s) trusted for other access points\' certificates (OpenPeppol\'s AP CA; `ap-ca.pem` of `npx facteur pki dev`). Required when Peppol is on.', parse: optionalText },
  peppolSmpCa: { env: 'FACTEUR_PEPPOL_SMP_CA', default: '', doc: 'PEM file of the SMP CA certificate(s) trusted for the signatures of SMP answers (OpenPeppol\'s SMP CA; `smp-ca.pem` of `npx facteur pki dev`). Required when Peppol is on.', parse: optionalText },
  peppolSmlZone: { env: 'FACTEUR_PEPPOL_SML_ZONE', default: 'participant.sml.test.tech.peppol.org', doc: 'DNS zone of the SML where receivers are looked up (BDXL); the default is the Peppol test network\'s (SMK), production is `participant.sml.prod.tech.peppol.org` (OpenPeppol took the SML over from the European Commission\'s `edelivery.tech.ec.europa.eu` zones in 2026).', parse: dnsZone },
  peppolAs4Url: { env: 'FACTEUR_PEPPOL_AS4_URL', default: '', doc: 'Public URL where other access points send AS4 messages to this hub (behind your TLS front end), published in the hub\'s SMP answers; empty: the hub publishes no SMP.', parse: optionalUrl('http:', 'https:') },
  peppolSmpKeystore: { env: 'FACTEUR_PEPPOL_SMP_KEYSTORE', default: '', doc: 'PKCS#12 file with the key and certificate (issued by an SMP CA) the hub signs its SMP answers with (`SMP000001.p12` of `npx facteur pki dev`); with `FACTEUR_PEPPOL_AS4_URL`, the gateway serves `/smp/…`.', parse: optionalText },
  peppolSmpKeystorePassword: { env: 'FACTEUR_PEPPOL_SMP_KEYSTORE_PASSWORD', default: '', doc: 'Password of `FACTEUR_PEPPOL_SMP_KEYSTORE`.', parse: optionalText },
  peppolCountry: { env: 'FACTEUR_PEPPOL_COUNTRY', default: '', doc: 'Country of the hub\'s operator as a Peppol service provider (ISO 3166-1 alpha-2, e.g. `FR`), COUNTRY_C1 of its monthly reports; empty: the `C` of its AP certificate\'s subject.', parse: optionalCountry },
  peppolReports: { env: 'FACTEUR_PEPPOL_REPORTS', default: 'send', doc: 'Peppol\'s monthly reports (Transaction Statistics and End User Statistics) of the month before, when the hub was on the network then: `send`, the forwarder builds them after the month ends, checks them with OpenPeppol\'s rules and sends them to OpenPeppol (`9925:be0848934496`) over AS4 until a receipt comes; `off`, it does not (`npx facteur peppol report` builds and sends them by hand).', parse: oneOf('send', 'off') },
  portalAdminEmail: { env: 'FACTEUR_PORTAL_ADMIN_EMAIL', default: 'operator@facteur.localhost', doc: 'Email (sign-in name) of the portal\'s first operator, seeded at every start; while they have not set a password and a second factor, the start prints a one-use setup link for them.', parse: emailSetting },
  portalUrl: { env: 'FACTEUR_PORTAL_URL', default: '', doc: 'The portal\'s public origin as browsers see it (`https://factures.example.org`), behind a TLS front end: the origin forms must come from (CSRF check), the WebAuthn relying party, and the host of the setup links managers hand over; empty: the origin of each request (right when browsers reach the gateway directly).', parse: optionalUrl('http:', 'https:') },
  portalSecureCookies: { env: 'FACTEUR_PORTAL_SECURE_COOKIES', default: 'true', doc: 'Whether the portal\'s session cookie is `Secure` (named `__Host-facteur-session`): keep `true` behind HTTPS and on 127.0.0.1/localhost (browsers send Secure cookies to loopback over HTTP); `false` only to reach a test hub by another name over plain HTTP.', parse: (raw: string, env: string) => oneOf('true', 'false')(raw, env) === 'true' },
  portalIdleMinutes: { env: 'FACTEUR_PORTAL_IDLE_MINUTES', default: '30', doc: 'Minutes without a request after which a portal session ends (NIST SP 800-63B AAL2: at most 30).', parse: int(1, 1440) },
  portalSessionHours: { env: 'FACTEUR_PORTAL_SESSION_HOURS', default: '12', doc: 'Hours after the password was given at which a portal session ends whatever its use (AAL2: at most 12 hours): the person signs in again, with both factors.', parse: int(1, 720) },
  portalSignInAttempts: { env: 'FACTEUR_PORTAL_SIGN_IN_ATTEMPTS', default: '5', doc: 'Failed sign-in steps (password or second factor) one account may have in 15 minutes before further tries are refused until the oldest leaves the window; a success starts the count again.', parse: int(1, 100) },
  portalSignInAttemptsPerAddress: { env: 'FACTEUR_PORTAL_SIGN_IN_ATTEMPTS_PER_ADDRESS', default: '50', doc: 'Failed sign-in steps from one client address in 15 minutes, all accounts together, before that address is refused until the oldest leaves the window.', parse: int(1, 100_000) },
  peppolSmpUrl: { env: 'FACTEUR_PEPPOL_SMP_URL', default: '', doc: 'Base URL of one SMP asked for every receiver, bypassing the SML/BDXL lookup: for local tests only.', parse: optionalUrl('http:', 'https:') },
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
