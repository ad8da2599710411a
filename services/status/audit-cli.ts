// `npx facteur audit tail|verify`: the auditors' view of `document.status`.
//   tail    prints every status event from the start of the topic, then follows it
//   verify  reads the topic from the start to its current end (or, with --db, the stored history) and checks
//           every document's hash chain (schemas/status-chain.ts); exit code 0 only when nothing is broken
// Connection settings are the hub's (FACTEUR_KAFKA_BROKERS, FACTEUR_SCHEMA_REGISTRY_URL, FACTEUR_TOPIC_PREFIX,
// DATABASE_URL); when they are not set, those of the hub `npm start` is running (.facteur/endpoints.json).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig, type Config } from '../kit/config.js'
import { connectKafka } from '../kit/kafka.js'
import { createCodec } from '../kit/avro.js'
import { createDb } from '../kit/db.js'
import { createLogger } from '../kit/log.js'
import { topics, topicName } from '../../schemas/topics.js'
import type { DocumentStatus, Finding } from '../../schemas/events.js'
import { createVerifier, type Verification } from '../../schemas/status-chain.js'

const usage = `usage: facteur audit tail [--json]
       facteur audit verify [--db] [--json]

tail     every status event of document.status, oldest first, then new ones as they come (Ctrl-C to stop)
verify   checks the hash chain of every document: on the topic, from its start to its current end, or with
         --db on the history stored in PostgreSQL; reports each broken chain; exit code 0 only if none is`

export function configFor(env: NodeJS.ProcessEnv): Config {
  const base = loadConfig(env)
  const file = join(base.runDir, 'endpoints.json')
  if (env.FACTEUR_KAFKA_BROKERS || !existsSync(file)) return base
  const running = JSON.parse(readFileSync(file, 'utf8')) as { kafkaBrokers: string; registryUrl: string; databaseUrl: string }
  return loadConfig({ ...env, FACTEUR_KAFKA_BROKERS: running.kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: env.FACTEUR_SCHEMA_REGISTRY_URL ?? running.registryUrl, DATABASE_URL: env.DATABASE_URL ?? running.databaseUrl })
}

/** One readable line per status event. */
export function formatEvent(e: DocumentStatus): string {
  const when = new Date(e.at).toISOString()
  const code = e.code ? ` (${e.code})` : ''
  const reason = e.reason ? `  — ${e.reason}` : ''
  return `${when}  ${e.documentId}  #${e.sequence}  ${e.status}${code}  by ${e.actor}${reason}`
}

export function formatVerification(v: Verification, source: string): string {
  const lines = [`${source}: ${v.events} events of ${v.documents} documents; ${v.duplicates} redelivered duplicates; ${v.breaks.length === 0 ? 'every chain is intact' : `${v.breaks.length} break(s)`}`]
  for (const b of v.breaks) lines.push(`  BROKEN  ${b.documentId}  #${b.sequence}  ${b.problem}`)
  return lines.join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { db: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  const [command] = positionals
  if (values.help || (command !== 'tail' && command !== 'verify')) { process.stderr.write(`${usage}\n`); return values.help ? 0 : 2 }
  const config = configFor(process.env)
  const say = (m: string) => process.stderr.write(`facteur: ${m}\n`)

  if (command === 'verify' && values.db) {
    const db = createDb(config.databaseUrl, { application: 'facteur-audit' })
    try {
      const verifier = createVerifier()
      const rows = await db.query<{ document_id: string; sequence: number; status: string; code: string | null; actor: string; at: Date; reason: string | null; findings: Finding[]; prev_hash: string | null; hash: string | null }>(
        'SELECT document_id, sequence, status, code, actor, at, reason, findings, prev_hash, hash FROM status_history ORDER BY document_id, sequence')
      for (const r of rows.rows) {
        verifier.add({ documentId: r.document_id, sequence: r.sequence, status: r.status, code: r.code, actor: r.actor, at: r.at.getTime(), reason: r.reason, findings: r.findings, prevHash: r.prev_hash, hash: r.hash })
      }
      const result = verifier.result()
      process.stdout.write(`${values.json ? JSON.stringify(result) : formatVerification(result, 'status_history (PostgreSQL)')}\n`)
      return result.breaks.length === 0 ? 0 : 1
    } finally {
      await db.end()
    }
  }

  const topic = topicName(config.topicPrefix, topics.status)
  const bus = connectKafka({ brokers: config.kafkaBrokers, clientId: 'facteur-audit', log: createLogger('silent') })
  try {
    const codec = await createCodec({ registryUrl: config.schemaRegistryUrl, topicPrefix: config.topicPrefix })
    const verifier = createVerifier()
    let undecodable = 0
    let lastProgress = Date.now()
    const reader = await bus.readTopic(topic, {
      follow: command === 'tail',
      async onMessage(m) {
        let event: DocumentStatus
        try {
          event = (await codec.decode(topic, m.value ?? Buffer.alloc(0))) as DocumentStatus
        } catch (error) {
          undecodable++
          say(`partition ${m.partition} offset ${m.offset}: not a status event (${(error as Error).message})`)
          return
        }
        if (command === 'tail') { process.stdout.write(`${values.json ? JSON.stringify(event) : formatEvent(event)}\n`); return }
        verifier.add({ ...event, prevHash: event.prevHash ?? null, hash: event.hash ?? null })
        if (Date.now() - lastProgress > 2000) {
          lastProgress = Date.now()
          const r = verifier.result()
          say(`verified ${r.events} events of ${r.documents} documents, ${r.breaks.length} breaks so far …`)
        }
      },
    })
    if (command === 'tail') {
      say(`following ${topic} (Ctrl-C to stop)`)
      process.once('SIGINT', () => void reader.stop())
      await reader.done
      return 0
    }
    await reader.done
    const result = verifier.result()
    process.stdout.write(`${values.json ? JSON.stringify({ ...result, undecodable }) : formatVerification(result, topic)}\n`)
    if (undecodable > 0 && !values.json) process.stdout.write(`  ${undecodable} message(s) on the topic are not status events\n`)
    return result.breaks.length === 0 && undecodable === 0 ? 0 : 1
  } finally {
    await bus.close()
  }
}
