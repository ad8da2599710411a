// `npx facteur dlq list|replay …` and `npx facteur deliveries list|retry …`: the operator's replays from a shell,
// on PostgreSQL alone (operations.ts, the same code as the admin API). Settings are the hub's (DATABASE_URL,
// FACTEUR_TOPIC_PREFIX); when DATABASE_URL is not set, that of the hub `npm start` is running
// (.facteur/endpoints.json). The replay is recorded in each document's history as done by the shell's user.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { userInfo } from 'node:os'
import { parseArgs } from 'node:util'
import { loadConfig, type Config } from '../kit/config.js'
import { createDb } from '../kit/db.js'
import { listDeadLetters, listDeliveries, replayDeadLetters, resolveTopic, retryDeliveries, type DeadLetterRow, type DeliveryRow, type Skipped } from './operations.js'
import { parseDeadLetterSelector, parseDeliverySelector } from './operations-routes.js'

const usage = {
  dlq: `usage: facteur dlq list [--topic <topic>] [--document <id>] [--pending] [--limit <n>] [--json]
       facteur dlq replay (--id <n> | --topic <topic> | --document <id> | --all)

list     the dead letters of every stage, newest first (--pending: those never replayed)
replay   puts the original message back on its topic, for the consumer that failed on it; by --id even if it
         was replayed before, otherwise only the letters never replayed. <topic>: document.validated, …`,
  deliveries: `usage: facteur deliveries list [--state pending|delivered|failed] [--document <id>] [--endpoint <url>] [--limit <n>] [--json]
       facteur deliveries retry (--id <n> | --document <id> | --endpoint <url> | --all)

list     delivery jobs, newest first, with their endpoint, attempts and last error
retry    re-arms failed deliveries (attempts from zero, the same document id and Idempotency-Key); each document
         goes ECHEC_DISTRIBUTION → RELANCEE → MISE_A_DISPOSITION (or ECHEC_DISTRIBUTION again)`,
}

export function configFor(env: NodeJS.ProcessEnv): Config {
  const base = loadConfig(env)
  const file = join(base.runDir, 'endpoints.json')
  if (env.DATABASE_URL || !existsSync(file)) return base
  const running = JSON.parse(readFileSync(file, 'utf8')) as { databaseUrl: string }
  return loadConfig({ ...env, DATABASE_URL: running.databaseUrl })
}

const dlqLine = (d: DeadLetterRow) =>
  `${d.id}  ${d.failedAt}  ${d.topic}#${d.partition}@${d.offset}  ${d.consumer}  ${d.documentId ?? '(no key)'}  ${d.replayedAt ? `replayed ${d.replays}x, last by ${d.replayedBy}` : d.replayable ? 'pending' : 'not replayable'}\n      ${d.error.split('\n')[0]}`
const deliveryLine = (d: DeliveryRow) =>
  `${d.id}  ${d.kind}${d.receiptSequence ? `#${d.receiptSequence}` : ''}  ${d.documentId}  ${d.state}  round ${d.generation}, ${d.attempts} attempt(s)  ${d.endpoint}${d.lastError ? `\n      last: ${d.lastError}` : ''}`
const skippedLines = (skipped: Skipped[]) => skipped.map((s) => `  skipped ${s.id} (${s.documentId ?? 'no document'}): ${s.reason}`)

export async function runOps(command: 'dlq' | 'deliveries', argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      id: { type: 'string' }, topic: { type: 'string' }, document: { type: 'string' }, endpoint: { type: 'string' }, state: { type: 'string' },
      all: { type: 'boolean' }, pending: { type: 'boolean' }, limit: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  })
  const [action] = positionals
  const actions = command === 'dlq' ? ['list', 'replay'] : ['list', 'retry']
  if (values.help || !action || !actions.includes(action)) { process.stderr.write(`${usage[command]}\n`); return values.help ? 0 : 2 }
  const fail = (message: string) => { process.stderr.write(`facteur ${command}: ${message}\n`); return 2 }
  const config = configFor(process.env)
  const by = `operator '${userInfo().username}' (cli)`
  const limit = values.limit === undefined ? 100 : Number(values.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return fail('--limit is an integer from 1 to 10000')
  const db = createDb(config.databaseUrl, { application: 'facteur-ops' })
  const out = (lines: string[]) => process.stdout.write(lines.map((l) => `${l}\n`).join(''))
  try {
    if (command === 'dlq' && action === 'list') {
      const topic = values.topic === undefined ? undefined : resolveTopic(config.topicPrefix, values.topic)
      if (topic === null) return fail(`--topic ${values.topic} is not a topic of hub '${config.topicPrefix}'`)
      const rows = await listDeadLetters(db, config.topicPrefix, { topic, documentId: values.document, replayed: values.pending ? false : undefined, limit })
      out(values.json ? rows.map((r) => JSON.stringify(r)) : [...rows.map(dlqLine), `${rows.length} dead letter(s)`])
      return 0
    }
    if (command === 'dlq') {
      const selector = parseDeadLetterSelector({ id: values.id, topic: values.topic, documentId: values.document, all: values.all }, config.topicPrefix)
      if (!selector.ok) return fail(selector.message.replaceAll('`documentId`', '--document').replaceAll('`', '--').replace('"all": true', 'all'))
      const result = await replayDeadLetters(db, config.topicPrefix, selector.value, by)
      out(values.json ? [JSON.stringify(result)] : [...result.replayed.map((r) => `  replayed ${r.id}  ${r.topic}  ${r.documentId ?? ''}`), ...skippedLines(result.skipped), `${result.replayed.length} replayed, ${result.skipped.length} skipped`])
      return result.skipped.length === 0 ? 0 : 1
    }
    if (action === 'list') {
      if (values.state !== undefined && !['pending', 'delivered', 'failed'].includes(values.state)) return fail('--state is pending, delivered or failed')
      const rows = await listDeliveries(db, config.topicPrefix, { state: values.state, documentId: values.document, endpoint: values.endpoint, limit })
      out(values.json ? rows.map((r) => JSON.stringify(r)) : [...rows.map(deliveryLine), `${rows.length} delivery job(s)`])
      return 0
    }
    const selector = parseDeliverySelector({ id: values.id, documentId: values.document, endpoint: values.endpoint, all: values.all })
    if (!selector.ok) return fail(selector.message.replaceAll('`documentId`', '--document').replaceAll('`', '--').replace('"all": true', 'all'))
    const result = await retryDeliveries(db, config.topicPrefix, selector.value, by)
    out(values.json ? [JSON.stringify(result)] : [...result.retried.map((r) => `  retried ${r.id}  ${r.kind}  ${r.documentId}  round ${r.generation}`), ...skippedLines(result.skipped), `${result.retried.length} retried, ${result.skipped.length} skipped`])
    return result.skipped.length === 0 ? 0 : 1
  } finally {
    await db.end()
  }
}
