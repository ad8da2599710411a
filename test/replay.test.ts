// Replay (issue 10 §3): a failed delivery retried once the endpoint is fixed, by the admin API and by the CLI,
// ends ECHEC_DISTRIBUTION → RELANCEE → MISE_A_DISPOSITION with the auditors' chain intact; a dead letter of a
// stage that failed for a cause since fixed is replayed and the document reaches its final status, while a
// plain redelivery of the replayed message still changes nothing. On a hub of this file's own (its own
// database, so a fault can be injected into it without touching the shared hub).
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { readdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { dropFolder } from './helpers.js'
import { startOwnHub, type OwnHub } from './own-hub.js'
import { connectKafka } from '../services/kit/kafka.js'
import { createLogger } from '../services/kit/log.js'

const cli = fileURLToPath(new URL('../bin/facteur.mjs', import.meta.url))
const exec = promisify(execFile)

/** A recipient that answers 503 until it is fixed, then 200; it records the Idempotency-Key of every request. */
async function flakyRecipient() {
  const state = { fixed: false, keys: [] as string[] }
  const server = http.createServer((req, res) => {
    req.resume().on('end', () => {
      state.keys.push(String(req.headers['idempotency-key']))
      if (state.fixed) res.writeHead(200).end('ok')
      else res.writeHead(503).end('down for maintenance at https://internal.recipient.example/status')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { state, server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox` }
}

describe('replay', () => {
  let hub: OwnHub
  beforeAll(async () => {
    hub = await startOwnHub('replay', { FACTEUR_DELIVERY_ATTEMPTS: '2', FACTEUR_DELIVERY_BACKOFF_MS: '100', FACTEUR_DELIVERY_TIMEOUT_MS: '5000', FACTEUR_DELIVERY_LEASE_MS: '15000', FACTEUR_DELIVERY_POLL_MS: '100' })
  }, 240_000)
  afterAll(async () => { await hub?.stop() }, 120_000)

  /** `npx facteur <args>` against this file's hub, as an operator's shell would run it. */
  const facteur = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [cli, ...args], { env: { ...process.env, ...hub.env }, timeout: 120_000 })
      return { code: 0, stdout, stderr }
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string }
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
    }
  }
  const newRecipient = (endpoint: string) => hub.newRecipient(endpoint)
  const post = (siret: string) => hub.postInvoice(siret)
  const statusesOf = (doc: any) => doc.history.map((h: any) => h.status)
  /** The chains on the auditors' topic once the outbox has published everything (and in PostgreSQL). */
  const auditVerify = async () => {
    const deadline = Date.now() + 30_000
    while ((await hub.db(async (c) => (await c.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND set_aside_at IS NULL')).rows[0].n)) > 0) {
      if (Date.now() > deadline) throw new Error('the outbox did not drain')
      await new Promise((r) => setTimeout(r, 200))
    }
    return { topic: await facteur('audit', 'verify', '--json'), db: await facteur('audit', 'verify', '--db', '--json') }
  }

  test('a failed delivery retried through the admin API once the endpoint is fixed ends MISE_A_DISPOSITION, the replay in the history', async () => {
    const recipient = await flakyRecipient()
    try {
      const id = await post(await newRecipient(recipient.endpoint))
      const failed = await hub.waitForStatus(id, ['ECHEC_DISTRIBUTION', 'MISE_A_DISPOSITION', 'EN_ERREUR', 'REJETEE'])
      expect(failed.status).toBe('ECHEC_DISTRIBUTION')
      expect(failed.history.at(-1).reason).not.toContain('maintenance')

      const listed = await hub.api('GET', '/v1/admin/deliveries?state=failed', { key: hub.keys.admin })
      expect(listed.json.deliveries).toContainEqual(expect.objectContaining({ documentId: id, endpoint: recipient.endpoint, state: 'failed', generation: 1, attempts: 2, lastError: expect.stringContaining('HTTP 503') }))
      expect((await hub.api('POST', '/v1/admin/deliveries/retry', { body: { documentId: id } })).status).toBe(403)
      expect((await hub.api('POST', '/v1/admin/deliveries/retry', { key: hub.keys.admin, body: {} })).status).toBe(400)
      // The operator's dashboard sees it too: one delivery given up, in /metrics.
      const metrics = await (await fetch(`${hub.url}/metrics`)).text()
      expect(metrics).toMatch(/^facteur_delivery_jobs\{state="failed"\} 1$/m)

      recipient.state.fixed = true
      const retried = await hub.api('POST', '/v1/admin/deliveries/retry', { key: hub.keys.admin, body: { documentId: id } })
      expect(retried.status, retried.text).toBe(200)
      expect(retried.json).toEqual({ retried: [expect.objectContaining({ documentId: id, kind: 'document', generation: 2 })], skipped: [] })

      const doc = await hub.waitForStatus(id, ['MISE_A_DISPOSITION'], 30_000)
      expect(statusesOf(doc)).toEqual(['DEPOSEE', 'ECHEC_DISTRIBUTION', 'RELANCEE', 'MISE_A_DISPOSITION'])
      expect(doc.history[2]).toMatchObject({ actor: 'hub', reason: expect.stringMatching(/admin 'admin' retried the delivery to the recipient \(round 2\)/) })
      // Every attempt of both rounds carried the same key, the document id.
      expect(recipient.state.keys).toEqual([id, id, id])
      // A second retry finds nothing failed.
      expect((await hub.api('POST', '/v1/admin/deliveries/retry', { key: hub.keys.admin, body: { documentId: id } })).json).toEqual({ retried: [], skipped: [] })

      const audit = await auditVerify()
      expect(audit.topic.code, audit.topic.stderr).toBe(0)
      expect(JSON.parse(audit.topic.stdout)).toMatchObject({ breaks: [] })
      expect(audit.db.code, audit.db.stderr).toBe(0)
    } finally {
      recipient.server.close()
    }
  })

  test('`facteur deliveries retry --endpoint` retries every failed delivery to that endpoint', async () => {
    const recipient = await flakyRecipient()
    try {
      const siret = await newRecipient(recipient.endpoint)
      const ids = [await post(siret), await post(siret)]
      for (const id of ids) expect((await hub.waitForStatus(id, ['ECHEC_DISTRIBUTION', 'MISE_A_DISPOSITION', 'EN_ERREUR', 'REJETEE'])).status).toBe('ECHEC_DISTRIBUTION')

      const list = await facteur('deliveries', 'list', '--state', 'failed', '--endpoint', recipient.endpoint, '--json')
      expect(list.code, list.stderr).toBe(0)
      expect(list.stdout.trim().split('\n').map((l) => JSON.parse(l).documentId).sort()).toEqual([...ids].sort())

      recipient.state.fixed = true
      const retry = await facteur('deliveries', 'retry', '--endpoint', recipient.endpoint)
      expect(retry.code, retry.stderr).toBe(0)
      expect(retry.stdout).toContain('2 retried, 0 skipped')
      for (const id of ids) {
        const doc = await hub.waitForStatus(id, ['MISE_A_DISPOSITION'], 30_000)
        expect(statusesOf(doc)).toEqual(['DEPOSEE', 'ECHEC_DISTRIBUTION', 'RELANCEE', 'MISE_A_DISPOSITION'])
        expect(doc.history[2].reason).toMatch(/operator '.+' \(cli\) retried the delivery/)
      }
      const audit = await auditVerify()
      expect(audit.topic.code, audit.topic.stdout + audit.topic.stderr).toBe(0)
      expect(audit.db.code, audit.db.stdout + audit.db.stderr).toBe(0)
    } finally {
      recipient.server.close()
    }
  })

  test('a dead letter of a stage that failed for a cause since fixed is replayed, and the document reaches its final status', async () => {
    const inbox = await dropFolder()
    const siret = await newRecipient(inbox.endpoint)
    // The fault: the forwarder cannot record this recipient's delivery jobs (as a bug or a broken constraint
    // would); its `routed` message is dead-lettered after its retries.
    await hub.db((c) => c.query(`
      CREATE FUNCTION replay_test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected fault: jobs to % refused', NEW.endpoint; END $$;
      CREATE TRIGGER replay_test_fault BEFORE INSERT ON delivery_jobs FOR EACH ROW WHEN (NEW.endpoint = '${inbox.endpoint}') EXECUTE FUNCTION replay_test_fault();`))
    let id: string
    try {
      id = await post(siret)
      const parked = await hub.waitForStatus(id, ['EN_ERREUR', 'MISE_A_DISPOSITION'], 60_000)
      expect(parked.status).toBe('EN_ERREUR')
      expect(parked.history.at(-1).reason).toMatch(/processing failed in forwarder \(.*document\.routed\)/)
    } finally {
      await hub.db((c) => c.query('DROP TRIGGER replay_test_fault ON delivery_jobs; DROP FUNCTION replay_test_fault()'))
    }

    const listed = await facteur('dlq', 'list', '--document', id, '--json')
    expect(listed.code, listed.stderr).toBe(0)
    const letters = listed.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(letters).toEqual([expect.objectContaining({ documentId: id, consumer: 'forwarder', topic: `${hub.topicPrefix}.document.routed`, replayable: true, replayedAt: null, error: expect.stringContaining('injected fault') })])
    const api = await hub.api('GET', `/v1/admin/dead-letters?documentId=${id}&replayed=false`, { key: hub.keys.admin })
    expect(api.json.deadLetters.map((d: any) => d.id)).toEqual([letters[0].id])

    const replayed = await hub.api('POST', '/v1/admin/dead-letters/replay', { key: hub.keys.admin, body: { documentId: id } })
    expect(replayed.json).toEqual({ replayed: [{ id: letters[0].id, topic: `${hub.topicPrefix}.document.routed`, documentId: id }], skipped: [] })
    const doc = await hub.waitForStatus(id, ['MISE_A_DISPOSITION'], 30_000)
    expect(statusesOf(doc)).toEqual(['DEPOSEE', 'EN_ERREUR', 'RELANCEE', 'MISE_A_DISPOSITION'])
    expect(doc.history[2].reason).toMatch(/admin 'admin' replayed the message forwarder failed on/)
    expect(await readdir(inbox.dir)).toEqual([`${id}.xml`])
    // Replayed once: the letter says so, and replaying "all of the document" again finds nothing new.
    expect((await hub.api('GET', `/v1/admin/dead-letters?documentId=${id}`, { key: hub.keys.admin })).json.deadLetters[0]).toMatchObject({ replays: 1, replayedBy: "admin 'admin'" })
    expect((await hub.api('POST', '/v1/admin/dead-letters/replay', { key: hub.keys.admin, body: { documentId: id } })).json).toEqual({ replayed: [], skipped: [] })

    // A plain Kafka redelivery of the replayed message changes nothing: every consumer has it in its inbox.
    const topic = `${hub.topicPrefix}.document.routed`
    const original = await hub.db(async (c) => (await c.query('SELECT value FROM dead_letters WHERE id = $1', [letters[0].id])).rows[0].value as Buffer)
    const bus = connectKafka({ brokers: hub.config.kafkaBrokers, clientId: 'replay-test', log: createLogger('silent') })
    try {
      await (await bus.producer()).send([{ topic, key: id, value: original }])
    } finally {
      await bus.close()
    }
    await new Promise((r) => setTimeout(r, 3000))
    const counts = await hub.db(async (c) => (await c.query(
      `SELECT (SELECT count(*)::int FROM delivery_jobs WHERE document_id = $1) AS jobs, (SELECT count(*)::int FROM delivery_attempts WHERE document_id = $1) AS attempts,
              (SELECT count(*)::int FROM status_history WHERE document_id = $1) AS statuses`, [id])).rows[0])
    expect(counts).toEqual({ jobs: 1, attempts: 1, statuses: 4 })
    const audit = await auditVerify()
    expect(audit.topic.code, audit.topic.stdout + audit.topic.stderr).toBe(0)
    expect(audit.db.code, audit.db.stdout + audit.db.stderr).toBe(0)
  })
})
